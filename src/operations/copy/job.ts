import { join } from 'node:path'
import { KeyVaultWriter } from '../../adapters/keyvault.js'
import { PlanFile } from '../../adapters/plan-file.js'
import type { VaultCapability } from '../../adapters/policies.js'
import { VaultValues } from '../../adapters/values.js'
import type { CopyPolicy } from '../../core/copy.js'
import { deletedViews } from '../../core/restore.js'
import { escapeLog } from '../../core/text.js'
import type { ItemType } from '../../core/types.js'
import type { Operation, Run, VaultConnection } from '../../lifecycle.js'
import { executeCopy, type CopyOutcome } from './execute.js'
import { planCopy, type CopySide } from './plan.js'
import type { CopySettings } from './settings.js'
import {
  copyFailures,
  copyOutputs,
  copyPlanDocument,
  copyPlanLines,
  newCopyReport,
  renderCopySummary,
  type CopyReport
} from './summary.js'

/** `operation: copy` (and `keyvault-backup copy`). */
export const copyOperation: Operation<CopySettings, CopyReport> = {
  name: 'copy',
  newReport: settings => newCopyReport(settings.vault.url, settings.target.url, settings),
  run: copyVault,
  outputs: copyOutputs,
  summary: report => renderCopySummary(report),
  failures: copyFailures
}

/** What the source may be sent: listings and value reads (and a key's backup). Nothing is written there. */
const SOURCE_CAPABILITIES: VaultCapability[] = ['list', 'read-values', 'backup']

/** What the target may be sent: reads to compare, writes, and only what the policies call for. */
export function copyTargetCapabilities(policy: CopyPolicy): VaultCapability[] {
  return [
    'list',
    'read-values',
    'write',
    'restore',
    ...(policy.ifExists === 'replace' ? (['delete', 'purge'] as const) : []),
    ...(policy.ifDeleted === 'purge' ? (['purge'] as const) : []),
    ...(policy.ifDeleted === 'recover' ? (['recover'] as const) : [])
  ]
}

function side(run: Run, connection: VaultConnection): CopySide {
  const writer = new KeyVaultWriter(connection.clients)
  return {
    connection,
    values: new VaultValues(connection.clients, value => run.mask(value)),
    writer,
    deleted: deletedViews(writer, connection.rate)
  }
}

/**
 * Copies values from one vault to another, directly: values are read into memory (masked at once)
 * and written to the target, never to a file, an artifact, a log line or an output. The plan (both
 * vaults read, every item compared) is published before the first write; a dry run stops there.
 */
export async function copyVault(run: Run, settings: CopySettings, report: CopyReport): Promise<void> {
  const firstType: ItemType = settings.filter.types[0]
  // Both sides connect at once (a sign-in they share is fetched once); a mistake on the source is
  // reported first, as if they had connected one after the other.
  const [sourceConnection, targetConnection] = await Promise.allSettled([
    run.connect(settings.vault, settings.identity, {
      allow: SOURCE_CAPABILITIES,
      firstType,
      concurrency: settings.concurrency
    }),
    run.connect(settings.target, settings.targetIdentity, {
      allow: copyTargetCapabilities(settings.policy),
      firstType,
      concurrency: settings.concurrency,
      inputs: {
        clientId: 'target-client-id',
        tenantId: 'target-tenant-id',
        environment: 'target-environment',
        audience: 'target-audience'
      }
    })
  ])
  if (sourceConnection.status === 'rejected') throw sourceConnection.reason
  if (targetConnection.status === 'rejected') throw targetConnection.reason
  const source = side(run, sourceConnection.value)
  const target = side(run, targetConnection.value)

  const plan = await planCopy(source, target, settings)
  report.plan = plan.entries
  report.leftOut = plan.leftOut
  report.planPath = join(settings.planDir, `plan-${settings.vault.name}-to-${settings.target.name}.json`)
  const file = new PlanFile(report.planPath, () => copyPlanDocument(report), run.clock, run.log)
  run.log.info(
    `Copy plan from ${escapeLog(settings.vault.url)} to ${escapeLog(settings.target.url)} (${plan.entries.length} items; ` +
      `${plan.leftOut.owned} certificate-owned left to their certificates, ${plan.leftOut.filtered} left out by the filters):`
  )
  for (const line of copyPlanLines(plan.entries)) run.log.info(line)
  await file.write()
  await run.publish()
  if (plan.entries.length === 0)
    run.log.warning('This copy copies nothing: the filters select no item of the source')
  if (settings.dryRun) {
    report.outcomes = plan.entries.map(e => ({ ...e, status: 'planned' as const }))
    await file.write()
    return
  }
  report.outcomes = new Array<CopyOutcome>(plan.entries.length)
  report.outcomes = await executeCopy(run, source, target, settings, plan, (i, outcome) => {
    report.outcomes[i] = outcome
    file.soon()
  })
  run.logRateControl(source.connection)
  run.logRateControl(target.connection)
  await file.write()
}
