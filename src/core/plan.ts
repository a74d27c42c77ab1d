import type { ManifestItem } from './manifest.js'
import type { ItemType } from './types.js'
import { singular } from './versions.js'

/** `if-exists`: what to do when the name is taken by an active object with other content. */
export type IfExists = 'skip' | 'fail' | 'replace'
/** `if-deleted`: what to do when the name is held by a soft-deleted object. */
export type IfDeleted = 'fail' | 'skip' | 'recover' | 'purge'

export const IF_EXISTS: readonly IfExists[] = ['skip', 'fail', 'replace']
export const IF_DELETED: readonly IfDeleted[] = ['fail', 'skip', 'recover', 'purge']

export interface ConflictPolicy {
  ifExists: IfExists
  ifDeleted: IfDeleted
}

/**
 * What the target vault holds under an item's name. Key Vault's reads cannot tell "still being
 * deleted" (or "just purged") from "absent": both answer 404 on the object and in the deleted
 * listing. That state is learnt only from a restore refused with 409, during execution, and shows
 * as the label 'being deleted' on the outcome; the name is then read again and decided anew.
 */
export type TargetState =
  | { kind: 'absent' }
  | { kind: 'active'; versionIds: string[]; purgeProtected: boolean }
  | { kind: 'deleted'; purgeProtected: boolean; scheduledPurgeDate?: string }

export type StateLabel =
  'absent' | 'active' | 'soft-deleted' | 'soft-deleted (purge protection)' | 'being deleted'

/**
 * `restore` writes the blob; `already-restored` means the target holds exactly the backup's versions
 * (idempotence: done, not a conflict); `replace` is delete, wait, purge, wait, restore;
 * `purge-and-restore` purges the soft-deleted object, waits for the name, restores.
 */
export type RestoreAction =
  'restore' | 'already-restored' | 'skip' | 'fail' | 'replace' | 'recover' | 'purge-and-restore'

export interface RestoreDecision {
  action: RestoreAction
  /** Why, in words for the plan table and the log. */
  reason: string
}

/** One row of the plan: the item, the state found, the decision. */
export interface PlanEntry {
  type: ItemType
  name: string
  state: StateLabel
  decision: RestoreDecision
}

/** A short label for the plan table. */
export function stateLabel(state: TargetState): StateLabel {
  switch (state.kind) {
    case 'absent':
    case 'active':
      return state.kind
    case 'deleted':
      return state.purgeProtected ? 'soft-deleted (purge protection)' : 'soft-deleted'
  }
}

/** Recovery levels without "Purgeable" mean purge protection: nothing can be purged before retention ends. */
export function isPurgeProtected(recoveryLevel: string | undefined): boolean {
  return recoveryLevel !== undefined && !/purgeable/i.test(recoveryLevel)
}

/** True when the target already holds exactly the versions the backup recorded (in any order). */
export function sameVersions(item: ManifestItem, versionIds: readonly string[]): boolean {
  if (!item.versionIds || item.versionIds.length !== versionIds.length) return false
  const have = new Set(versionIds.map(v => v.toLowerCase()))
  return item.versionIds.every(v => have.has(v.toLowerCase()))
}

/** The day a name held under purge protection frees up, for messages. */
function freeOn(date: string | undefined): string {
  return date ? `on ${date} (its scheduled purge date)` : 'when its retention period ends'
}

/**
 * Decides one item's action from the state of its name in the target and the two policies. Pure:
 * the table in the README and the unit tests is exactly this function. Restore only deletes or
 * purges when `replace` or `purge` says so, and never under purge protection.
 */
export function decide(item: ManifestItem, state: TargetState, policy: ConflictPolicy): RestoreDecision {
  const what = `${singular(item.type)} '${item.name}'`
  switch (state.kind) {
    case 'absent':
      return { action: 'restore', reason: 'the name is free' }
    case 'active': {
      if (sameVersions(item, state.versionIds)) {
        return { action: 'already-restored', reason: 'the target already holds the backup’s versions' }
      }
      if (policy.ifExists === 'skip') return { action: 'skip', reason: 'exists (if-exists: skip)' }
      if (policy.ifExists === 'fail') {
        return {
          action: 'fail',
          reason: `${what} already exists with other versions (if-exists: fail); use if-exists 'skip' or 'replace'`
        }
      }
      if (state.purgeProtected) {
        return {
          action: 'fail',
          reason:
            `${what} exists and the vault has purge protection: 'replace' would delete it and leave the ` +
            `name unusable until the retention period ends, so it is refused. Delete or rename by hand, or use if-exists 'skip'`
        }
      }
      return { action: 'replace', reason: 'exists with other versions (if-exists: replace)' }
    }
    case 'deleted': {
      const protectedDate = state.purgeProtected ? state.scheduledPurgeDate : undefined
      const isProtected = state.purgeProtected
      switch (policy.ifDeleted) {
        case 'skip':
          return { action: 'skip', reason: 'soft-deleted (if-deleted: skip)' }
        case 'recover':
          return {
            action: 'recover',
            reason: 'soft-deleted (if-deleted: recover): recover it instead of restoring'
          }
        case 'purge':
          if (isProtected) {
            return {
              action: 'fail',
              reason:
                `${what} is soft-deleted in a vault with purge protection, so it cannot be purged; ` +
                `the name frees up ${freeOn(protectedDate)}. Use if-deleted 'recover' to bring it back now`
            }
          }
          return { action: 'purge-and-restore', reason: 'soft-deleted (if-deleted: purge)' }
        case 'fail':
          return {
            action: 'fail',
            reason:
              `${what} is soft-deleted, so its name cannot be reused (if-deleted: fail); use if-deleted ` +
              (isProtected
                ? `'recover' (purge protection: the name frees up ${freeOn(protectedDate)})`
                : `'recover' or 'purge'`)
          }
      }
    }
  }
}
