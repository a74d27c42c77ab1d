/**
 * A bounded hand-off between producers (listings, page by page) and workers: `push` waits while the
 * queue is over its high-water mark, so a fast listing cannot run thousands of items ahead of the
 * work and memory stays flat; `take` waits for an item and returns undefined once the queue is
 * closed and drained.
 */
export class WorkQueue<T> {
  private items: T[] = []
  private closed = false
  private takers: (() => void)[] = []
  private pushers: (() => void)[] = []

  constructor(private readonly highWater: number) {}

  /** Adds a batch (a page), first waiting until the queue is below its high-water mark. */
  async push(batch: readonly T[]): Promise<void> {
    while (this.items.length >= this.highWater && !this.closed) {
      await new Promise<void>(resolve => this.pushers.push(resolve))
    }
    this.items.push(...batch)
    this.wakeAll('takers')
  }

  /** The next item, or undefined when the queue is closed and empty. */
  async take(): Promise<T | undefined> {
    for (;;) {
      if (this.items.length > 0) {
        const item = this.items.shift() as T
        if (this.items.length < this.highWater) this.wakeAll('pushers')
        return item
      }
      if (this.closed) return undefined
      await new Promise<void>(resolve => this.takers.push(resolve))
    }
  }

  /** No more pushes: waiting takers drain what is left, then get undefined. */
  close(): void {
    this.closed = true
    this.wakeAll('takers')
    this.wakeAll('pushers')
  }

  // Woken callers re-check their condition, so waking all is safe.
  private wakeAll(which: 'takers' | 'pushers'): void {
    const waiting = this[which]
    this[which] = []
    for (const wake of waiting) wake()
  }
}

/** Runs `work` over `items` with at most `limit` at once; results in order. */
export async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>
): Promise<R[]> {
  const results = new Array<R>(items.length)
  let next = 0
  const worker = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) results[i] = await work(items[i], i)
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker))
  return results
}
