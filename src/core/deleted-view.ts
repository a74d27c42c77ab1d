import { forEachPage, type PageRead } from './paging.js'
import type { RateController } from './rate.js'

/** A soft-deleted object as the deleted listing shows it. */
export interface DeletedName {
  name: string
  recoveryLevel?: string
  scheduledPurgeDate?: string
}

/**
 * The soft-deleted objects of one type in a vault, read by listing the deleted collection: the
 * listing needs only the `list` permission, where a GET of one deleted item needs `get` (and, for a
 * secret, carries its value). Every question is answered by a listing that started after it was
 * asked (so a delete or purge the caller just made is seen); callers who ask while a listing is
 * under way share the next one, and one type is never listed twice at once, so many items waiting
 * for their deletes to show cost one listing per round, not one per item.
 */
export class DeletedView {
  /** Orders questions and listings: a listing answers the questions asked before it started. */
  private sequence = 0
  private latest: { started: number; names: Map<string, DeletedName> } | undefined
  private inFlight: { started: number; names: Promise<Map<string, DeletedName>> } | undefined

  constructor(
    private readonly read: PageRead<DeletedName>,
    private readonly rate: RateController
  ) {}

  /** The deleted entry of `name` (case-insensitive), from a listing started after this call. */
  async find(name: string): Promise<DeletedName | undefined> {
    return (await this.listing()).get(name.toLowerCase())
  }

  /** Every deleted entry, by lower-case name, from a listing started after this call. */
  async listing(): Promise<Map<string, DeletedName>> {
    const asked = ++this.sequence
    for (;;) {
      if (this.latest && this.latest.started > asked) return this.latest.names
      if (!this.inFlight) break
      if (this.inFlight.started > asked) return this.inFlight.names
      await this.inFlight.names.catch(() => undefined)
    }
    const flight = { started: ++this.sequence, names: this.list() }
    this.inFlight = flight
    try {
      const names = await flight.names
      if (!this.latest || this.latest.started < flight.started)
        this.latest = { started: flight.started, names }
      return names
    } finally {
      if (this.inFlight === flight) this.inFlight = undefined
    }
  }
  private async list(): Promise<Map<string, DeletedName>> {
    const names = new Map<string, DeletedName>()
    await forEachPage(this.rate, this.read, page => {
      for (const entry of page) names.set(entry.name.toLowerCase(), entry)
    })
    return names
  }
}
