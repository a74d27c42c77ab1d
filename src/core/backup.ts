import type { VaultOperation } from './explain.js'
import { blobFile, manifestItem, type ManifestItem } from './manifest.js'
import type { ItemOutcome } from './outcomes.js'
import { forEachPage, readAllPages, type Page } from './paging.js'
import type { ProgressReporter } from './progress.js'
import { WorkQueue } from './queue.js'
import type { RateController } from './rate.js'
import { selectItems, type SelectionFilter } from './selection.js'
import type { ItemType, Logger, VaultItem } from './types.js'
import { checkVersionLimit, singular } from './versions.js'

/** The vault calls backup needs, and nothing that reads a value. Listings are read one page per call. */
export interface VaultReader {
  /** One page of a type's listing (latest-version properties), from `continuationToken` (first page: undefined). */
  listItems(type: ItemType, continuationToken?: string): Promise<Page<VaultItem>>
  /** One page of an object's version ids; recorded so a restore can recognise its own work. */
  listVersionIds(type: ItemType, name: string, continuationToken?: string): Promise<Page<string>>
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
  /** Turns a failure into a user-facing reason. */
  explain: (error: unknown, type: ItemType, operation: VaultOperation) => string
}

export interface BackupRequest {
  filter: SelectionFilter
  dryRun: boolean
}

/** A type whose listing failed: its items after the last page read are missing from the backup. */
export interface ListingFailure {
  type: ItemType
  reason: string
}

export interface BackupResult {
  /** One per listed item. */
  outcomes: ItemOutcome[]
  /** Manifest entries of the blobs written. */
  items: ManifestItem[]
  listingFailures: ListingFailure[]
}

// Items listed but not yet started. Enough to keep every worker busy while the next pages arrive,
// small enough that memory does not grow with the vault.
const QUEUE_HIGH_WATER = 200

/**
 * Backs up the selected items. The selected types are listed concurrently, page by page (each page
 * one retryable call), and each page's selected items go straight to the workers, so backups start
 * while listing continues. Per item: list its versions (the 500 limit), back up, hand the blob to the
 * sink. Every item gets exactly one outcome; failures never stop the others. A dry run stops after
 * counting versions.
 */
export async function runBackup(deps: BackupDeps, request: BackupRequest): Promise<BackupResult> {
  const explain = deps.explain
  const result: BackupResult = { outcomes: [], items: [], listingFailures: [] }
  const queue = new WorkQueue<VaultItem>(QUEUE_HIGH_WATER)
  let listed = 0
  let selected = 0

  const listType = async (type: ItemType): Promise<void> => {
    try {
      await forEachPage(
        deps.rate,
        token => deps.vault.listItems(type, token),
        async page => {
          listed += page.length
          const selection = selectItems(page, request.filter)
          for (const skipped of selection.skipped) result.outcomes.push({ ...skipped, status: 'skipped' })
          selected += selection.selected.length
          deps.progress?.setTotal(selected)
          await queue.push(selection.selected)
        },
        { ahead: true }
      )
    } catch (error) {
      // Items of the pages read so far are backed up; the type is recorded as incomplete.
      const reason = `listing ${type} failed: ${explain(error, type, 'list')}`
      deps.log.warning(reason)
      result.listingFailures.push({ type, reason })
    }
  }
  const listing = Promise.all(request.filter.types.map(listType)).then(() => {
    queue.close()
    deps.log.info(
      `${request.dryRun ? 'Dry run: would back up' : 'Backing up'} ${selected} of ${listed} listed items`
    )
  })

  // Workers pull from one queue; the rate controller decides how many calls are in flight.
  const worker = async (): Promise<void> => {
    for (let item = await queue.take(); item; item = await queue.take()) {
      const outcome = await backupItem(deps, item, request.dryRun, explain, result.items)
      result.outcomes.push(outcome)
      deps.progress?.record(outcome.status)
      deps.progress?.maybeReport()
    }
  }
  const workers = Math.max(1, deps.rate.concurrency)
  await Promise.all([listing, ...Array.from({ length: workers }, worker)])
  deps.progress?.maybeReport(true)
  return result
}

async function backupItem(
  deps: BackupDeps,
  item: VaultItem,
  dryRun: boolean,
  explain: BackupDeps['explain'],
  written: ManifestItem[]
): Promise<ItemOutcome> {
  const base = { type: item.type, name: item.name }
  let versionIds: string[]
  try {
    versionIds = await readAllPages(deps.rate, token =>
      deps.vault.listVersionIds(item.type, item.name, token)
    )
  } catch (error) {
    return {
      ...base,
      status: 'failed',
      reason: `listing versions failed: ${explain(error, item.type, 'list')}`
    }
  }
  const versionCount = versionIds.length
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
