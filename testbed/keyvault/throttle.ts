/** Per-vault token bucket: `limit` requests per `windowMs`, refilled continuously (Key Vault counts per 10 s). */
export class TokenBucket {
  private tokens: number | undefined
  private last = 0

  /** Takes one token; false when the bucket is empty. The limit is read on each call (it may change). */
  take(now: number, limit: number, windowMs: number): boolean {
    if (this.tokens === undefined) {
      this.tokens = limit
      this.last = now
    }
    const refill = ((now - this.last) * limit) / windowMs
    this.tokens = Math.min(limit, this.tokens + Math.max(0, refill))
    this.last = now
    if (this.tokens < 1) return false
    this.tokens -= 1
    return true
  }

  /** Fills the bucket again (after a behaviour change). */
  reset(): void {
    this.tokens = undefined
  }
}
