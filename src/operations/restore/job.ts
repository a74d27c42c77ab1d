import { join } from 'node:path'
import { PlanFile } from '../../adapters/plan-file.js'
import type { VaultCapability } from '../../adapters/policies.js'
import { KeyVaultWriter } from '../../adapters/keyvault.js'
import { readVerifiedBlob } from '../../adapters/backup-source.js'
import { geographyOf } from '../../core/geography.js'
import { missingFromBackup, type Manifest, type ManifestItem } from '../../core/manifest.js'
import type { ConflictPolicy } from '../../core/plan.js'
import {
  deletedViews,
  executeRestore,
  ForeignWorldError,
  planRestore,
  verifyRestored,
  type RestoreOutcome
} from '../../core/restore.js'
import { selectItems } from '../../core/selection.js'
import { escapeLog } from '../../core/text.js'
import { defaultPollSettings } from '../../core/wait.js'
import { StepError, type Operation, type Run, type VaultConnection } from '../../lifecycle.js'
import type { RestoreSettings } from './settings.js'
import { fetchBackup } from './source.js'
import {
  newRestoreReport,
  planDocument,
  planLines,
  renderRestoreSummary,
  restoreFailures,
  restoreOutputs,
  type RestoreReport
} from './summary.js'

/** `operation: restore` (and `keyvault-backup restore`). */
export const restoreOperation: Operation<RestoreSettings, RestoreReport> = {
  name: 'restore',
  newReport: settings => newRestoreReport(settings.vault.url, settings.dryRun, settings.policy),
  run: restoreVault,
  outputs: restoreOutputs,
  summary: report => renderRestoreSummary(report),
  failures: restoreFailures
}

/** What the target must accept for these policies: nothing is deleted, purged or recovered otherwise. */
export function restoreCapabilities(policy: ConflictPolicy): VaultCapability[] {
  return [
    'list',
    'restore',
    ...(policy.ifExists === 'replace' ? (['delete', 'purge'] as const) : []),
    ...(policy.ifDeleted === 'purge' ? (['purge'] as const) : []),
    ...(policy.ifDeleted === 'recover' ? (['recover'] as const) : [])
  ]
}

/**
 * Restores a backup into the target: fetch and verify it (nothing is written to the vault if any
 * check fails, or if it is incomplete without `allow-partial`), select, read the target's state,
 * plan, publish the plan (log, summary, plan file), then (unless a dry run) execute and verify.
 */
export async function restoreVault(
  run: Run,
  settings: RestoreSettings,
  report: RestoreReport
): Promise<void> {
  const backup = await fetchBackup(run, settings)
  const { manifest } = backup
  report.source = backup.description
  report.passedOver = backup.passedOver
  report.manifest = {
    sourceVault: manifest.source.vaultUrl,
    createdAt: manifest.createdAt,
    sha256: backup.manifestSha256,
    items: manifest.items.length,
    complete: manifest.complete
  }
  if (settings.expectedManifestSha256 && settings.expectedManifestSha256 !== backup.manifestSha256) {
    throw new StepError(
      `The backup's manifest.json has SHA-256 ${backup.manifestSha256}, but 'manifest-sha256' expects ` +
        `${settings.expectedManifestSha256}: this is not the backup you named, so nothing was restored`
    )
  }
  run.log.info(
    `Verified the backup of ${escapeLog(manifest.source.vaultUrl)}: ${manifest.items.length} items, every SHA-256 matches`
  )
  if (!manifest.complete) {
    const missing = missingFromBackup(manifest)
    if (!settings.allowPartial) {
      throw new StepError(
        `The backup is incomplete, so nothing was restored. Not in it:\n- ${missing.map(escapeLog).join('\n- ')}\n` +
          `Restore a complete backup, or set 'allow-partial: true' to restore what it holds.`
      )
    }
    report.notInBackup = missing
    run.log.warning(
      `Restoring an incomplete backup (allow-partial): ${missing.length} entries are not in it and will not be restored`
    )
  }

  const selection = selectItems(
    manifest.items.map(i => ({ ...i, managed: false })),
    settings.filter
  )
  const chosen = new Set(selection.selected.map(i => `${i.type}/${i.name}`))
  const items: ManifestItem[] = manifest.items.filter(i => chosen.has(`${i.type}/${i.name}`))
  report.filteredOut = manifest.items.length - items.length
  report.planPath = join(settings.planDir, `plan-${settings.vault.name}.json`)
  const plan = new PlanFile(report.planPath, () => planDocument(report), run.clock, run.log)
  if (items.length === 0) {
    run.log.warning(
      `This restore restores nothing: the backup holds ${manifest.items.length} items and the filters select none of them`
    )
    await plan.write()
    return
  }

  const connection = await run.connect(settings.vault, settings.identity, {
    allow: restoreCapabilities(settings.policy),
    firstType: items[0].type,
    concurrency: settings.concurrency
  })
  await checkSecurityWorld(run, settings, manifest, connection)
  const vault = new KeyVaultWriter(connection.clients)
  const target = {
    vault,
    rate: connection.rate,
    deleted: deletedViews(vault, connection.rate)
  }
  const { entries } = await planRestore(target, items, settings.policy).catch((error: unknown) => {
    throw new StepError(`Reading the target failed: ${connection.explain(error, { operation: 'list' })}`)
  })
  report.plan = entries
  run.log.info(
    `Restore plan for ${escapeLog(settings.vault.url)} (${items.length} items, ${report.filteredOut} left out by the filters):`
  )
  for (const line of planLines(entries)) run.log.info(line)
  await plan.write()
  await run.publish()
  if (settings.dryRun) {
    report.outcomes = entries.map(e => ({ ...e, status: 'planned' as const }))
    await plan.write()
    return
  }

  report.outcomes = new Array<RestoreOutcome>(entries.length)
  try {
    report.outcomes = await executeRestore(
      {
        ...target,
        readBlob: item => readVerifiedBlob(backup.root, item),
        poll: defaultPollSettings(run.clock, run.sleep),
        log: run.log,
        sourceVault: manifest.source.vaultUrl,
        targetVault: settings.vault.url,
        onOutcome: (i, outcome) => {
          report.outcomes[i] = outcome
          plan.soon()
        }
      },
      items,
      entries,
      settings.policy
    )
  } catch (error) {
    if (error instanceof ForeignWorldError) {
      report.outcomes = (error as ForeignWorldError & { outcomes: RestoreOutcome[] }).outcomes
      await plan.write()
      throw new StepError(error.message)
    }
    throw error
  }
  run.logRateControl(connection)
  if (settings.verify) {
    const verified = await verifyRestored(target, items, report.outcomes)
    if (verified.failed === 0) {
      run.log.info(
        `Verified: the ${verified.checked} restored items exist with the version counts the manifest records`
      )
    } else {
      run.log.warning(
        `Verification failed for ${verified.failed} of ${verified.checked} restored items (see the failures)`
      )
    }
  }
  await plan.write()
}

/**
 * Refuses, before any write, a target outside the backup's security world: another geography (the
 * regions the vaults answer from place them) or, when Resource Manager lets the identity read the
 * target's resource, another subscription. Without that permission the subscription is left to the
 * service (its refusal at the first restore is explained then), said once in the log.
 */
async function checkSecurityWorld(
  run: Run,
  settings: RestoreSettings,
  manifest: Manifest,
  connection: VaultConnection
): Promise<void> {
  const source = manifest.source
  const sourceGeography = source.geography ?? geographyOf(source.location)
  const targetRegion = connection.region()
  const targetGeography = geographyOf(targetRegion)
  const refuse = (what: string): never => {
    throw new StepError(
      `The target vault '${escapeLog(settings.vault.name)}' is in ${what}: a Key Vault backup restores only into a vault ` +
        `of the same Azure subscription and the same geography, so nothing was restored. To bring these items there, ` +
        `use 'operation: copy' (values vault to vault, across subscriptions, geographies and tenants).`
    )
  }
  if (sourceGeography && targetGeography && sourceGeography !== targetGeography) {
    refuse(
      `geography ${targetGeography} (${targetRegion}), the backup's vault '${escapeLog(source.vaultName)}' in ${sourceGeography}` +
        (source.location ? ` (${escapeLog(source.location)})` : '')
    )
  }
  const found = await run.vaultResource(settings.vault, settings.identity)
  if ('unreadable' in found) {
    run.log.info(
      `The target's subscription could not be read (${found.unreadable}); the service checks it at the first restore`
    )
    return
  }
  if (!source.subscriptionId) {
    run.log.info(
      "The backup does not record its vault's subscription; the service checks it at the first restore"
    )
    return
  }
  if (found.resource.subscriptionId.toLowerCase() !== source.subscriptionId.toLowerCase()) {
    refuse(
      `subscription ${found.resource.subscriptionId}, the backup's vault '${escapeLog(source.vaultName)}' in subscription ${escapeLog(source.subscriptionId)}`
    )
  }
}
