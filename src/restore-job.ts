import type { TokenCredential } from '@azure/identity'
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { DownloadedArtifact } from './adapters/artifact.js'
import type { ArtifactSource } from './adapters/artifact.js'
import { readVerifiedBlob, verifyForRestore } from './adapters/backup-source.js'
import { createVaultClients, KeyVaultWriter } from './adapters/keyvault.js'
import { errorMessage } from './core/errors.js'
import { escapeLog } from './core/text.js'
import type { ManifestItem } from './core/manifest.js'
import { describeRetry, RateController } from './core/rate.js'
import { planDocument, planLines, type RestoreReport } from './core/restore-report.js'
import {
  executeRestore,
  ForeignWorldError,
  planRestore,
  verifyRestored,
  type RestoreOutcome,
  type VaultWriter
} from './core/restore.js'
import { selectItems } from './core/selection.js'
import { realSleep, systemClock, type Clock, type Logger, type Sleep } from './core/types.js'
import { defaultPollSettings, type PollSettings } from './core/wait.js'
import type { BackupSettings, RestoreOptions } from './inputs.js'
import { TOOL_NAME, TOOL_VERSION } from './version.js'

export interface RestoreJobDeps {
  credential: TokenCredential
  log: Logger
  /** Sign-in specific explanations, tried before the vault error explanations. */
  explainSignIn?: (error: unknown) => string | undefined
  /** Fetches an artifact into a folder; absent in the CLI (which reads folders only). */
  download?: (source: ArtifactSource, path: string) => Promise<DownloadedArtifact>
  /** Called with the plan before anything is written (the action writes the job summary). */
  onPlan?: (report: RestoreReport) => Promise<void>
  /** Defaults to the SDK-backed writer; tests pass an in-memory vault. */
  vault?: VaultWriter
  clock?: Clock
  sleep?: Sleep
  poll?: Partial<PollSettings>
}

export type RestoreJobSettings = Pick<BackupSettings, 'vault' | 'filter' | 'concurrency' | 'dryRun'> &
  RestoreOptions

/** A short description of the source for logs and the summary. */
function describeSource(options: RestoreOptions): string {
  if (options.source.kind === 'path') return `folder ${options.source.path}`
  const a = options.source.artifact
  if (a.kind === 'current-run') return `artifact '${a.name}' of this run`
  if (a.kind === 'latest') return `the newest artifact '${a.name}' in ${a.repository}`
  return `artifact '${a.name}' of run ${a.runId} in ${a.repository}`
}

/**
 * The restore shared by the action and the CLI: fetch and verify the backup (nothing is written to
 * the vault if any check fails), select, read the target's state, plan, report the plan, then (unless
 * a dry run) execute and verify. Fills `report` as it goes, so a caller can still summarise a
 * failure; throws on a fatal problem.
 */
export async function restoreVault(
  settings: RestoreJobSettings,
  deps: RestoreJobDeps,
  report: RestoreReport
): Promise<RestoreReport> {
  const clock = deps.clock ?? systemClock
  const sleep = deps.sleep ?? realSleep
  const log = deps.log
  report.source = describeSource(settings)

  let source: string
  if (settings.source.kind === 'path') source = settings.source.path
  else {
    if (!deps.download) throw new Error('restoring from an artifact needs the runner (use path here)')
    await mkdir(settings.workDir, { recursive: true })
    source = await mkdtemp(join(settings.workDir, 'artifact-'))
    const artifact = await deps.download(settings.source.artifact, source)
    report.source += ` (id ${artifact.id}${artifact.runId ? `, run ${artifact.runId}` : ''}, digest ${artifact.digest} verified)`
    log.info(`Downloaded ${escapeLog(report.source)}`)
  }

  // Verify before any write: a failure here leaves the vault untouched.
  const { manifest, manifestSha256, root } = await verifyForRestore(source, settings.workDir)
  report.manifest = {
    sourceVault: manifest.source.vaultUrl,
    createdAt: manifest.createdAt,
    sha256: manifestSha256,
    items: manifest.items.length
  }
  log.info(
    `Verified the backup of ${escapeLog(manifest.source.vaultUrl)}: ${manifest.items.length} items, every SHA-256 matches`
  )

  const selection = selectItems(
    manifest.items.map(i => ({ ...i, managed: false })),
    settings.filter
  )
  const chosen = new Set(selection.selected.map(i => `${i.type}/${i.name}`))
  const items: ManifestItem[] = manifest.items.filter(i => chosen.has(`${i.type}/${i.name}`))
  report.filteredOut = manifest.items.length - items.length

  const rate = new RateController({
    concurrency: settings.concurrency,
    clock,
    sleep,
    onRetry: e => log.debug(describeRetry(e))
  })
  const vault =
    deps.vault ??
    new KeyVaultWriter(createVaultClients(settings.vault, deps.credential, `${TOOL_NAME}/${TOOL_VERSION}`))
  const explainSignIn = (error: unknown): never => {
    throw new Error(deps.explainSignIn?.(error) ?? errorMessage(error))
  }

  const { entries } = await planRestore({ vault, rate }, items, settings.policy).catch(explainSignIn)
  report.plan = entries
  log.info(
    `Restore plan for ${escapeLog(settings.vault.url)} (${items.length} items, ${report.filteredOut} left out by the filters):`
  )
  for (const line of planLines(entries)) log.info(line)
  await writePlan(settings, report, log)
  await deps.onPlan?.(report)
  if (settings.dryRun) {
    report.outcomes = entries.map(e => ({ ...e, status: 'planned' as const }))
    await writePlan(settings, report, log)
    return report
  }

  const poll: PollSettings = { ...defaultPollSettings(clock, sleep), ...deps.poll }
  const restoreDeps = {
    vault,
    rate,
    poll,
    log,
    readBlob: (item: ManifestItem) => readVerifiedBlob(root, item),
    sourceVault: manifest.source.vaultUrl,
    targetVault: settings.vault.url
  }
  try {
    report.outcomes = await executeRestore(restoreDeps, items, entries, settings.policy)
  } catch (error) {
    if (error instanceof ForeignWorldError) {
      report.outcomes = (error as ForeignWorldError & { outcomes: RestoreOutcome[] }).outcomes
    }
    throw error
  } finally {
    if (report.outcomes.length > 0) await writePlan(settings, report, log)
  }
  if (settings.verify) {
    await verifyRestored({ vault, rate }, items, report.outcomes)
    log.info('Verified: every restored item exists with the version count the manifest records')
  }
  await writePlan(settings, report, log)
  return report
}

// The plan file is rewritten as outcomes come in, so a killed run still leaves the plan behind.
async function writePlan(settings: RestoreJobSettings, report: RestoreReport, log: Logger): Promise<void> {
  try {
    await mkdir(settings.workDir, { recursive: true })
    const path = report.planPath ?? join(settings.workDir, `plan-${settings.vault.name}.json`)
    await writeFile(path, `${JSON.stringify(planDocument(report), null, 2)}\n`)
    report.planPath = path
  } catch (error) {
    log.warning(`Could not write the plan file: ${errorMessage(error)}`)
  }
}
