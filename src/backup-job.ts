import type { TokenCredential } from '@azure/identity'
import { BackupFolderWriter } from './adapters/folder.js'
import { createVaultClients, KeyVaultReader } from './adapters/keyvault.js'
import { runBackup, type BackupDeps, type VaultReader } from './core/backup.js'
import { describeVaultError } from './core/errors.js'
import { buildManifest } from './core/manifest.js'
import { ProgressReporter } from './core/progress.js'
import { describeRetry, RateController } from './core/rate.js'
import type { BackupReport } from './core/report.js'
import { realSleep, systemClock, type Clock, type ItemType, type Logger, type Sleep } from './core/types.js'
import type { BackupSettings } from './inputs.js'
import { TOOL_NAME, TOOL_VERSION } from './version.js'

export interface BackupJobDeps {
  credential: TokenCredential
  log: Logger
  tenantId?: string
  /** Sign-in specific explanations, tried before the vault error explanations. */
  explainSignIn?: (error: unknown) => string | undefined
  /** Defaults to the SDK-backed reader; tests pass an in-memory vault. */
  vault?: VaultReader
  clock?: Clock
  sleep?: Sleep
}

export interface BackupJobResult {
  report: BackupReport
  /** The blobs written, relative to the folder beside manifest.json (empty in a dry run). */
  blobs: string[]
}

/**
 * The backup shared by the action and the CLI: run the core over the vault, write blobs and the
 * manifest into the folder, log progress. Uploading is the caller's business.
 */
export async function backupVault(settings: BackupSettings, deps: BackupJobDeps): Promise<BackupJobResult> {
  const clock = deps.clock ?? systemClock
  const rate = new RateController({
    concurrency: settings.concurrency,
    clock,
    sleep: deps.sleep ?? realSleep,
    onRetry: e => deps.log.debug(describeRetry(e))
  })
  const vault =
    deps.vault ??
    new KeyVaultReader(createVaultClients(settings.vault, deps.credential, `${TOOL_NAME}/${TOOL_VERSION}`))
  const progress = new ProgressReporter(clock, deps.log, 5000, () => rate.concurrency)
  const folder = settings.dryRun ? undefined : new BackupFolderWriter(settings.path)
  const explainError: BackupDeps['explainError'] = (error: unknown, type: ItemType, op: 'list' | 'backup') =>
    deps.explainSignIn?.(error) ?? describeVaultError(error, type, op)

  // A timer keeps the progress line coming while slow items are in flight.
  const timer = setInterval(() => progress.maybeReport(), 1000)
  timer.unref()
  const createdAt = new Date(clock.now()).toISOString()
  let result
  try {
    result = await runBackup({ vault, sink: folder, rate, log: deps.log, progress, explainError }, settings)
  } finally {
    clearInterval(timer)
  }
  if (rate.stats.throttled + rate.stats.transientRetries > 0) {
    deps.log.info(
      `Rate control: ${rate.stats.throttled} throttled, ${rate.stats.transientRetries} transient retries`
    )
  }

  const report: BackupReport = {
    vaultUrl: settings.vault.url,
    dryRun: settings.dryRun,
    outcomes: result.outcomes,
    items: result.items
  }
  if (!folder) return { report, blobs: [] }

  const manifest = buildManifest({
    tool: { name: TOOL_NAME, version: TOOL_VERSION },
    createdAt,
    source: {
      vaultUrl: settings.vault.url,
      vaultName: settings.vault.name,
      cloud: settings.cloud.name,
      ...(deps.tenantId && { tenantId: deps.tenantId })
    },
    items: result.items,
    skipped: result.outcomes
      .filter(o => o.status === 'skipped')
      .map(o => ({ type: o.type, name: o.name, reason: o.reason ?? '' })),
    failed: result.outcomes
      .filter(o => o.status === 'failed')
      .map(o => ({ type: o.type, name: o.name, reason: o.reason ?? '' }))
  })
  const written = await folder.writeManifest(manifest)
  report.manifestSha256 = written.sha256
  report.backupPath = settings.path
  return { report, blobs: folder.blobFiles() }
}
