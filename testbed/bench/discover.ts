/**
 * The discover benchmark: `operation: discover` through the built action over a generated fleet
 * (default 2,000 vaults in 10 subscriptions), against the fake Resource Manager with a fixed latency
 * per answer. Reports the wall time and the ARM requests made, beside the pages the listing needs
 * and the time those pages take at that latency when each subscription's pages follow one another
 * (a nextLink chain cannot be read ahead) and four subscriptions are read at once.
 */
import { fleetLayout } from '../fleet.js'
import { runAction } from '../harness.js'
import { startTestbed } from '../index.js'

export interface DiscoverOptions {
  vaults: number
  subscriptions: number
  /** Milliseconds before each Resource Manager answer. */
  latencyMs: number
  /** The built action. */
  entry: string
}

export interface DiscoverMeasurement {
  vaults: number
  subscriptions: number
  latencyMs: number
  pageSize: number
  /** Vaults the identity may read (what discover must find), and what it found. */
  readable: number
  found: number
  /** Subscriptions listed for the identity, and of those, the ones whose vault listing it may read. */
  listedSubscriptions: number
  readableSubscriptions: number
  /** Pages of vaults: ceil(vaults / page size) per readable subscription. */
  vaultPages: number
  /**
   * Requests the listing needs: the subscriptions list, each vault page, the empty page a last
   * non-empty page's nextLink leads to, and one refused listing per subscription it may not read.
   */
  requestsNeeded: number
  /** Requests made to Resource Manager (with any retry after throttling), and how many answered 429. */
  armRequests: number
  throttled: number
  wallSeconds: number
  /** The wall time the needed requests take at this latency with discover's parallelism (see above). */
  boundSeconds: number
  exitCode: number | null
}

/** Subscriptions discover reads at once (src/operations/discover/job.ts). */
const SUBSCRIPTION_CONCURRENCY = 4

export async function measureDiscover(options: DiscoverOptions): Promise<DiscoverMeasurement> {
  const layout = fleetLayout({ vaults: options.vaults, subscriptions: options.subscriptions })
  const testbed = await startTestbed({ layout, arm: { latencyMs: options.latencyMs } })
  try {
    const oid = testbed.layout.tenants[0].apps[0].objectId
    const view = testbed.arm.view(oid)
    const pageSize = testbed.arm.behaviour.pageSize
    const chains = Object.values(view.vaults).map(names =>
      names.length === 0 ? 1 : Math.ceil(names.length / pageSize) + 1
    )
    const forbidden = view.forbidden.length
    const requestsNeeded = 1 + chains.reduce((a, b) => a + b, 0) + forbidden
    // Longest-first over four lanes: the time the nextLink chains take at this latency.
    const lanes = new Array<number>(SUBSCRIPTION_CONCURRENCY).fill(0)
    for (const chain of [...chains, ...new Array<number>(forbidden).fill(1)].sort((a, b) => b - a)) {
      lanes[lanes.indexOf(Math.min(...lanes))] += chain
    }
    const boundSeconds = ((1 + Math.max(...lanes)) * options.latencyMs) / 1000

    testbed.arm.clearLog()
    const started = performance.now()
    const result = await runAction({
      env: testbed.env,
      inputs: { operation: 'discover' },
      entry: options.entry,
      timeoutMs: 600_000
    })
    const wallSeconds = (performance.now() - started) / 1000
    const log = testbed.arm.requestLog
    return {
      vaults: options.vaults,
      subscriptions: options.subscriptions,
      latencyMs: options.latencyMs,
      pageSize,
      readable: Object.values(view.vaults).reduce((n, names) => n + names.length, 0),
      found: Number(result.outputs.count ?? 0),
      listedSubscriptions: view.subscriptions.length,
      readableSubscriptions: chains.length,
      vaultPages: Object.values(view.vaults).reduce((n, names) => n + Math.ceil(names.length / pageSize), 0),
      requestsNeeded,
      armRequests: log.length,
      throttled: log.filter(e => e.status === 429).length,
      wallSeconds,
      boundSeconds,
      exitCode: result.exitCode
    }
  } finally {
    await testbed.stop()
  }
}
