import type { FleetVault } from '../core/fleet.js'
import { forEachPage, readAllPages } from '../core/paging.js'
import type { RateController } from '../core/rate.js'
import type { ManagementPlane } from './arm.js'

/**
 * Finds vaults' resources (subscription, resource group, location, tenant) through Resource
 * Manager: the subscriptions the identity can list are read one after another, each one's vaults
 * remembered, until the vault asked for turns up. Several vaults of a run share the reads, and
 * callers are served one at a time, so a subscription is never read twice.
 */
export class VaultLocator {
  private readonly found = new Map<string, FleetVault>()
  private subscriptions: string[] | undefined
  private next = 0
  private queue: Promise<unknown> = Promise.resolve()

  constructor(
    private readonly plane: ManagementPlane,
    private readonly rate: RateController
  ) {}

  /** The vault's resource, or undefined when no listable subscription holds it. Throws Resource Manager's refusals. */
  locate(url: string): Promise<FleetVault | undefined> {
    const run = this.queue.then(() => this.search(new URL(url).host.toLowerCase()))
    this.queue = run.catch(() => undefined)
    return run
  }

  private async search(host: string): Promise<FleetVault | undefined> {
    this.subscriptions ??= (await readAllPages(this.rate, token => this.plane.subscriptions(token))).map(
      s => s.subscriptionId
    )
    while (!this.found.has(host) && this.next < this.subscriptions.length) {
      const subscriptionId = this.subscriptions[this.next++]
      try {
        await forEachPage(
          this.rate,
          token => this.plane.vaults(subscriptionId, token),
          page => {
            for (const vault of page) this.found.set(new URL(vault.url).host.toLowerCase(), vault)
          }
        )
      } catch (error) {
        // A subscription listed through some role but whose vaults may not be read holds none we can find.
        if ((error as { statusCode?: number }).statusCode !== 403) throw error
      }
    }
    return this.found.get(host)
  }
}
