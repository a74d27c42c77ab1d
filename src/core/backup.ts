import { describeVaultError } from './errors.js'
import { blobFile, manifestItem, type ManifestItem } from './manifest.js'
import type { ItemOutcome } from './outcomes.js'
import type { ProgressReporter } from './progress.js'
import type { RateController } from './rate.js'
import { selectItems, type SelectionFilter } from './selection.js'
import type { ItemType, Logger, VaultItem } from './types.js'
import { checkVersionLimit, singular } from './versions.js'

/** The vault calls backup needs, and nothing that reads a value. */
export interface VaultReader {
  listItems(type: ItemType): Promise<VaultItem[]>
  countVersions(type: ItemType, name: string): Promise<number>
  /** The version ids, when the reader can list them; recorded so a restore can recognise its own work. */
  listVersionIds?(type: ItemType, name: string): Promise<string[]>
  backup(type: ItemType, name: string): Promise<Uint8Array>
}

/** Where blobs go; the folder adapter writes each to disk as it arrives. */
export interface BlobSink {
  writeBlob(file: string, bytes: Uint8Array): Promise<{ size: number; sha256: string }>
}

export interface BackupDeps {
  vault: VaultReader
  /** Absent in a dry run. */
  sink?: BlobSink
  rate: RateController
  log: Logger
  progress?: ProgressReporter
  /** Turns a failure into a user-facing reason; sign-in problems get their own explanation. */
  explainError?: (error: unknown, type: ItemType, operation: 'list' | 'backup') => string
}

export interface BackupRequest {
  filter: SelectionFilter
  dryRun: boolean
}

export interface BackupResult {
  outcomes: ItemOutcome[]
  /** Manifest entries of the blobs written. */
  items: ManifestItem[]
}

/**
 * Backs up the selected items: list each selected type, select, then per item count versions (the
 * 500 limit), back up and hand the blob to the sink. Every item gets exactly one outcome; failures
 * never stop the others. A dry run stops after counting versions.
 */
export async function runBackup(deps: BackupDeps, request: BackupRequest): Promise<BackupResult> {
  const explain = deps.explainError ?? describeVaultError
  const result: BackupResult = { outcomes: [], items: [] }
  const listed: VaultItem[] = []

  for (const type of request.filter.types) {
    try {
      listed.push(...(await deps.rate.run(() => deps.vault.listItems(type))))
    } catch (error) {
      const reason = `listing ${type} failed: ${explain(error, type, 'list')}`
      deps.log.warning(reason)
      result.outcomes.push({ type, name: '*', status: 'failed', reason })
    }
  }

  const selection = selectItems(listed, request.filter)
  for (const skipped of selection.skipped) result.outcomes.push({ ...skipped, status: 'skipped' })
  deps.progress?.setTotal(selection.selected.length)
  deps.log.info(
    `${request.dryRun ? 'Dry run: would back up' : 'Backing up'} ${selection.selected.length} of ${listed.length} listed items`
  )

  // Workers pull from one queue; the rate controller decides how many calls are in flight.
  const queue = [...selection.selected]
  const worker = async (): Promise<void> => {
    for (let item = queue.shift(); item; item = queue.shift()) {
      const outcome = await backupItem(deps, item, request.dryRun, explain, result.items)
      result.outcomes.push(outcome)
      deps.progress?.record(outcome.status)
      deps.progress?.maybeReport()
    }
  }
  const workers = Math.max(1, Math.min(queue.length, deps.rate.concurrency))
  await Promise.all(Array.from({ length: workers }, worker))
  deps.progress?.maybeReport(true)
  return result
}

async function backupItem(
  deps: BackupDeps,
  item: VaultItem,
  dryRun: boolean,
  explain: NonNullable<BackupDeps['explainError']>,
  written: ManifestItem[]
): Promise<ItemOutcome> {
  const base = { type: item.type, name: item.name }
  let versionCount: number
  let versionIds: string[] | undefined
  try {
    const vault = deps.vault
    if (vault.listVersionIds) {
      versionIds = await deps.rate.run(() => vault.listVersionIds!(item.type, item.name))
      versionCount = versionIds.length
    } else versionCount = await deps.rate.run(() => vault.countVersions(item.type, item.name))
  } catch (error) {
    return {
      ...base,
      status: 'failed',
      reason: `listing versions failed: ${explain(error, item.type, 'list')}`
    }
  }
  const check = checkVersionLimit(item.type, item.name, versionCount)
  if (check.level === 'fail') return { ...base, status: 'failed', reason: check.message, versionCount }
  const warning = check.level === 'warn' ? check.message : undefined
  if (warning) deps.log.warning(warning)
  if (dryRun || !deps.sink) {
    deps.log.info(`Would back up ${singular(item.type)} '${item.name}' (${versionCount} versions)`)
    return { ...base, status: 'planned', versionCount, ...(warning && { warning }) }
  }
  const sink = deps.sink
  try {
    const file = blobFile(item.type, item.name)
    const bytes = await deps.rate.run(() => deps.vault.backup(item.type, item.name))
    const blob = await sink.writeBlob(file, bytes)
    written.push(manifestItem(item, { file, ...blob }, versionCount, versionIds))
    deps.log.debug(
      `Backed up ${singular(item.type)} '${item.name}' (${versionCount} versions, ${blob.size} bytes)`
    )
    return { ...base, status: 'backed-up', versionCount, file, size: blob.size, ...(warning && { warning }) }
  } catch (error) {
    return {
      ...base,
      status: 'failed',
      reason: `backup failed: ${explain(error, item.type, 'backup')}`,
      versionCount
    }
  }
}
