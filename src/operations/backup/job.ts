import { uploadBackup } from '../../adapters/artifact.js'
import { BackupFolderWriter } from '../../adapters/folder.js'
import { KeyVaultReader } from '../../adapters/keyvault.js'
import { runBackup } from '../../core/backup.js'
import { buildManifest } from '../../core/manifest.js'
import { ProgressReporter } from '../../core/progress.js'
import { escapeLog } from '../../core/text.js'
import { StepError, type Operation, type Run } from '../../lifecycle.js'
import { TOOL_NAME, TOOL_VERSION } from '../../version.js'
import type { BackupSettings } from './settings.js'
import {
  backupFailures,
  backupOutputs,
  newBackupReport,
  renderBackupSummary,
  type BackupReport
} from './summary.js'

/** `operation: backup` (and `keyvault-backup backup`). */
export const backupOperation: Operation<BackupSettings, BackupReport> = {
  name: 'backup',
  newReport: settings => newBackupReport(settings.vault, settings.dryRun),
  run: backupVault,
  outputs: backupOutputs,
  summary: report => renderBackupSummary(report),
  failures: backupFailures
}

/**
 * Backs up one vault: connect (sign in, first call), list and back up every selected item into
 * the folder, write the manifest (complete or not, and why), upload the folder as an artifact. A
 * backup that backed up nothing and is incomplete writes and uploads nothing.
 */
export async function backupVault(run: Run, settings: BackupSettings, report: BackupReport): Promise<void> {
  const connection = await run.connect(settings.vault, settings.identity, {
    allow: ['list', 'backup'],
    firstType: settings.filter.types[0],
    concurrency: settings.concurrency
  })
  const progress = new ProgressReporter(run.clock, run.log, 5000, () => connection.rate.concurrency)
  const folder = settings.dryRun ? undefined : new BackupFolderWriter(settings.path)
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

  const manifest = buildManifest({
    tool: { name: TOOL_NAME, version: TOOL_VERSION },
    createdAt,
    source: {
      vaultUrl: settings.vault.url,
      vaultName: settings.vault.name,
      cloud: settings.identity.cloud.name,
      ...(settings.identity.tenantId && { tenantId: settings.identity.tenantId })
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
      `Nothing was backed up from vault '${escapeLog(settings.vault.name)}', so no backup was written or uploaded.\n${backupFailures(report)}`
    )
  }
  const written = await folder.writeManifest(manifest)
  report.manifestSha256 = written.sha256
  report.backupPath = settings.path
  if (!manifest.complete) {
    run.log.warning(
      `The backup of '${escapeLog(settings.vault.name)}' is incomplete: it holds what succeeded and is marked incomplete, so a restore refuses it unless 'allow-partial: true'`
    )
  }
  if (settings.upload) {
    const { name, retentionDays, compressionLevel } = settings.upload
    const artifact = await uploadBackup(settings.path, folder.blobFiles(), {
      name,
      retentionDays,
      compressionLevel
    })
    report.artifact = { name, ...artifact }
    run.log.info(`Uploaded artifact '${name}' (id ${artifact.id}, ${artifact.size} bytes): ${artifact.url}`)
  }
}
