/**
 * The test bed's clock: real time plus an offset that tests can advance. Vault state (deleted dates,
 * retention, the asynchronous delete and purge windows) reads this clock. Token lifetimes are checked
 * against real time, because the clients that cache tokens (MSAL) run on real time.
 */
export class TestClock {
  private offsetMs = 0

  /** Milliseconds since the epoch, as the test bed sees it. */
  now(): number {
    return Date.now() + this.offsetMs
  }

  /** Moves the clock forward, e.g. past a soft-delete retention period. */
  advance(ms: number): void {
    if (ms < 0) throw new Error('the clock only moves forward')
    this.offsetMs += ms
  }

  /** Unix seconds, the unit of Key Vault's `attributes` timestamps. */
  nowSeconds(): number {
    return Math.floor(this.now() / 1000)
  }
}
