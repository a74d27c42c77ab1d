import { createHash } from 'node:crypto'
import { ITEM_TYPES, type ItemType, type VaultItem } from './types.js'

/**
 * Bumped on any change restore must know about; restore refuses formats it does not know. Version 2
 * records whether the backup is complete; a restore of version 1 derives it from the failures.
 */
export const MANIFEST_FORMAT_VERSION = 2
const READABLE_FORMAT_VERSIONS = [1, 2]
export const MANIFEST_FILE = 'manifest.json'
/**
 * In the artifact the blobs travel in one uncompressed tar beside the manifest, under their folder
 * paths: @actions/artifact's zip step holds about 17 KB of memory per file (170 MB at 10,000 blobs).
 */
export const BLOBS_ARCHIVE = 'blobs.tar'

/** Key Vault object names: letters, digits and hyphens, 1-127 characters. */
export const OBJECT_NAME = /^[0-9a-zA-Z-]{1,127}$/

/** One backed-up object: enough to verify its blob and to check a restore afterwards. */
export interface ManifestItem {
  type: ItemType
  name: string
  /** Relative, forward slashes, always `<type>/<name>.blob`. */
  file: string
  size: number
  sha256: string
  versionCount: number
  /**
   * The version ids the blob holds (restore keeps them), so a restore can tell "already restored"
   * from a conflict. Optional: manifests written before it was added stay valid.
   */
  versionIds?: string[]
  enabled: boolean
  contentType?: string
  tags: Record<string, string>
  updatedOn?: string
  recoveryLevel?: string
}

export interface ManifestEntry {
  type: ItemType
  name: string
  reason: string
}

/** A type whose listing failed part-way: its items after the last page read are not in the backup. */
export interface IncompleteType {
  type: ItemType
  reason: string
}

export interface Manifest {
  formatVersion: number
  tool: { name: string; version: string }
  createdAt: string
  source: {
    vaultUrl: string
    vaultName: string
    cloud: string
    tenantId?: string
    /** Where the vault lives (from Resource Manager when the identity may read it; else its region only). */
    subscriptionId?: string
    resourceGroup?: string
    location?: string
    geography?: string
  }
  /** True when every selected item of every selected type is in the backup. */
  complete: boolean
  /** Types whose listing failed (what else is missing is in `failed`). */
  incompleteTypes: IncompleteType[]
  items: ManifestItem[]
  skipped: ManifestEntry[]
  failed: ManifestEntry[]
}

/** The blob's place in the backup folder. Throws on a name Key Vault would never return. */
export function blobFile(type: ItemType, name: string): string {
  if (!OBJECT_NAME.test(name)) throw new Error(`refusing unexpected object name '${name.slice(0, 130)}'`)
  return `${type}/${name}.blob`
}

/** Lowercase hex SHA-256. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex')
}

/** Builds a manifest item from what listing said and what writing the blob measured. */
export function manifestItem(
  item: VaultItem,
  blob: { file: string; size: number; sha256: string },
  versionCount: number,
  versionIds?: string[]
): ManifestItem {
  return {
    type: item.type,
    name: item.name,
    file: blob.file,
    size: blob.size,
    sha256: blob.sha256,
    versionCount,
    ...(versionIds !== undefined && { versionIds: [...versionIds] }),
    enabled: item.enabled,
    ...(item.contentType !== undefined && { contentType: item.contentType }),
    tags: { ...item.tags },
    ...(item.updatedOn !== undefined && { updatedOn: item.updatedOn }),
    ...(item.recoveryLevel !== undefined && { recoveryLevel: item.recoveryLevel })
  }
}

const byTypeThenName = (a: { type: ItemType; name: string }, b: { type: ItemType; name: string }): number =>
  ITEM_TYPES.indexOf(a.type) - ITEM_TYPES.indexOf(b.type) || a.name.localeCompare(b.name)

/** Assembles the manifest in a stable order, so two backups of the same vault diff cleanly. */
export function buildManifest(input: Omit<Manifest, 'formatVersion' | 'complete'>): Manifest {
  return {
    formatVersion: MANIFEST_FORMAT_VERSION,
    tool: input.tool,
    createdAt: input.createdAt,
    source: input.source,
    complete: input.incompleteTypes.length === 0 && input.failed.length === 0,
    incompleteTypes: [...input.incompleteTypes].sort(
      (a, b) => ITEM_TYPES.indexOf(a.type) - ITEM_TYPES.indexOf(b.type)
    ),
    items: [...input.items].sort(byTypeThenName),
    skipped: [...input.skipped].sort(byTypeThenName),
    failed: [...input.failed].sort(byTypeThenName)
  }
}

/**
 * The exact bytes of `manifest.json` (whose SHA-256 is the `manifest-sha256` output):
 * `JSON.stringify(manifest, null, 2)` plus a newline, in pieces of about `chunkChars` characters.
 * At 10,000 items the whole text is 6 MB, and building it as one string (plus its Buffer) put a
 * 20-40 MB spike on the backup's peak RSS. Each list element is stringified alone and indented as
 * JSON.stringify would (its only newlines are structural, since string values escape theirs).
 */
export function* serializeManifestChunks(manifest: Manifest, chunkChars = 64 * 1024): Generator<string> {
  let buffer = ''
  for (const piece of manifestPieces(manifest)) {
    buffer += piece
    if (buffer.length >= chunkChars) {
      yield buffer
      buffer = ''
    }
  }
  if (buffer) yield buffer
}

const indented = (json: string, pad: string): string => json.replaceAll('\n', `\n${pad}`)

function* manifestPieces(manifest: Manifest): Generator<string> {
  // JSON.stringify drops keys whose value is undefined; so must we.
  const entries = Object.entries(manifest).filter(([, value]) => value !== undefined)
  if (entries.length === 0) {
    yield '{}\n'
    return
  }
  yield '{'
  for (const [index, [key, value]] of entries.entries()) {
    yield `${index ? ',' : ''}\n  ${JSON.stringify(key)}: `
    if (Array.isArray(value) && value.length > 0) {
      yield '['
      for (const [at, element] of value.entries()) {
        yield `${at ? ',' : ''}\n    ${indented(JSON.stringify(element, null, 2) ?? 'null', '    ')}`
      }
      yield '\n  ]'
    } else {
      yield indented(JSON.stringify(value, null, 2), '  ')
    }
  }
  yield '\n}\n'
}

/**
 * Parses and checks a manifest before anything trusts it: known format version, well-formed items,
 * and every file exactly `<type>/<name>.blob` (so no path can climb out of the folder), each once.
 * Throws one error listing every problem.
 */
export function parseManifest(text: string): Manifest {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (error) {
    throw new Error(`manifest.json is not valid JSON: ${(error as Error).message}`)
  }
  const problems: string[] = []
  const m = (data ?? {}) as Partial<Manifest>
  if (!READABLE_FORMAT_VERSIONS.includes(m.formatVersion as number)) {
    problems.push(
      `unsupported manifest format version ${JSON.stringify(m.formatVersion)} (this version reads ${READABLE_FORMAT_VERSIONS.join(' and ')})`
    )
  }
  if (typeof m.source?.vaultUrl !== 'string') problems.push('source.vaultUrl is missing')
  if (!Array.isArray(m.items)) problems.push('items is not a list')
  const seen = new Set<string>()
  for (const [index, item] of (Array.isArray(m.items) ? m.items : []).entries()) {
    const where = `items[${index}]`
    if (!ITEM_TYPES.includes(item?.type)) {
      problems.push(`${where}: unknown type ${JSON.stringify(item?.type)}`)
      continue
    }
    if (typeof item.name !== 'string' || !OBJECT_NAME.test(item.name)) {
      problems.push(`${where}: invalid name ${JSON.stringify(item.name)}`)
      continue
    }
    if (item.file !== `${item.type}/${item.name}.blob`) {
      problems.push(`${where}: file ${JSON.stringify(item.file)} is not ${item.type}/${item.name}.blob`)
    }
    const key = `${item.type}/${item.name.toLowerCase()}`
    if (seen.has(key)) problems.push(`${where}: ${item.type} '${item.name}' is listed twice`)
    seen.add(key)
    if (!Number.isSafeInteger(item.size) || item.size <= 0) problems.push(`${where}: invalid size`)
    if (typeof item.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(item.sha256)) {
      problems.push(`${where}: invalid sha256`)
    }
    if (!Number.isSafeInteger(item.versionCount) || item.versionCount < 1) {
      problems.push(`${where}: invalid versionCount`)
    }
    if (
      item.versionIds !== undefined &&
      (!Array.isArray(item.versionIds) ||
        item.versionIds.length !== item.versionCount ||
        !item.versionIds.every((id: unknown) => typeof id === 'string' && /^[0-9a-zA-Z]{1,64}$/.test(id)))
    ) {
      problems.push(`${where}: versionIds does not match versionCount`)
    }
  }
  const failed = Array.isArray(m.failed) ? m.failed : []
  let incompleteTypes: IncompleteType[]
  if (m.formatVersion === 1) {
    // Version 1 recorded a type whose listing failed as a failed item named '*'.
    incompleteTypes = failed.filter(f => f.name === '*').map(f => ({ type: f.type, reason: f.reason }))
  } else {
    incompleteTypes = Array.isArray(m.incompleteTypes) ? m.incompleteTypes : []
    if (!Array.isArray(m.incompleteTypes)) problems.push('incompleteTypes is not a list')
    const complete = incompleteTypes.length === 0 && failed.length === 0
    if (m.complete !== complete) {
      problems.push(
        `complete is ${JSON.stringify(m.complete)} but the manifest lists ${incompleteTypes.length} incomplete types and ${failed.length} failed items`
      )
    }
  }
  if (problems.length > 0) throw new Error(`manifest.json is invalid: ${problems.join('; ')}`)
  const manifest = m as Manifest
  return {
    ...manifest,
    complete: incompleteTypes.length === 0 && failed.length === 0,
    incompleteTypes,
    skipped: manifest.skipped ?? [],
    failed: failed.filter(f => f.name !== '*')
  }
}

/** What an incomplete backup lacks, one line each (empty for a complete backup). */
export function missingFromBackup(manifest: Pick<Manifest, 'incompleteTypes' | 'failed'>): string[] {
  return [
    ...manifest.incompleteTypes.map(t => `${t.type}: ${t.reason}`),
    ...manifest.failed.map(f => `${f.type.slice(0, -1)} '${f.name}': ${f.reason}`)
  ]
}
