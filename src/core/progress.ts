import type { OutcomeStatus } from './outcomes.js'
import type { Clock, Logger } from './types.js'

/**
 * Logs a progress line at most every `intervalMs`: counts so far and the item rate. The clock is
 * injected; callers invoke `maybeReport` after each item and from a timer.
 */
export class ProgressReporter {
  private readonly started: number
  private lastReport: number
  private total: number | undefined
  private readonly counts: Record<OutcomeStatus, number> = {
    'backed-up': 0,
    planned: 0,
    skipped: 0,
    failed: 0
  }

  constructor(
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly intervalMs = 5000,
    private readonly concurrency: () => number = () => 0
  ) {
    this.started = clock.now()
    this.lastReport = this.started
  }

  /** Sets how many items are to be processed. */
  setTotal(total: number): void {
    this.total = total
  }

  /** Counts one finished item. */
  record(status: OutcomeStatus): void {
    this.counts[status]++
  }

  /** Logs a line when the interval has passed; `force` logs now (at the end). */
  maybeReport(force = false): void {
    const now = this.clock.now()
    // Nothing to count while the vault is still being listed.
    if (!this.total || (!force && now - this.lastReport < this.intervalMs)) return
    this.lastReport = now
    this.log.info(this.line(now))
  }

  /** The progress line for the given time. */
  line(now: number): string {
    const done = this.counts['backed-up'] + this.counts.planned + this.counts.failed
    const seconds = Math.max(0.001, (now - this.started) / 1000)
    const parts = [
      `${done}/${this.total ?? 0} items`,
      `${this.counts['backed-up']} backed up`,
      ...(this.counts.planned ? [`${this.counts.planned} planned`] : []),
      `${this.counts.failed} failed`,
      `${(done / seconds).toFixed(1)} items/s`,
      `concurrency ${this.concurrency()}`
    ]
    return `Progress: ${parts.join(', ')}`
  }
}
