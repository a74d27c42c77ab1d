/**
 * Key Vault's error bodies, with the service's own wording (reference table 3). Handlers throw
 * `KvError`; the HTTP layer turns it into `{"error":{"code","message","innererror"}}`.
 */

export type Kind = 'secrets' | 'keys' | 'certificates'

/** An error answered to the client in the service's JSON shape. */
export class KvError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly inner?: string,
    readonly headers: Record<string, string> = {}
  ) {
    super(message)
  }

  /** The JSON body the service sends. */
  body(): unknown {
    const error: Record<string, unknown> = { code: this.code, message: this.message }
    if (this.inner) error.innererror = { code: this.inner }
    return { error }
  }
}

const HELP = 'For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182'

/** 'Secret' / 'Key' / 'Certificate'. */
export function label(kind: Kind): string {
  return kind === 'secrets' ? 'Secret' : kind === 'keys' ? 'Key' : 'Certificate'
}

const lower = (kind: Kind): string => label(kind).toLowerCase()
const notFoundCode = (kind: Kind): string => `${label(kind)}NotFound`

/** 404 for a live object (optionally a version). */
export function notFound(kind: Kind, name: string, version?: string): KvError {
  const id = version ? `${name}/${version}` : name
  return new KvError(
    404,
    notFoundCode(kind),
    `A ${lower(kind)} with (name/id) ${id} was not found in this key vault. If you recently deleted this ${lower(kind)} you may be able to recover it using the correct recovery command. ${HELP}`
  )
}

/** 404 of the deleted view (also during the asynchronous delete window). */
export function deletedNotFound(kind: Kind, name: string): KvError {
  return new KvError(404, notFoundCode(kind), `Deleted ${label(kind)} not found: ${name}`)
}

/** 409 while the name is soft-deleted. */
export function deletedButRecoverable(kind: Kind, name: string): KvError {
  return new KvError(
    409,
    'Conflict',
    `${label(kind)} ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the ${lower(kind)} can only be recovered or purged.`,
    'ObjectIsDeletedButRecoverable'
  )
}

/** 409 for a create (or restore) during the asynchronous delete (or purge) window. */
export function beingDeleted(kind: Kind, name: string): KvError {
  return new KvError(
    409,
    'Conflict',
    `${label(kind)} ${name} is currently being deleted and cannot be re-created; retry later.`,
    'ObjectIsBeingDeleted'
  )
}

/** 409 during the recovery window. */
export function beingRecovered(kind: Kind, name: string): KvError {
  return new KvError(
    409,
    'Conflict',
    `${label(kind)} ${name} is currently being recovered and cannot be re-created; retry later.`,
    'ObjectIsBeingRecovered'
  )
}

/**
 * 409 when a restore meets a name in use (active, soft-deleted, being recovered, or just purged), no
 * innererror. `id` is the versioned id of the latest version in the blob. The secret and key texts are
 * recorded; the certificate text is the same template (its exact wording was not captured).
 */
export function restoreConflict(kind: Kind, id: string): KvError {
  const l = lower(kind)
  return new KvError(
    409,
    'Conflict',
    `There was a conflict restoring the ${l} '${id}'. This can happen if either: a second ${l} with the same name was created after the first ${l} was deleted; thus trying to restore a ${l} whose name is already in use. To fix this, rename the second ${l} to something else so that the restore works. The second probable cause of this exception is when multiple operations are performed in parallel against the ${l}. To avoid this error, perform operations against a ${l} in a sequential manner.`
  )
}

/** 409 for a purge (or recover) of an object whose asynchronous delete has not finished. */
export function stillBeingDeleted(kind: Kind): KvError {
  return new KvError(409, 'Conflict', `${label(kind)} is currently being deleted.`, 'ObjectIsBeingDeleted')
}

/** 409 for a recover that meets a recovery already under way (no innererror). `id` is versioned. */
export function parallelRecover(kind: Kind, id: string): KvError {
  const l = lower(kind)
  return new KvError(
    409,
    'Conflict',
    `There was a conflict while recovering the soft-deleted ${l} '${id}'. This can happen when multiple operations are performed in parallel against the soft-deleted ${l}. To avoid this error, perform operations against the soft-deleted ${l} in a sequential manner.`
  )
}

/** 409 for a delete that meets another operation under way (a recovery; no innererror). `id` is versioned. */
export function parallelDelete(kind: Kind, id: string): KvError {
  const l = lower(kind)
  return new KvError(
    409,
    'Conflict',
    `There was a conflict while deleting ${l} '${id}'. This can happen when multiple operations are performed in parallel against the ${l}. To avoid this error, perform operations against the ${l} in a sequential manner.`
  )
}

/** 403 for a purge under purge protection. */
export function purgeProtected(): KvError {
  return new KvError(
    403,
    'Forbidden',
    'Operation "purge" is not allowed because purge protection is enabled for this vault. Key Vault service will automatically purge it after the retention period has passed.'
  )
}

/** 403 for an operation on a certificate's own key or secret. */
export function certificateOwned(operation: string, kind: Kind): KvError {
  return new KvError(
    403,
    'Forbidden',
    `Operation "${operation}" is not allowed on this ${label(kind)}, since it is associated with a certificate. Perform the operation on the corresponding certificate. ${HELP}`
  )
}

/** 400 for a blob that fails its integrity check. */
export function malformedBlob(): KvError {
  return new KvError(400, 'Malformed backup blob', 'Backup blob contains invalid or corrupt version.')
}

/**
 * A blob from another security world (subscription + geography): "Cannot decrypt backup blob." Its
 * status and code are UNCONFIRMED; `VaultBehaviour.foreignBlobError` chooses them (default 400 BadParameter).
 */
export function foreignBlob(answer: { status: number; code: string; innerCode?: string }): KvError {
  return new KvError(answer.status, answer.code, 'Cannot decrypt backup blob.', answer.innerCode)
}

/** 400 BadParameter "Property has invalid value\r\n": more than 15 tags (also used for other property limits). */
export function invalidProperty(property?: string): KvError {
  return badParameter(`Property ${property ? `${property} ` : ''}has invalid value\r\n`)
}

/** 400 for a secret value over 25,600 characters. */
export function secretTooLarge(): KvError {
  return new KvError(
    400,
    'BadParameter',
    'Secret is beyond the maximum permitted length of 25600 characters.',
    'SecretTooLarge'
  )
}

/** 403 for GET of a disabled secret (version). */
export function secretDisabled(): KvError {
  return new KvError(403, 'Forbidden', 'Operation get is not allowed on a disabled secret.', 'SecretDisabled')
}

/** 400 with code BadParameter. */
export function badParameter(message: string): KvError {
  return new KvError(400, 'BadParameter', message)
}

/** 429 with the service's wording; no Retry-After (as recorded) unless configured. */
export function throttled(retryAfterSeconds?: number): KvError {
  const headers: Record<string, string> = retryAfterSeconds
    ? { 'retry-after': String(retryAfterSeconds) }
    : {}
  return new KvError(
    429,
    'Throttled',
    'Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached',
    undefined,
    headers
  )
}
