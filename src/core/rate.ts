import { backoffDelay, classifyFailure } from './retry.js'
import type { Clock, Sleep } from './types.js'

export interface RateControlOptions {
  /** Starting parallelism (the `concurrency` input); also the ceiling it grows back to. */
  concurrency: number
  clock: Clock
  sleep: Sleep
  /** Returns [0, 1); injected so jitter is deterministic in tests. */
  random?: () => number
  /** Retries after a 429 before the item fails. Generous: a throttling storm must end in zero failures. */
  maxThrottleRetries?: number
  /**
   * Retries after a 5xx or a connection reset. Eight: at a 12% fault rate one call fails nine times in
   * a row about once in 200 million, where six tries lost an item in one 5,000-item soak.
   */
  maxTransientRetries?: number
  baseDelayMs?: number
  maxDelayMs?: number
  /** A `Retry-After` longer than this is cut down, so one odd header cannot stall the job. */
  maxRetryAfterMs?: number
  /** Only one halving per cooldown: a burst of 429s from one overload counts once. */
  decreaseCooldownMs?: number
  /** Told about each retry, for debug logging. */
  onRetry?: (event: RetryEvent) => void
}

export interface RetryEvent {
  kind: 'throttled' | 'transient'
  attempt: number
  delayMs: number
  concurrency: number
}

/** The debug line for a retry. */
export function describeRetry(e: RetryEvent): string {
  return `Retrying after ${e.kind} (attempt ${e.attempt}) in ${e.delayMs} ms, concurrency ${e.concurrency}`
}

export interface RateStats {
  throttled: number
  transientRetries: number
}

/**
 * Bounded, adaptive parallelism with retries (AIMD, as TCP does): every call takes a slot; a 429
 * halves the number of slots and pauses new calls until the wait is over; a run of successes adds
 * one slot back up to the starting value. 429s honour `Retry-After` when sent, else back off with
 * jitter; 5xx and connection resets are retried a bounded number of times. The requests of those
 * calls are paced apart from this, per HTTP request (see RequestPace).
 */
export class RateController {
  private limit: number
  private readonly ceiling: number
  private active = 0
  private readonly waiting: (() => void)[] = []
  private pausedUntil = 0
  private lastDecrease = Number.NEGATIVE_INFINITY
  private successes = 0
  readonly stats: RateStats = { throttled: 0, transientRetries: 0 }
  private readonly o: Required<Omit<RateControlOptions, 'onRetry'>> & Pick<RateControlOptions, 'onRetry'>

  constructor(options: RateControlOptions) {
    this.o = {
      random: Math.random,
      maxThrottleRetries: 12,
      maxTransientRetries: 8,
      baseDelayMs: 1000,
      maxDelayMs: 16000,
      maxRetryAfterMs: 120000,
      decreaseCooldownMs: 1000,
      ...options
    }
    this.ceiling = Math.max(1, Math.floor(options.concurrency))
    this.limit = this.ceiling
  }

  /** The current number of slots. */
  get concurrency(): number {
    return this.limit
  }

  /**
   * Runs one service call under the rate control, retrying as described on the class. `ahead` puts
   * the call before those already waiting for a slot: for the next page of a listing, the one chain
   * that every later call depends on.
   */
  async run<T>(call: () => Promise<T>, options: { ahead?: boolean } = {}): Promise<T> {
    let throttles = 0
    let transients = 0
    for (;;) {
      await this.acquire(options.ahead === true)
      let failure: unknown
      try {
        const result = await call()
        this.onSuccess()
        return result
      } catch (error) {
        failure = error
      } finally {
        this.release()
      }
      const now = this.o.clock.now()
      const kind = classifyFailure(failure, now)
      let delayMs: number
      if (kind.kind === 'throttled' && throttles < this.o.maxThrottleRetries) {
        delayMs = this.waitFor(kind.retryAfterMs, throttles++)
        this.stats.throttled++
        this.onThrottle(now, delayMs)
      } else if (kind.kind === 'transient' && transients < this.o.maxTransientRetries) {
        delayMs = this.waitFor(kind.retryAfterMs, transients++)
        this.stats.transientRetries++
      } else {
        throw failure
      }
      this.o.onRetry?.({
        kind: kind.kind,
        attempt: kind.kind === 'throttled' ? throttles : transients,
        delayMs,
        concurrency: this.limit
      })
      await this.o.sleep(delayMs)
    }
  }

  private waitFor(retryAfterMs: number | undefined, attempt: number): number {
    if (retryAfterMs !== undefined) return Math.min(retryAfterMs, this.o.maxRetryAfterMs)
    return backoffDelay(attempt, this.o.baseDelayMs, this.o.maxDelayMs, this.o.random)
  }

  private async acquire(ahead: boolean): Promise<void> {
    while (this.active >= this.limit) {
      await new Promise<void>(resolve => (ahead ? this.waiting.unshift(resolve) : this.waiting.push(resolve)))
    }
    this.active++
    // A throttled vault answers everyone the same: new calls wait out the pause too.
    for (
      let wait = this.pausedUntil - this.o.clock.now();
      wait > 0;
      wait = this.pausedUntil - this.o.clock.now()
    ) {
      await this.o.sleep(wait)
    }
  }

  private release(): void {
    this.active--
    this.wake()
  }

  // A woken caller re-checks the limit in acquire(), so waking one too many is harmless.
  private wake(): void {
    for (let free = this.limit - this.active; free > 0 && this.waiting.length > 0; free--) {
      ;(this.waiting.shift() as () => void)()
    }
  }

  private onThrottle(now: number, delayMs: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, now + delayMs)
    this.successes = 0
    if (now - this.lastDecrease >= this.o.decreaseCooldownMs) {
      this.limit = Math.max(1, Math.floor(this.limit / 2))
      this.lastDecrease = now
    }
  }

  private onSuccess(): void {
    this.successes++
    if (this.limit < this.ceiling && this.successes >= this.limit) {
      this.limit++
      this.successes = 0
      this.wake()
    }
  }
}
