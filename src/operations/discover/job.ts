import type { TokenCredential } from '@azure/identity'
import { createManagementPlane, type ArmSubscription } from '../../adapters/arm.js'
import { errorMessage } from '../../core/errors.js'
import { filterVaults, groupVaults, leftOutReason, type FleetVault } from '../../core/fleet.js'
import { readAllPages } from '../../core/paging.js'
import { describeRetry, RateController } from '../../core/rate.js'
import { escapeLog } from '../../core/text.js'
import { StepError, type Operation, type Run } from '../../lifecycle.js'
import { TOOL_NAME, TOOL_VERSION } from '../../version.js'
import { explainManagement } from '../../core/explain.js'
import type { DiscoverSettings } from './settings.js'
import {
  discoverFailures,
  discoverOutputs,
  newDiscoverReport,
  outputSizeWarning,
  renderDiscoverSummary,
  type DiscoverReport
} from './summary.js'

/** `operation: discover` (and `keyvault-backup discover`). */
export const discoverOperation: Operation<DiscoverSettings, DiscoverReport> = {
  name: 'discover',
  newReport: newDiscoverReport,
  run: discoverFleet,
  outputs: discoverOutputs,
  summary: report => renderDiscoverSummary(report),
  failures: discoverFailures
}

/** Subscriptions read at once; each one's pages are read in order. */
const SUBSCRIPTION_CONCURRENCY = 4

/**
 * Finds every vault the identity can read through Resource Manager: the subscriptions it can list
 * (or those named), each one's vaults page by page, then the filters and the matrix groups. A
 * subscription that cannot be read is reported with the reason and the fix; the step fails for it
 * only when nothing was found (see discoverFailures). The first call lists the subscriptions: a
 * sign-in, cloud or network mistake ends the step there with one error.
 */
export async function discoverFleet(
  run: Run,
  settings: DiscoverSettings,
  report: DiscoverReport
): Promise<void> {
  let credential: TokenCredential
  try {
    credential = run.signIn(settings.identity).credential
  } catch (error) {
    throw new StepError(errorMessage(error))
  }
  const plane = createManagementPlane(settings.cloud, credential, {
    userAgent: `${TOOL_NAME}/${TOOL_VERSION}`
  })
  const rate = new RateController({
    concurrency: SUBSCRIPTION_CONCURRENCY,
    clock: run.clock,
    sleep: run.sleep,
    onRetry: e => run.log.debug(`Resource Manager: ${describeRetry(e)}`)
  })
  const scene = { identity: settings.identity }

  let visible: ArmSubscription[]
  try {
    visible = await readAllPages(rate, token => plane.subscriptions(token))
  } catch (error) {
    throw new StepError(`Could not list the subscriptions: ${explainManagement(error, scene)}`)
  }
  const targets = chooseSubscriptions(visible, settings.subscriptions)
  run.log.info(
    settings.subscriptions.length > 0
      ? `Reading ${targets.length} named subscriptions in ${settings.cloud.name} (${visible.length} visible to this identity)`
      : `Reading the ${targets.length} subscriptions visible to this identity in ${settings.cloud.name}`
  )
  if (targets.length === 0) {
    run.log.warning(
      `This identity sees no subscription in ${settings.cloud.name}: grant it 'Reader' on the subscriptions to discover`
    )
  }

  const keeps = leftOutReason(settings.filter)
  const found: FleetVault[] = []
  const queue = [...targets]
  const worker = async (): Promise<void> => {
    for (let sub = queue.shift(); sub; sub = queue.shift()) {
      const shown = sub.displayName
        ? `'${escapeLog(sub.displayName)}' (${sub.subscriptionId})`
        : sub.subscriptionId
      try {
        const vaults = await readAllPages(rate, token => plane.vaults(sub!.subscriptionId, token))
        const kept = vaults.filter(v => keeps(v) === undefined).length
        found.push(...vaults)
        report.subscriptions.push({
          subscriptionId: sub.subscriptionId,
          displayName: sub.displayName,
          listed: vaults.length,
          kept
        })
        run.log.info(`Subscription ${shown}: ${vaults.length} vaults listed, ${kept} kept by the filters`)
      } catch (error) {
        const reason =
          (sub.hidden ? 'not visible to this identity; ' : '') +
          explainManagement(error, { ...scene, subscriptionId: sub.subscriptionId })
        report.unreadable.push({ subscriptionId: sub.subscriptionId, displayName: sub.displayName, reason })
        run.log.warning(`Subscription ${shown} not read: ${reason}`)
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(SUBSCRIPTION_CONCURRENCY, targets.length) }, worker))
  // Workers finish in any order: the report lists subscriptions as they were chosen.
  const order = new Map(targets.map((t, i) => [t.subscriptionId, i]))
  const byOrder = (a: { subscriptionId: string }, b: { subscriptionId: string }) =>
    (order.get(a.subscriptionId) ?? 0) - (order.get(b.subscriptionId) ?? 0)
  report.subscriptions.sort(byOrder)
  report.unreadable.sort(byOrder)

  const selection = filterVaults(found, settings.filter)
  report.leftOut = selection.leftOut
  report.groups = groupVaults(selection.selected, settings.maxJobs)
  report.vaults = report.groups.flatMap(g => g.vaults)
  run.log.info(
    `Found ${report.vaults.length} vaults (${found.length} listed) in ${report.groups.length} groups of at most ` +
      `${Math.max(0, ...report.groups.map(g => g.vaults.length))}`
  )
  if (report.vaults.length === 0 && report.unreadable.length === 0)
    run.log.warning('Discover found no vault: the matrix holds one placeholder group with no vaults')
  const tooLarge = outputSizeWarning(discoverOutputs(report))
  if (tooLarge) run.log.warning(tooLarge)
}

interface Target extends ArmSubscription {
  /** Named in `subscriptions` but not listed for this identity. */
  hidden?: boolean
}

/**
 * The subscriptions to read: every visible one, or those named (in the order given). A named one
 * that is not visible is still tried: its refusal (403 with the missing role, 401 for another
 * tenant, 404 for a wrong id) tells the user more than "not visible" would.
 */
export function chooseSubscriptions(visible: readonly ArmSubscription[], named: readonly string[]): Target[] {
  if (named.length === 0) return [...visible]
  return named.map(id => {
    const found = visible.find(s => s.subscriptionId.toLowerCase() === id.toLowerCase())
    return found ?? { subscriptionId: id, displayName: '', hidden: true }
  })
}
