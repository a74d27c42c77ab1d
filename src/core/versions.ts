import type { ItemType } from './types.js'

/** Key Vault backs up at most this many versions of one object. */
export const MAX_BACKUP_VERSIONS = 500
/** From here on we warn: the object is close to becoming impossible to back up. */
export const WARN_BACKUP_VERSIONS = 400

export type VersionCheck = { level: 'ok' } | { level: 'warn' | 'fail'; message: string }

/** Judges an object's version count against the backup limit, with the way out when it fails. */
export function checkVersionLimit(type: ItemType, name: string, count: number): VersionCheck {
  const what = `${singular(type)} '${name}' has ${count} versions`
  if (count > MAX_BACKUP_VERSIONS) {
    return {
      level: 'fail',
      message:
        `${what}; Key Vault backs up at most ${MAX_BACKUP_VERSIONS} versions of one object and old versions ` +
        `cannot be deleted. Way out: create a new ${singular(type)} with the current value under a new name, ` +
        `move its users over, then add '${name}' to 'exclude'.`
    }
  }
  if (count >= WARN_BACKUP_VERSIONS) {
    return {
      level: 'warn',
      message: `${what}; at more than ${MAX_BACKUP_VERSIONS} it can no longer be backed up. Plan a rename before then.`
    }
  }
  return { level: 'ok' }
}

/** `secrets` -> `secret`, for messages. */
export function singular(type: ItemType): string {
  return type.slice(0, -1)
}
