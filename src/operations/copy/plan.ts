import { KeyVaultReader, KeyVaultWriter } from '../../adapters/keyvault.js'
import type { SourcePolicy, VaultValues, VersionInfo } from '../../adapters/values.js'
import {
  copyStateLabel,
  decideCopy,
  deletedFound,
  sameCertificateVersion,
  samePolicy,
  sameSecretVersion,
  versionsMissing,
  type CopyDecision,
  type CopyFound,
  type CopyState,
  type SecretVersionShape
} from '../../core/copy.js'
import type { DeletedName, DeletedView } from '../../core/deleted-view.js'
import type { TargetName as ListedName } from '../../core/restore.js'
import { findNames, forEachPage, LearntNames, readAllPages } from '../../core/paging.js'
import { mapLimited } from '../../core/queue.js'
import { isPurgeProtected } from '../../core/plan.js'
import { geographyOf } from '../../core/geography.js'
import { renamed, renameProblems } from '../../core/rename.js'
import { selectItems } from '../../core/selection.js'
import type { ItemType, VaultItem } from '../../core/types.js'
import { StepError, type VaultConnection } from '../../lifecycle.js'
import type { CopySettings } from './settings.js'

/** One side of a copy as the plan and the execution use it. */
export interface CopySide {
  connection: VaultConnection
  values: VaultValues
  /** Restore's listing, delete, purge and recover calls (the target side). */
  writer: KeyVaultWriter
  deleted: Record<ItemType, DeletedView>
}

/** A source item to copy, with what the plan learnt about it. */
export interface CopyItem {
  type: ItemType
  name: string
  /** The name in the target (after `rename`). */
  target: string
  /** The listing's view of the item (its current version's properties). */
  listed: VaultItem
  /** Versions to copy, oldest first; for `versions: latest` of a secret, filled when its value is read. */
  versions: VersionInfo[]
  /** Certificates: the source policy as copy carries it. */
  policy?: SourcePolicy
  /** Secrets read while comparing (kept only for items that will be updated). */
  read?: SecretVersionShape[]
  /** The current secret version's value, read ahead while the listings ran (see ReadAhead). */
  reading?: Promise<SecretVersionShape[] | undefined>
  /** A certificate's `prepareSource`, run ahead while the listings ran (see ReadAhead). */
  prepared?: Promise<{ reason: string | undefined } | undefined>
  /** Whether the target vault has purge protection (from its listing's recovery level). */
  purgeProtected?: boolean
  /**
   * The id of the target's current version as the plan found it (undefined: none). A write whose
   * answer was lost is known to have landed when a newer version holds what it carried.
   */
  targetLatest?: string
}

/** One row of the plan: no value, ever. */
export interface CopyEntry {
  type: ItemType
  name: string
  target: string
  state: CopyState
  decision: CopyDecision
  /** How many versions the decision writes. */
  write: number
  /** Remarks: versions left out, an issuer imported as Unknown. */
  note?: string
}

/** The result of reading both vaults: the items and their plan, index for index. */
export interface CopyPlan {
  items: CopyItem[]
  entries: CopyEntry[]
  /** Certificate-owned keys and secrets (left to their certificates) and items the filters left out. */
  leftOut: { owned: number; filtered: number }
}

const byCreated = (a: VersionInfo, b: VersionInfo) => (a.createdOn ?? 0) - (b.createdOn ?? 0)

/** The secret shape of a version as listed, with its value. */
export function shapeOf(version: VersionInfo, value: string): SecretVersionShape {
  return {
    value,
    ...(version.contentType !== undefined && { contentType: version.contentType }),
    tags: version.tags,
    enabled: version.enabled,
    ...(version.notBefore !== undefined && { notBefore: version.notBefore }),
    ...(version.expiresOn !== undefined && { expiresOn: version.expiresOn })
  }
}

async function versionsOf(side: CopySide, type: ItemType, name: string): Promise<VersionInfo[]> {
  const all = await readAllPages(side.connection.rate, token => side.values.versionPage(type, name, token))
  return all.sort(byCreated)
}

/**
 * Values of the source's current secret versions read while the listings still run, so the reads
 * overlap the listing chains instead of following them. Bounded: at most `slots` reads at once
 * (the listings' pages pass them, see `forEachPage`) and, once `READ_AHEAD_BYTES` of values are
 * held, the rest are read when compared or written. Values stay in memory, masked as read.
 */
class ReadAhead {
  private held = 0
  private active = 0
  private stopped = false
  private readonly waiting: (() => void)[] = []

  constructor(
    private readonly source: CopySide,
    private readonly settings: CopySettings,
    private readonly slots: number
  ) {}

  /**
   * Starts what the plan and the work will need of the item: a certificate's policy and versions,
   * and a readable current secret version's value when the copy will write (a dry run reads only
   * what its comparisons need).
   */
  add(item: CopyItem): void {
    if (item.type === 'certificates') {
      item.prepared = this.limited(async () => ({
        reason: await prepareSource(this.source, this.settings, item)
      }))
      // Awaited where it is needed (and its failure reported there); never left unhandled.
      item.prepared.catch(() => undefined)
      return
    }
    if (this.settings.dryRun || this.settings.versions !== 'latest') return
    if (item.type !== 'secrets' || !item.listed.enabled) return
    item.reading = this.limited(async () => {
      if (this.held >= READ_AHEAD_BYTES) return undefined
      const shapes = await readLatestSecret(this.source, item)
      for (const shape of shapes) this.held += shape.value.length * 2
      return shapes
    })
    item.reading.catch(() => undefined)
  }

  /** Reads not started yet are left to the work, which reads at the vault's full concurrency. */
  stop(): void {
    this.stopped = true
    for (const wake of this.waiting.splice(0)) wake()
  }

  /** The work's result, or undefined when stopped before its turn (the caller then does it itself). */
  private async limited<T>(work: () => Promise<T | undefined>): Promise<T | undefined> {
    while (this.active >= this.slots && !this.stopped) {
      await new Promise<void>(resolve => this.waiting.push(resolve))
    }
    if (this.stopped) return undefined
    this.active++
    try {
      return await work()
    } finally {
      this.active--
      this.waiting.shift()?.()
    }
  }
}

/** How much of the source's values the read-ahead may hold (UTF-16 bytes). */
const READ_AHEAD_BYTES = 32 * 1024 * 1024

/**
 * Lists the source's selected items, page by page as listings give them: the types at once (each
 * listing is a chain of pages, so one type's pages cannot overlap), in the order of `types`. Each
 * page's secrets start reading ahead, and its target names join the search of the target.
 */
async function listSource(
  source: CopySide,
  settings: CopySettings,
  ahead: ReadAhead,
  targets: TargetSearches
) {
  const leftOut = { owned: 0, filtered: 0 }
  const reader = new KeyVaultReader(source.connection.clients)
  const perType = await Promise.all(
    settings.filter.types.map(async type => {
      const selected: CopyItem[] = []
      await forEachPage(
        source.connection.rate,
        token => reader.listItems(type, token),
        page => {
          const selection = selectItems(page, settings.filter)
          for (const listed of selection.selected) {
            const item: CopyItem = {
              type: listed.type,
              name: listed.name,
              target: renamed(listed.name, settings.rename),
              listed,
              versions: []
            }
            selected.push(item)
            ahead.add(item)
            targets.add(item)
          }
          for (const skipped of selection.skipped) {
            if (page.find(i => i.name === skipped.name)?.managed) leftOut.owned++
            else leftOut.filtered++
          }
        },
        { ahead: true }
      )
      return selected
    })
  )
  return { items: perType.flat(), leftOut }
}

/**
 * Reads both vaults and plans the copy before anything is written: the source's selected items and
 * the versions to copy, the names they take (a bad or colliding name stops here), and what the
 * target holds under each name, compared by value (secrets), thumbprint and policy (certificates)
 * or version ids (keys). Values are compared in memory only.
 */
export async function planCopy(
  source: CopySide,
  target: CopySide,
  settings: CopySettings
): Promise<CopyPlan> {
  // Stopped however planning ends, so no read is left queued behind a failed listing.
  const ahead = new ReadAhead(source, settings, settings.concurrency)
  const targets = new TargetSearches(target)
  try {
    const { items, leftOut } = await listSource(source, settings, ahead, targets)
    targets.finish()
    const problems = renameProblems(items)
    if (problems.length > 0) {
      throw new StepError(`The copy was stopped before any write:\n- ${problems.join('\n- ')}`)
    }
    const found = await targets.found(items)
    const entries = await mapLimited(items, settings.concurrency, (item, i) =>
      planItem(source, target, settings, item, found[i])
    )
    return { items, entries, leftOut }
  } finally {
    ahead.stop()
    targets.finish()
  }
}

/**
 * What the target holds under the items' names, searched while the source is listed: a type's
 * active and deleted listings start with the source's first item of that type (a type the source
 * has none of is never listed), and the active listing reads as far as the names learnt so far
 * allow (see `findNames`), so the two vaults' listing chains overlap instead of following each other.
 */
class TargetSearches {
  private readonly searches = new Map<
    ItemType,
    { names: LearntNames; result: Promise<[Map<string, DeletedName>, Map<string, ListedName> | undefined]> }
  >()

  constructor(private readonly target: CopySide) {}

  add(item: CopyItem): void {
    let search = this.searches.get(item.type)
    if (!search) {
      const names = new LearntNames()
      const { rate } = this.target.connection
      const result = Promise.all([
        this.target.deleted[item.type].listing(),
        findNames(rate, t => this.target.writer.listActive(item.type, t), names)
      ])
      // Awaited in found() (and its failure reported there); never left unhandled.
      result.catch(() => undefined)
      search = { names, result }
      this.searches.set(item.type, search)
    }
    search.names.add(item.target)
  }

  /** Every name is known: the searches read what is left of their budget and end. */
  finish(): void {
    for (const { names } of this.searches.values()) names.finish()
  }

  /** What each item's target name holds: listed active names, the deleted listing, or nothing. */
  async found(items: readonly CopyItem[]): Promise<TargetName[]> {
    const result: TargetName[] = items.map(() => ({ kind: 'absent' }))
    for (const [type, search] of this.searches) {
      const [deleted, active] = await search.result
      items.forEach((item, i) => {
        if (item.type !== type) return
        const key = item.target.toLowerCase()
        const listed = active?.get(key)
        const entry = deleted.get(key)
        if (listed?.managed) result[i] = { kind: 'owned' }
        else if (listed) result[i] = { kind: 'maybe-active', recoveryLevel: listed.recoveryLevel }
        else if (entry) result[i] = { kind: 'deleted', found: deletedFound(entry) }
        // A target listing too long for the work is not read to its end: the item's versions tell.
        else if (!active) result[i] = { kind: 'maybe-active' }
      })
    }
    return result
  }
}

type TargetName =
  | { kind: 'absent' }
  | { kind: 'owned' }
  | { kind: 'deleted'; found: CopyFound }
  /** Listed active (or the listing was too long to tell): its versions decide. */
  | { kind: 'maybe-active'; recoveryLevel?: string }

/** Plans one item: reads what the comparison needs and decides. */
async function planItem(
  source: CopySide,
  target: CopySide,
  settings: CopySettings,
  item: CopyItem,
  name: TargetName
): Promise<CopyEntry> {
  const row = (state: CopyState, decision: CopyDecision, write = 0, note?: string): CopyEntry => ({
    type: item.type,
    name: item.name,
    target: item.target,
    state,
    decision,
    write,
    ...(note && { note })
  })
  const notCopied = (reason: string) => row('not copied', { action: 'skip', reason })
  const ahead = item.prepared && (await item.prepared)
  delete item.prepared
  const unreadable = ahead ? ahead.reason : await prepareSource(source, settings, item)
  if (unreadable) return notCopied(unreadable)
  const uncopiable = item.type === 'keys' ? keyBarrier(settings, item, source, target) : undefined
  if (uncopiable) return notCopied(uncopiable)
  const note = notes(item)

  let found: CopyFound
  if (name.kind === 'absent') found = { kind: 'absent' }
  else if (name.kind === 'owned') found = { kind: 'certificate-owned' }
  else if (name.kind === 'deleted') found = name.found
  else found = await compare(source, target, settings, item, isPurgeProtected(name.recoveryLevel))
  if (found.kind === 'active' || found.kind === 'deleted') item.purgeProtected = found.purgeProtected

  const decision = decideCopy(item.type, item.target, found, settings.policy)
  const write =
    decision.action === 'update' && found.kind === 'active'
      ? found.missing
      : ['create', 'replace', 'purge-and-create', 'recover'].includes(decision.action)
        ? Math.max(1, item.versions.length)
        : 0
  if (decision.action !== 'update') delete item.read
  if (write === 0) delete item.reading
  return row(copyStateLabel(found), decision, write, note)
}

/**
 * Reads what the plan needs of the source item; returns why it cannot be copied, if so. Secrets
 * with `versions: latest` wait for their value until it is compared or written.
 */
async function prepareSource(
  source: CopySide,
  settings: CopySettings,
  item: CopyItem
): Promise<string | undefined> {
  if (item.type === 'keys') {
    item.versions = await versionsOf(source, 'keys', item.name)
    return undefined
  }
  if (item.type === 'certificates') {
    item.policy = await source.connection.rate.run(() => source.values.certificatePolicy(item.name))
    if (item.policy.copied.exportable === false) {
      return 'not exportable: its private key never leaves the vault; issue a new certificate in the target'
    }
  }
  if (item.type === 'secrets' && settings.versions === 'latest') {
    return item.listed.enabled ? undefined : 'disabled: the current value of a disabled secret cannot be read'
  }
  const all = await versionsOf(source, item.type, item.name)
  const readable = all.filter(v => v.enabled)
  if (all.length === 0) return 'no version to copy yet (a certificate still being created?)'
  if (readable.length === 0) return `disabled: none of its ${all.length} versions can be read`
  if (settings.versions === 'latest') {
    const latest = all[all.length - 1]
    if (!latest.enabled) return 'disabled: its current version cannot be read'
    item.versions = [latest]
  } else item.versions = readable
  return undefined
}

/**
 * Why a key cannot be copied at all: its material never leaves Key Vault, so it travels only as its
 * backup, which restores under its own name and only within the same subscription and geography
 * (never across tenants or clouds). Undefined when a restore may work (it is then tried).
 */
function keyBarrier(
  settings: CopySettings,
  item: CopyItem,
  source: CopySide,
  target: CopySide
): string | undefined {
  const way = 'create a new key in the target (or copy within one subscription and geography)'
  const [from, to] = [source.connection.region(), target.connection.region()]
  const [fromGeo, toGeo] = [geographyOf(from), geographyOf(to)]
  if (fromGeo && toGeo && fromGeo !== toGeo) {
    return `another geography (${from}: ${fromGeo}; ${to}: ${toGeo}): a key is copied with its backup, which restores only within one subscription and geography, and its material never leaves Key Vault otherwise; ${way}`
  }
  if (settings.identity.cloud.name !== settings.targetIdentity.cloud.name) {
    return `another cloud: a key's material never leaves Key Vault; ${way}`
  }
  const [a, b] = [settings.identity.tenantId, settings.targetIdentity.tenantId].map(t => t?.toLowerCase())
  if (a && b && a !== b) return `another tenant: a key's material never leaves Key Vault; ${way}`
  if (item.target.toLowerCase() !== item.name.toLowerCase()) {
    return `a key is copied with its backup, which restores under its own name: it cannot be renamed`
  }
  return undefined
}

function notes(item: CopyItem): string | undefined {
  const parts: string[] = []
  if (item.policy?.issuerName && !/^(self|unknown)$/i.test(item.policy.issuerName)) {
    parts.push(`issuer '${item.policy.issuerName}' is imported as Unknown (the target may not have it)`)
  }
  return parts.join('; ') || undefined
}

/** Compares an active target item with the source; `missing` is what the target lacks. */
async function compare(
  source: CopySide,
  target: CopySide,
  settings: CopySettings,
  item: CopyItem,
  purgeProtected: boolean
): Promise<CopyFound> {
  const targetVersions = await versionsOf(target, item.type, item.target)
  item.targetLatest = targetVersions[targetVersions.length - 1]?.version
  if (targetVersions.length === 0) return { kind: 'absent' }
  let missing: number
  if (item.type === 'keys') {
    const have = new Set(targetVersions.map(v => v.version.toLowerCase()))
    const same =
      item.versions.length === have.size && item.versions.every(v => have.has(v.version.toLowerCase()))
    missing = same ? 0 : item.versions.length
  } else if (item.type === 'certificates') {
    const shape = (v: VersionInfo) => ({ thumbprint: v.thumbprint ?? '', enabled: v.enabled, tags: v.tags })
    missing = versionsMissing(item.versions.map(shape), targetVersions.map(shape), sameCertificateVersion)
    const targetPolicy = await target.connection.rate.run(() => target.values.certificatePolicy(item.target))
    if (missing === 0 && !samePolicy(item.policy!.copied, targetPolicy.copied)) missing = 1
  } else {
    const sourceShapes = await readSourceSecrets(source, settings, item)
    const tail = targetVersions.slice(-sourceShapes.length)
    const targetShapes = await Promise.all(
      tail.map(async v =>
        shapeOf(
          v,
          v.enabled
            ? await target.connection.rate.run(() => target.values.secretValue(item.target, v.version))
            : ''
        )
      )
    )
    missing = versionsMissing(sourceShapes, targetShapes, sameSecretVersion)
    item.read = sourceShapes
  }
  return { kind: 'active', missing, purgeProtected }
}

/** Compares the item's target again (after a recovery) and returns what it holds now. */
export function compareAgain(
  source: CopySide,
  target: CopySide,
  settings: CopySettings,
  item: CopyItem
): Promise<CopyFound> {
  return compare(source, target, settings, item, item.purgeProtected ?? false)
}

/** The source secret's current version with its value; the item's versions become that one. */
async function readLatestSecret(source: CopySide, item: CopyItem): Promise<SecretVersionShape[]> {
  const latest = await source.connection.rate.run(() => source.values.latestSecret(item.name))
  item.versions = [latest.version]
  return [shapeOf(latest.version, latest.value)]
}

/** The source secret's versions to copy, with their values (the latest alone for `versions: latest`). */
export async function readSourceSecrets(
  source: CopySide,
  settings: CopySettings,
  item: CopyItem
): Promise<SecretVersionShape[]> {
  if (item.read) return item.read
  if (item.reading) {
    const reading = item.reading
    delete item.reading
    const shapes = await reading
    if (shapes) return shapes
  }
  if (settings.versions === 'latest' && item.versions.length === 0) return readLatestSecret(source, item)
  return Promise.all(
    item.versions.map(async v =>
      shapeOf(v, await source.connection.rate.run(() => source.values.secretValue(item.name, v.version)))
    )
  )
}
