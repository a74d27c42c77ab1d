import { isPurgeProtected } from './plan.js'
import type { ItemType } from './types.js'
import { singular } from './versions.js'

/** `if-exists` of a copy: when the target name holds an item that differs from the source. */
export type CopyIfExists = 'skip' | 'update' | 'fail' | 'replace'
/** `if-deleted` of a copy, as for restore. */
export type CopyIfDeleted = 'fail' | 'skip' | 'recover' | 'purge'

export const COPY_IF_EXISTS: readonly CopyIfExists[] = ['skip', 'update', 'fail', 'replace']
export const COPY_IF_DELETED: readonly CopyIfDeleted[] = ['fail', 'skip', 'recover', 'purge']

export interface CopyPolicy {
  ifExists: CopyIfExists
  ifDeleted: CopyIfDeleted
}

/** What the target holds under an item's (renamed) name, as the plan found it. */
export type CopyFound =
  | { kind: 'absent' }
  /** `missing`: how many of the source's versions (oldest first) the target's newest versions lack. */
  | { kind: 'active'; missing: number; purgeProtected: boolean }
  | { kind: 'deleted'; purgeProtected: boolean; scheduledPurgeDate?: string }
  /** The name belongs to a certificate's own secret or key in the target. */
  | { kind: 'certificate-owned' }

export type CopyState =
  | 'absent'
  | 'equal'
  | 'different'
  | 'soft-deleted'
  | 'soft-deleted (purge protection)'
  | 'owned by a certificate'
  | 'not copied'

/**
 * `create` writes every version to copy; `update` writes the ones the target lacks; `replace`
 * deletes, waits, purges, waits, then creates; `recover` recovers and decides again as existing;
 * `purge-and-create` purges the soft-deleted item, waits for the name, creates.
 */
export type CopyAction =
  'create' | 'unchanged' | 'update' | 'skip' | 'fail' | 'replace' | 'recover' | 'purge-and-create'

export interface CopyDecision {
  action: CopyAction
  /** Why, in words for the plan, the summary and the log. */
  reason: string
}

/** The label of a state for the plan. */
export function copyStateLabel(found: CopyFound): CopyState {
  switch (found.kind) {
    case 'absent':
      return 'absent'
    case 'active':
      return found.missing === 0 ? 'equal' : 'different'
    case 'deleted':
      return found.purgeProtected ? 'soft-deleted (purge protection)' : 'soft-deleted'
    case 'certificate-owned':
      return 'owned by a certificate'
  }
}

/**
 * How many of the source's versions (oldest first) the target must still be given: the largest k
 * such that the target's newest k versions are the source's first k, gives `source.length - k`.
 * Zero means the target is equal: its newest versions are the source's, in order (older versions
 * of its own before them do not matter). Writing the missing ones makes it equal, so a second run
 * writes nothing.
 */
export function versionsMissing<S, T>(
  source: readonly S[],
  target: readonly T[],
  same: (s: S, t: T) => boolean
): number {
  for (let k = Math.min(source.length, target.length); k > 0; k--) {
    let matches = true
    for (let i = 0; i < k && matches; i++) matches = same(source[i], target[target.length - k + i])
    if (matches) return source.length - k
  }
  return source.length
}

/** The day a name held under purge protection frees up, for messages. */
function freeOn(date: string | undefined): string {
  return date ? `on ${date} (its scheduled purge date)` : 'when its retention period ends'
}

/**
 * Decides one item of a copy from what the target holds and the two policies. Pure: the README's
 * table and the unit tests are exactly this function. An item equal to the source is never
 * rewritten, whatever the policy; nothing is deleted or purged unless `replace` or `purge` says so,
 * and never under purge protection. A key can only be restored from its backup, not updated.
 */
export function decideCopy(type: ItemType, name: string, found: CopyFound, policy: CopyPolicy): CopyDecision {
  const what = `${singular(type)} '${name}'`
  switch (found.kind) {
    case 'absent':
      return { action: 'create', reason: 'the name is free' }
    case 'certificate-owned':
      return {
        action: 'fail',
        reason: `the target name belongs to a certificate's own ${singular(type)}; rename the item (rename input)`
      }
    case 'active':
      return found.missing === 0
        ? { action: 'unchanged', reason: 'the target already equals the source' }
        : decideExisting(type, what, found.missing, found.purgeProtected, policy.ifExists)
    case 'deleted':
      return decideDeleted(what, found, policy.ifDeleted)
  }
}

/** An active target that differs from the source, under `if-exists`. */
function decideExisting(
  type: ItemType,
  what: string,
  missing: number,
  purgeProtected: boolean,
  ifExists: CopyIfExists
): CopyDecision {
  switch (ifExists) {
    case 'skip':
      return { action: 'skip', reason: 'exists and differs (if-exists: skip)' }
    case 'fail':
      return {
        action: 'fail',
        reason: `${what} exists in the target and differs (if-exists: fail); use if-exists 'skip', 'update' or 'replace'`
      }
    case 'update':
      if (type === 'keys') {
        return {
          action: 'skip',
          reason: `a key cannot take a new version from another vault (its material never leaves Key Vault); use if-exists 'replace'`
        }
      }
      return {
        action: 'update',
        reason: `differs: ${missing} version${missing === 1 ? '' : 's'} to write (if-exists: update)`
      }
    case 'replace':
      if (purgeProtected) {
        return {
          action: 'fail',
          reason:
            `${what} exists and the target has purge protection: 'replace' would delete it and leave the name ` +
            `unusable until the retention period ends, so it is refused; use if-exists 'update' or 'skip'`
        }
      }
      return { action: 'replace', reason: 'exists and differs (if-exists: replace)' }
  }
}

/** A soft-deleted target name, under `if-deleted`. */
function decideDeleted(
  what: string,
  found: { purgeProtected: boolean; scheduledPurgeDate?: string },
  ifDeleted: CopyIfDeleted
): CopyDecision {
  const protectedDate = found.purgeProtected ? found.scheduledPurgeDate : undefined
  switch (ifDeleted) {
    case 'skip':
      return { action: 'skip', reason: 'soft-deleted (if-deleted: skip)' }
    case 'recover':
      return { action: 'recover', reason: 'soft-deleted (if-deleted: recover): recover it, then compare' }
    case 'purge':
      if (found.purgeProtected) {
        return {
          action: 'fail',
          reason:
            `${what} is soft-deleted in a target with purge protection, so it cannot be purged; ` +
            `the name frees up ${freeOn(protectedDate)}. Use if-deleted 'recover' to bring it back now`
        }
      }
      return { action: 'purge-and-create', reason: 'soft-deleted (if-deleted: purge)' }
    case 'fail':
      return {
        action: 'fail',
        reason:
          `${what} is soft-deleted in the target, so its name cannot be reused (if-deleted: fail); use if-deleted ` +
          (found.purgeProtected
            ? `'recover' (purge protection: the name frees up ${freeOn(protectedDate)})`
            : `'recover' or 'purge'`)
      }
  }
}

/** The deleted state of a target name from its deleted listing entry. */
export function deletedFound(entry: { recoveryLevel?: string; scheduledPurgeDate?: string }): CopyFound {
  return {
    kind: 'deleted',
    purgeProtected: isPurgeProtected(entry.recoveryLevel),
    ...(entry.scheduledPurgeDate && { scheduledPurgeDate: entry.scheduledPurgeDate })
  }
}

/** A secret version as copy compares and writes it (the value lives only in memory). */
export interface SecretVersionShape {
  value: string
  contentType?: string
  tags: Record<string, string>
  enabled: boolean
  /** Unix seconds. */
  notBefore?: number
  expiresOn?: number
}

/** A certificate version as copy compares it: by thumbprint, never by its PFX bytes (they differ on every export). */
export interface CertificateVersionShape {
  /** Hex SHA-1 of the DER. */
  thumbprint: string
  enabled: boolean
  tags: Record<string, string>
}

function sameTags(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a)
  return keys.length === Object.keys(b).length && keys.every(k => Object.hasOwn(b, k) && a[k] === b[k])
}

/** Equal value, content type, tags, enabled flag and dates. */
export function sameSecretVersion(a: SecretVersionShape, b: SecretVersionShape): boolean {
  return (
    a.value === b.value &&
    (a.contentType ?? '') === (b.contentType ?? '') &&
    a.enabled === b.enabled &&
    a.notBefore === b.notBefore &&
    a.expiresOn === b.expiresOn &&
    sameTags(a.tags, b.tags)
  )
}

/** Equal thumbprint (case-insensitive hex), enabled flag and tags. */
export function sameCertificateVersion(a: CertificateVersionShape, b: CertificateVersionShape): boolean {
  return (
    a.thumbprint.toLowerCase() === b.thumbprint.toLowerCase() &&
    a.enabled === b.enabled &&
    sameTags(a.tags, b.tags)
  )
}

/** What copy carries of a certificate's policy, and compares: the key, the secret's format, renewal contacts. */
export interface CopiedPolicy {
  keyType?: string
  keySize?: number
  keyCurveName?: string
  exportable?: boolean
  reuseKey?: boolean
  /** Lifetime actions that an imported certificate keeps (e-mail contacts; renewal needs an issuer). */
  emailBeforeExpiry?: { daysBeforeExpiry?: number; lifetimePercentage?: number }[]
}

/** Equal key type, size, curve, exportability, key reuse and e-mail actions. */
export function samePolicy(a: CopiedPolicy, b: CopiedPolicy): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b))
}

function canonical(p: CopiedPolicy): unknown[] {
  return [
    p.keyType?.toUpperCase(),
    p.keySize,
    p.keyCurveName,
    p.exportable ?? true,
    p.reuseKey ?? false,
    (p.emailBeforeExpiry ?? []).map(e => [e.daysBeforeExpiry, e.lifetimePercentage])
  ]
}
