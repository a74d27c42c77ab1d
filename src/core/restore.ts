import { DeletedView, type DeletedName } from './deleted-view.js'
import { errorMessage } from './errors.js'
import { describeVaultError, type VaultOperation } from './explain.js'
import type { ManifestItem } from './manifest.js'
import { escapeLog } from './text.js'
import {
  decide,
  isPurgeProtected,
  sameVersions,
  stateLabel,
  type ConflictPolicy,
  type PlanEntry,
  type RestoreAction,
  type TargetState
} from './plan.js'
import { findNames, readAllPages, type Page } from './paging.js'
import type { RateController } from './rate.js'
import { ITEM_TYPES, type ItemType, type Logger } from './types.js'
import { singular } from './versions.js'
import { pollUntil, type PollSettings } from './wait.js'

/**
 * The vault calls restore needs: state reads by listing (never a value, never a single deleted
 * item, which would need `get`) and the writes the policies allow.
 */
export interface VaultWriter {
  /**
   * One page of the active object's version ids (none when there is no such object) and its
   * recovery level, from `continuationToken` (first page: undefined).
   */
  listVersions(
    type: ItemType,
    name: string,
    continuationToken?: string
  ): Promise<{ versionIds: string[]; recoveryLevel?: string; continuationToken?: string }>
  /** One page of the type's active objects (pending certificates included). */
  listActive(type: ItemType, continuationToken?: string): Promise<Page<TargetName>>
  /** One page of the type's soft-deleted objects (those whose delete is visible). */
  listDeleted(type: ItemType, continuationToken?: string): Promise<Page<DeletedName>>
  restore(type: ItemType, blob: Uint8Array): Promise<void>
  /** Starts a soft delete; the deleted view follows after the service's window. */
  startDelete(type: ItemType, name: string): Promise<void>
  purge(type: ItemType, name: string): Promise<void>
  /** Starts a recovery; the object answers 404 until it completes. */
  startRecover(type: ItemType, name: string): Promise<void>
}

/** An object of the target as its listing shows it. */
export interface TargetName {
  name: string
  recoveryLevel?: string
  /** A certificate's own key or secret. */
  managed?: boolean
}

export type { DeletedName } from './deleted-view.js'

/** Reads a blob for restore, checking it again against the manifest (the folder was verified earlier). */
export type BlobReader = (item: ManifestItem) => Promise<Uint8Array>

export type RestoreStatus = 'restored' | 'recovered' | 'skipped' | 'failed' | 'planned'

/** The plan row plus what happened. */
export interface RestoreOutcome extends PlanEntry {
  status: RestoreStatus
  /** Why it was skipped or failed; or a note on success. */
  reason?: string
}

/** What planning reads with. */
export interface TargetReader {
  vault: VaultWriter
  rate: RateController
  /** The deleted collections of the target, one view per type (see `deletedViews`). */
  deleted: Record<ItemType, DeletedView>
}

export interface RestoreDeps extends TargetReader {
  readBlob: BlobReader
  poll: PollSettings
  log: Logger
  /** The manifest's source vault, for the "another security world" explanation. */
  sourceVault: string
  targetVault: string
  /** Told about each item as it finishes (its index in the plan). */
  onOutcome?: (index: number, outcome: RestoreOutcome) => void
}

/** One deleted view per type, over the target's deleted listings. */
export function deletedViews(vault: VaultWriter, rate: RateController): Record<ItemType, DeletedView> {
  const view = (type: ItemType) => new DeletedView(token => vault.listDeleted(type, token), rate)
  return { secrets: view('secrets'), keys: view('keys'), certificates: view('certificates') }
}

/** Thrown when the target refuses blobs from another subscription or geography: no item can succeed. */
export class ForeignWorldError extends Error {}

const isStatus = (error: unknown, status: number): boolean =>
  (error as { statusCode?: unknown } | null)?.statusCode === status

/**
 * True for the service's refusal of a blob from another security world. Recognised by its text,
 * "Cannot decrypt backup blob.", whatever status and code carry it: no recording confirms them.
 */
export function isForeignBlobError(error: unknown): boolean {
  return /cannot decrypt (the )?backup blob/i.test(errorMessage(error))
}

/** Explains the "same subscription and geography" rule when the service cannot decrypt a blob. */
export function foreignWorldMessage(sourceVault: string, targetVault: string): string {
  // The source comes from the manifest: free text as far as the log is concerned.
  const [source, target] = [escapeLog(sourceVault), escapeLog(targetVault)]
  return (
    `The target vault ${target} refused the backup blobs ("Cannot decrypt backup blob."): a Key Vault ` +
    `backup restores only into a vault in the same Azure subscription AND the same Azure geography as the ` +
    `vault it came from (${source}). Vaults that qualify: any vault of that subscription whose region ` +
    `is in the same geography (for example West Europe and North Europe are both Europe). Another ` +
    `subscription, another geography or another tenant cannot read these blobs; nothing was restored. ` +
    `To bring these items there, use 'operation: copy' (values vault to vault).`
  )
}

/** An object's version ids and recovery level, page by page (each page retried on its own). */
export async function readVersions(
  deps: Pick<TargetReader, 'vault' | 'rate'>,
  type: ItemType,
  name: string
): Promise<{ versionIds: string[]; recoveryLevel?: string }> {
  let recoveryLevel: string | undefined
  const versionIds = await readAllPages(deps.rate, async token => {
    const page = await deps.vault.listVersions(type, name, token)
    recoveryLevel ??= page.recoveryLevel
    return {
      items: page.versionIds,
      ...(page.continuationToken && { continuationToken: page.continuationToken })
    }
  })
  return { versionIds, ...(recoveryLevel && { recoveryLevel }) }
}

/** Reads where one item's name stands in the target now: its versions, else the deleted listing. */
export async function inspectTarget(deps: TargetReader, item: ManifestItem): Promise<TargetState> {
  const active = await readVersions(deps, item.type, item.name)
  if (active.versionIds.length > 0) {
    return {
      kind: 'active',
      versionIds: active.versionIds,
      purgeProtected: isPurgeProtected(active.recoveryLevel)
    }
  }
  const deleted = await deps.deleted[item.type].find(item.name)
  return deleted ? deletedState(deleted) : { kind: 'absent' }
}

function deletedState(deleted: { recoveryLevel?: string; scheduledPurgeDate?: string }): TargetState {
  return {
    kind: 'deleted',
    purgeProtected: isPurgeProtected(deleted.recoveryLevel),
    ...(deleted.scheduledPurgeDate && { scheduledPurgeDate: deleted.scheduledPurgeDate })
  }
}

/** Inspects every item and decides its action: the plan, made before anything is written. */
export async function planRestore(
  deps: TargetReader,
  items: readonly ManifestItem[],
  policy: ConflictPolicy
): Promise<{ entries: PlanEntry[]; states: TargetState[] }> {
  const states: TargetState[] = new Array<TargetState>(items.length)
  await Promise.all(ITEM_TYPES.map(type => inspectType(deps, items, type, states)))
  const entries = items.map((item, i) => ({
    type: item.type,
    name: item.name,
    state: stateLabel(states[i]),
    decision: decide(item, states[i], policy)
  }))
  return { entries, states }
}

/**
 * Fills `states` for the items of one type. The type's active objects are listed (one call per
 * page of 25 tells about every name it does not hold) and only names found active are read one by
 * one (their version ids, which a listing does not give). A listing that needs more pages than the
 * items it informs (a big target, a small restore) is abandoned for reading each item's versions.
 * Names not active are looked up in the deleted listing.
 */
async function inspectType(
  deps: TargetReader,
  items: readonly ManifestItem[],
  type: ItemType,
  states: TargetState[]
): Promise<void> {
  const indexes = items.flatMap((item, i) => (item.type === type ? [i] : []))
  if (indexes.length === 0) return
  // The deleted listing runs beside the active one (a failure surfaces where it is awaited).
  const deletedListing = deps.deleted[type].listing()
  deletedListing.catch(() => undefined)
  const key = (i: number): string => items[i].name.toLowerCase()
  const active = await findNames(deps.rate, t => deps.vault.listActive(type, t), indexes.map(key))
  const toRead = active ? indexes.filter(i => active.has(key(i))) : indexes
  const versions = await Promise.all(toRead.map(i => readVersions(deps, type, items[i].name)))
  const found = new Map(toRead.map((i, n) => [i, versions[n]]))
  const deleted = await deletedListing
  for (const i of indexes) {
    const read = found.get(i)
    if (read && read.versionIds.length > 0) {
      states[i] = {
        kind: 'active',
        versionIds: read.versionIds,
        purgeProtected: isPurgeProtected(read.recoveryLevel)
      }
      continue
    }
    const entry = deleted.get(key(i))
    states[i] = entry ? deletedState(entry) : { kind: 'absent' }
  }
}

/** Certificates first: their blobs also bring back the key and secret they own. */
function executionGroups(items: readonly ManifestItem[]): number[][] {
  const certificates: number[] = []
  const others: number[] = []
  items.forEach((item, i) => (item.type === 'certificates' ? certificates : others).push(i))
  return [certificates, others]
}

/**
 * Executes a plan: certificates before keys and secrets, bounded parallelism through the rate
 * controller, polling through the service's asynchronous windows. One outcome per item, in the
 * plan's order. A blob from another security world stops the run (every other item would fail
 * the same way) and throws `ForeignWorldError` after the outcomes are filled in.
 */
export async function executeRestore(
  deps: RestoreDeps,
  items: readonly ManifestItem[],
  plan: readonly PlanEntry[],
  policy: ConflictPolicy
): Promise<RestoreOutcome[]> {
  const outcomes: (RestoreOutcome | undefined)[] = new Array(items.length)
  let foreign: string | undefined
  for (const group of executionGroups(items)) {
    const queue = [...group]
    const worker = async (): Promise<void> => {
      for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
        if (foreign) break
        try {
          outcomes[i] = await restoreOne(deps, items[i], plan[i], policy)
        } catch (error) {
          if (error instanceof ForeignWorldError) foreign = error.message
          outcomes[i] = { ...plan[i], status: 'failed', reason: errorMessage(error) }
        }
        deps.log.info(outcomeLine(outcomes[i]!))
        deps.onOutcome?.(i, outcomes[i]!)
      }
    }
    const workers = Math.max(1, Math.min(queue.length, deps.rate.concurrency))
    await Promise.all(Array.from({ length: workers }, worker))
  }
  // Items left when a foreign blob stopped the run are holes in `outcomes`: fill every index.
  const result = Array.from(
    { length: items.length },
    (_, i): RestoreOutcome =>
      outcomes[i] ?? {
        ...plan[i],
        status: 'failed',
        reason: 'not attempted: the target cannot read these blobs'
      }
  )
  if (foreign) throw Object.assign(new ForeignWorldError(foreign), { outcomes: result })
  return result
}

function outcomeLine(o: RestoreOutcome): string {
  return `${singular(o.type)} '${escapeLog(o.name)}': ${o.status}${o.reason ? ` (${escapeLog(o.reason)})` : ''}`
}

// A restore that meets a busy name hands back the state it then found, for a new decision.
type RestoreAttempt =
  { done: 'restored' | 'already-restored' } | { redecide: TargetState; beingDeleted: boolean }

async function restoreOne(
  deps: RestoreDeps,
  item: ManifestItem,
  entry: PlanEntry,
  policy: ConflictPolicy
): Promise<RestoreOutcome> {
  let row: PlanEntry = entry
  const act = async (op: VaultOperation, call: () => Promise<void>): Promise<void> => {
    try {
      await deps.rate.run(call)
    } catch (error) {
      throw new Error(`${op} failed: ${describeVaultError(error, item.type, op)}`)
    }
  }
  // Each round follows one decision; a name that turned out busy (409) leads to one new decision.
  for (let round = 0; round < 4; round++) {
    const action: RestoreAction = row.decision.action
    switch (action) {
      case 'skip':
        return { ...row, status: 'skipped', reason: row.decision.reason }
      case 'already-restored':
        return { ...row, status: 'skipped', reason: 'already restored (same versions): nothing to do' }
      case 'fail':
        return { ...row, status: 'failed', reason: row.decision.reason }
      case 'recover':
        await act('recover', () => deps.vault.startRecover(item.type, item.name))
        await waitForActive(deps, item)
        return { ...row, status: 'recovered' }
      case 'replace':
        await act('delete', () => deps.vault.startDelete(item.type, item.name))
        await waitForDeleted(deps, item)
        await act('purge', () => deps.vault.purge(item.type, item.name))
        break
      case 'purge-and-restore':
        await act('purge', () => deps.vault.purge(item.type, item.name))
        break
      case 'restore':
        break
    }
    const attempt = await restoreWithRetry(deps, item)
    if ('done' in attempt) {
      return attempt.done === 'restored'
        ? { ...row, status: 'restored' }
        : { ...row, status: 'skipped', reason: 'already restored (same versions): nothing to do' }
    }
    const state = attempt.redecide
    row = {
      ...row,
      state: attempt.beingDeleted ? 'being deleted' : stateLabel(state),
      decision: decide(item, state, policy)
    }
    deps.log.info(
      `${singular(item.type)} '${escapeLog(item.name)}': found ${row.state} when restoring; new decision: ${row.decision.action}`
    )
  }
  return { ...row, status: 'failed', reason: 'the name kept changing state during the restore' }
}

/**
 * Restores the blob, riding out a name that is still taken for a few seconds (just purged, being
 * deleted, being recovered): on 409 it reads the state again; while the name looks free it waits and
 * retries; once it finds an object (active or soft-deleted) it returns that state for a new decision.
 */
async function restoreWithRetry(deps: RestoreDeps, item: ManifestItem): Promise<RestoreAttempt> {
  const blob = await deps.readBlob(item)
  let beingDeleted = false
  return pollUntil<RestoreAttempt>(
    `the name of ${singular(item.type)} '${item.name}' to become free`,
    async () => {
      try {
        await deps.rate.run(() => deps.vault.restore(item.type, blob))
        return { done: 'restored' }
      } catch (error) {
        if (isForeignBlobError(error)) {
          throw new ForeignWorldError(foreignWorldMessage(deps.sourceVault, deps.targetVault))
        }
        if (!isStatus(error, 409))
          throw new Error(`restore failed: ${describeVaultError(error, item.type, 'restore')}`)
        if (/being deleted/i.test(errorMessage(error))) beingDeleted = true
      }
      const state = await inspectTarget(deps, item)
      if (state.kind === 'absent') return undefined
      if (state.kind === 'active' && sameVersions(item, state.versionIds)) return { done: 'already-restored' }
      return { redecide: state, beingDeleted }
    },
    deps.poll
  )
}

/** Waits until the deleted listing shows the item (one shared listing per round for all waiters). */
async function waitForDeleted(deps: RestoreDeps, item: ManifestItem): Promise<void> {
  await pollUntil(
    `the deleted ${singular(item.type)} '${item.name}' to appear in the deleted view`,
    async () => ((await deps.deleted[item.type].find(item.name)) ? true : undefined),
    deps.poll
  )
}

async function waitForActive(deps: RestoreDeps, item: ManifestItem): Promise<void> {
  await pollUntil(
    `${singular(item.type)} '${item.name}' to finish recovering`,
    async () => {
      const { versionIds } = await readVersions(deps, item.type, item.name)
      return versionIds.length > 0 ? true : undefined
    },
    deps.poll
  )
}

/**
 * Verify after: each restored item must exist with the manifest's version count (and ids, when
 * recorded); a recovered item must exist. A mismatch turns the outcome into a failure. Returns how
 * many items it checked and how many of them failed.
 */
export async function verifyRestored(
  deps: Pick<TargetReader, 'vault' | 'rate'>,
  items: readonly ManifestItem[],
  outcomes: RestoreOutcome[]
): Promise<{ checked: number; failed: number }> {
  const result = { checked: 0, failed: 0 }
  await Promise.all(
    outcomes.map(async (o, i) => {
      if (o.status !== 'restored' && o.status !== 'recovered') return
      result.checked++
      const item = items[i]
      try {
        const { versionIds } = await readVersions(deps, item.type, item.name)
        if (versionIds.length === 0) o.reason = 'verify: not found after restore'
        else if (o.status === 'restored' && versionIds.length !== item.versionCount) {
          o.reason = `verify: ${versionIds.length} versions found, the manifest records ${item.versionCount}`
        } else if (o.status === 'restored' && item.versionIds && !sameVersions(item, versionIds)) {
          o.reason = 'verify: the version ids differ from the manifest'
        } else return
      } catch (error) {
        o.reason = `verify: ${describeVaultError(error, item.type, 'list')}`
      }
      o.status = 'failed'
      result.failed++
    })
  )
  return result
}
