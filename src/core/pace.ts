import type { Clock, Sleep } from './types.js'

/** The fewest requests per window a run of 429s can pace down to. */
const MIN_PER_WINDOW = 10

/**
 * HTTP requests started in any sliding window, at most. Key Vault counts 4,000 transactions per 10 s
 * per vault (secrets and software keys); a tenth is left for the vault's other users.
 */
export const VAULT_BUDGET = { requests: 3600, windowMs: 10_000 }

/**
 * How many requests may start in any sliding window, learnt from the vault. Key Vault throttles by
 * counting requests per 10 s, so the pace is a count per window, not a number of calls in flight:
 * it starts at the ceiling; a 429 lowers it to four fifths of what started in the last window; a
 * whole window without a 429 raises it by a quarter, back up to the ceiling.
 */
export class Pace {
  private allowed: number
  /** Start times, a ring of `ceiling` entries; the next start is written at `next`. */
  private readonly starts: number[] = []
  private next = 0
  private lastChange = Number.NEGATIVE_INFINITY

  constructor(
    private readonly ceiling: number,
    private readonly windowMs: number
  ) {
    this.allowed = ceiling
  }

  /** Calls allowed to start per window now. */
  get perWindow(): number {
    return this.allowed
  }

  /** Records a start at `now` and returns 0, or returns how long to wait before trying again. */
  tryStart(now: number): number {
    const oldest = this.recent(this.allowed)
    const wait = oldest === undefined ? 0 : oldest + this.windowMs - now
    if (wait > 0) return wait
    if (this.starts.length < this.ceiling) this.starts.push(now)
    else this.starts[this.next] = now
    this.next = (this.next + 1) % this.ceiling
    return 0
  }

  /** A 429 at `now` (the caller counts a burst of them once). */
  throttled(now: number): void {
    let started = 0
    while (started < this.starts.length && this.recent(started + 1)! > now - this.windowMs) started++
    this.allowed = Math.max(MIN_PER_WINDOW, Math.min(this.allowed, Math.floor(started * 0.8)))
    this.lastChange = now
  }

  /** A call that went through at `now`. */
  succeeded(now: number): void {
    if (this.allowed < this.ceiling && now - this.lastChange >= this.windowMs) {
      this.allowed = Math.min(this.ceiling, Math.ceil(this.allowed * 1.25))
      this.lastChange = now
    }
  }

  /** The k-th most recent start (k = 1 is the latest), if there were k. */
  private recent(k: number): number | undefined {
    if (k > this.starts.length) return undefined
    return this.starts[(this.next - k + this.ceiling) % this.ceiling]
  }
}

/**
 * The pace of one vault's HTTP requests, with time injected: every request the clients send waits
 * in `start()` for room in the window (a pipeline policy calls it, so a poller's or a challenge's
 * extra requests count too), and reports its status to `answered()`. A burst of 429s from one
 * overload lowers the pace once per `cooldownMs`.
 */
export class RequestPace {
  private readonly pace: Pace
  private lastDecrease = Number.NEGATIVE_INFINITY
  /** Requests started, and 429s answered, since the start. */
  readonly stats = { requests: 0, throttled: 0 }

  constructor(
    private readonly clock: Clock,
    private readonly sleep: Sleep,
    budget: { requests: number; windowMs: number } = VAULT_BUDGET,
    private readonly cooldownMs = 1000
  ) {
    this.pace = new Pace(budget.requests, budget.windowMs)
  }

  /** Requests allowed to start per window now. */
  get perWindow(): number {
    return this.pace.perWindow
  }

  /** Waits until one more request may start, and counts it. */
  async start(): Promise<void> {
    for (let wait = this.pace.tryStart(this.clock.now()); wait > 0;) {
      await this.sleep(wait)
      wait = this.pace.tryStart(this.clock.now())
    }
    this.stats.requests++
  }

  /** Learns from a request's answer: 429 lowers the pace, anything else may raise it. */
  answered(status: number): void {
    const now = this.clock.now()
    if (status !== 429) return this.pace.succeeded(now)
    this.stats.throttled++
    if (now - this.lastDecrease < this.cooldownMs) return
    this.pace.throttled(now)
    this.lastDecrease = now
  }
}
