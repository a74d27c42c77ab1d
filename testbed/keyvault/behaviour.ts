/** Per-vault behaviour knobs (all mutable at run time) and their defaults. */

export interface VaultBehaviour {
  /** Asynchronous delete window (min, max) in ms: the deleted view answers 404, the name 409. Also the recovery window. */
  deleteWindowMs: [number, number]
  /** After a purge the name answers 409 Conflict for this long (ms). */
  purgeWindowMs: [number, number]
  /** Token bucket per vault; Retry-After is sent only when retryAfterSeconds is set. */
  throttle: { limit: number; windowMs: number; retryAfterSeconds?: number }
  latency: { fixedMs: number; jitterMs: number }
  /** Probabilities per authenticated request, drawn from a PRNG seeded with `seed`. */
  faults: { p503: number; p500: number; pReset: number; seed: number }
  maxBackupVersions: number
  /**
   * When a listing's first page comes back empty but with a nextLink (the service does this):
   * 'whenDeleted' (default) when the collection holds deleted or deleting objects, 'always', 'never'.
   */
  emptyFirstPage: 'whenDeleted' | 'always' | 'never'
  /** How many GETs of a pending certificate operation answer inProgress before it completes. */
  certificatePendingPolls: number
  /**
   * The caller's address as the vault sees it (every client really comes from 127.0.0.1 through the
   * proxy): checked against `networkAcls.ipRules` and echoed in `x-ms-keyvault-network-info`.
   */
  clientAddress: string
  /**
   * How a restore of a blob from another security world is refused: the message is the service's
   * "Cannot decrypt backup blob.", its status and code are UNCONFIRMED (default 400 BadParameter).
   */
  foreignBlobError: { status: number; code: string; innerCode?: string }
}

/** The defaults, like the real service. */
export function defaultBehaviour(): VaultBehaviour {
  return {
    deleteWindowMs: [1000, 5000],
    purgeWindowMs: [1000, 5000],
    throttle: { limit: 4000, windowMs: 10_000 },
    latency: { fixedMs: 0, jitterMs: 0 },
    faults: { p503: 0, p500: 0, pReset: 0, seed: 1 },
    maxBackupVersions: 500,
    emptyFirstPage: 'whenDeleted',
    certificatePendingPolls: 1,
    clientAddress: '20.42.73.160',
    foreignBlobError: { status: 400, code: 'BadParameter' }
  }
}

/** Merges a partial behaviour over a base (nested objects merged one level deep; foreignBlobError replaced whole). */
export function mergeBehaviour(base: VaultBehaviour, patch: Partial<VaultBehaviour> = {}): VaultBehaviour {
  return {
    ...base,
    ...patch,
    deleteWindowMs: [...(patch.deleteWindowMs ?? base.deleteWindowMs)] as [number, number],
    purgeWindowMs: [...(patch.purgeWindowMs ?? base.purgeWindowMs)] as [number, number],
    throttle: { ...base.throttle, ...patch.throttle },
    latency: { ...base.latency, ...patch.latency },
    faults: { ...base.faults, ...patch.faults },
    foreignBlobError: { ...(patch.foreignBlobError ?? base.foreignBlobError) }
  }
}
