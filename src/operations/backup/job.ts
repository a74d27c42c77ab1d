import { uploadBackup } from '../../adapters/artifact.js'
import { BackupFolderWriter } from '../../adapters/folder.js'
import { KeyVaultReader } from '../../adapters/keyvault.js'
import { runBackup } from '../../core/backup.js'
import { geographyOf } from '../../core/geography.js'
import { buildManifest } from '../../core/manifest.js'
import { ProgressReporter } from '../../core/progress.js'
import { mapLimited } from '../../core/queue.js'
import { escapeLog } from '../../core/text.js'
import { StepError, type Operation, type Run } from '../../lifecycle.js'
import { TOOL_NAME, TOOL_VERSION } from '../../version.js'
import type { BackupSettings, BackupTarget } from './settings.js'
import {
  backupFailures,
  backupOutputs,
  newBackupReport,
  renderBackupSummary,
  type BackupReport,
  type VaultBackupReport
} from './summary.js'

/** `operation: backup` (and `keyvault-backup backup`). */
export const backupOperation: Operation<BackupSettings, BackupReport> = {
  name: 'backup',
  newReport: settings =>
    newBackupReport(
      settings.targets.map(t => t.vault),
      settings.dryRun
    ),
  run: backupVaults,
  outputs: backupOutputs,
  summary: report => renderBackupSummary(report),
  failures: backupFailures
}

/**
 * Backs up each vault of the step on its own (its own folder, manifest and artifact), one after
 * another or up to `vault-concurrency` at once. With one vault its failure is the step's; with
 * several, a vault that fails is recorded and the others go on.
 */
export async function backupVaults(run: Run, settings: BackupSettings, report: BackupReport): Promise<void> {
  if (settings.targets.length === 1) return backupVault(run, settings, settings.targets[0], report.vaults[0])
  await mapLimited(settings.targets, settings.vaultConcurrency, async (target, i) => {
    run.log.info(`Backing up vault ${i + 1} of ${settings.targets.length}: ${target.vault.url}`)
    try {
      await backupVault(run, settings, target, report.vaults[i])
    } catch (error) {
      report.vaults[i].fatal = run.explainFatal(error)
      run.log.warning(
        `The backup of vault '${escapeLog(target.vault.name)}' failed: ${report.vaults[i].fatal}`
      )
    }
  })
}

/**
 * Backs up one vault: connect (sign in, first call), list and back up every selected item into
 * the folder, write the manifest (complete or not, and why; where the vault lives, when Resource
 * Manager lets the identity read it), upload the folder as an artifact. A backup that backed up
 * nothing and is incomplete writes and uploads nothing.
 */
export async function backupVault(
  run: Run,
  settings: BackupSettings,
  target: BackupTarget,
  report: VaultBackupReport
): Promise<void> {
  const connection = await run.connect(target.vault, settings.identity, {
    allow: ['list', 'backup'],
    firstType: settings.filter.types[0],
    concurrency: settings.concurrency
  })
  const progress = new ProgressReporter(run.clock, run.log, 5000, () => connection.rate.concurrency)
  const folder = settings.dryRun ? undefined : new BackupFolderWriter(target.path)
  // Where the vault lives, read beside the backup (Resource Manager is another host and token).
  const resource = settings.dryRun ? undefined : run.vaultResource(target.vault, settings.identity)
  const createdAt = new Date(run.clock.now()).toISOString()
  // A timer keeps the progress line coming while slow items are in flight.
  const timer = setInterval(() => progress.maybeReport(), 1000)
  timer.unref()
  let result
  try {
    result = await runBackup(
      {
        vault: new KeyVaultReader(connection.clients),
        sink: folder,
        rate: connection.rate,
        log: run.log,
        progress,
        explain: (error, type, operation) => connection.explain(error, { type, operation })
      },
      settings
    )
  } finally {
    clearInterval(timer)
  }
  report.outcomes = result.outcomes
  report.items = result.items
  report.listingFailures = result.listingFailures
  run.logRateControl(connection)
  if (!folder) return

  const found = await resource!
  const region = 'resource' in found ? found.resource.location : connection.region()
  if ('unreadable' in found) run.log.info(`The vault's subscription is not recorded: ${found.unreadable}`)
  report.location = {
    ...('resource' in found && {
      subscriptionId: found.resource.subscriptionId,
      resourceGroup: found.resource.resourceGroup
    }),
    ...(region && { location: region }),
    ...(geographyOf(region) && { geography: geographyOf(region) })
  }
  const tenantId =
    'resource' in found && found.resource.tenantId ? found.resource.tenantId : settings.identity.tenantId
  const manifest = buildManifest({
    tool: { name: TOOL_NAME, version: TOOL_VERSION },
    createdAt,
    source: {
      vaultUrl: target.vault.url,
      vaultName: target.vault.name,
      cloud: settings.identity.cloud.name,
      ...(tenantId && { tenantId }),
      ...report.location
    },
    incompleteTypes: result.listingFailures,
    items: result.items,
    skipped: result.outcomes
      .filter(o => o.status === 'skipped')
      .map(o => ({ type: o.type, name: o.name, reason: o.reason ?? '' })),
    failed: result.outcomes
      .filter(o => o.status === 'failed')
      .map(o => ({ type: o.type, name: o.name, reason: o.reason ?? '' }))
  })
  report.complete = manifest.complete
  if (result.items.length === 0 && !manifest.complete) {
    report.notUploaded = 'no item could be backed up'
    throw new StepError(
      `Nothing was backed up from vault '${escapeLog(target.vault.name)}', so no backup was written or uploaded.\n${backupFailures({ dryRun: false, vaults: [report] })}`
    )
  }
  const written = await folder.writeManifest(manifest)
  report.manifestSha256 = written.sha256
  report.backupPath = target.path
  if (!manifest.complete) {
    run.log.warning(
      `The backup of '${escapeLog(target.vault.name)}' is incomplete: it holds what succeeded and is marked incomplete, so a restore refuses it unless 'allow-partial: true'`
    )
  }
  if (settings.upload) {
    const name = target.artifactName
    const artifact = await uploadBackup(target.path, folder.blobFiles(), { name, ...settings.upload })
    report.artifact = { name, ...artifact }
    run.log.info(`Uploaded artifact '${name}' (id ${artifact.id}, ${artifact.size} bytes): ${artifact.url}`)
  }
}
