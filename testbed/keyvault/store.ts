/**
 * In-memory objects of one vault and their life cycle: active, being deleted (asynchronous delete
 * window), soft-deleted, being purged (a window in which the name is still taken), being recovered.
 * Names are case-insensitive as in Key Vault; the first spelling is kept. All times are clock ms.
 */
import { randomBytes, type JsonWebKey } from 'node:crypto'
import type { Kind } from './errors.js'

export interface Attributes {
  enabled: boolean
  nbf?: number
  exp?: number
  /** Unix seconds. */
  created: number
  updated: number
}

export interface StoredKey {
  kty: 'RSA' | 'EC'
  /** Private JWK as node:crypto exports it (base64url members). */
  jwk: JsonWebKey
  keyOps: string[]
}

export interface StoredCert {
  /** base64 DER of the leaf certificate. */
  cer: string
  /** base64 DER of the chain after the leaf (imported certificates). */
  chain: string[]
  /** PKCS#8 PEM of the certificate's key. */
  privateKeyPem: string
  kty: 'RSA' | 'EC'
  /** The content type of the certificate's secret: application/x-pkcs12 or application/x-pem-file. */
  secretContentType: string
  /**
   * False when the policy made the key non-exportable: the certificate's secret then holds only the
   * certificate(s), no private key. Absent means exportable.
   */
  exportable?: boolean
}

export interface ObjectVersion {
  id: string
  attributes: Attributes
  tags: Record<string, string>
  contentType?: string
  value?: string
  key?: StoredKey
  cert?: StoredCert
}

export interface StoredObject {
  name: string
  /** Oldest first; the last one is the current version. */
  versions: ObjectVersion[]
  /** Certificates: the policy in wire form (snake_case), without id. */
  policy?: Record<string, unknown>
  /** Recovery window end: the object answers 404 and its name 409 until then. */
  recoveringUntil?: number
}

export interface DeletedObject {
  object: StoredObject
  deletedDate: number
  scheduledPurgeDate: number
  /** End of the asynchronous delete window; the deleted view answers 404 until then. */
  visibleAt: number
}

/** The public JWK of a stored key, in the wire form (base64url members). */
export function publicJwk(key: StoredKey, kid: string): Record<string, unknown> {
  const j = key.jwk
  const base: Record<string, unknown> = { kid, kty: key.kty, key_ops: key.keyOps }
  return key.kty === 'RSA' ? { ...base, n: j.n, e: j.e } : { ...base, crv: j.crv, x: j.x, y: j.y }
}

/** A new version id: 32 lower-case hex characters, like the service's. */
export function newVersionId(): string {
  return randomBytes(16).toString('hex')
}

/** The current version of an object. */
export function latest(object: StoredObject): ObjectVersion {
  return object.versions[object.versions.length - 1]
}

export type NameState = 'absent' | 'active' | 'recovering' | 'deleting' | 'deleted' | 'purging'

/** One collection (secrets, keys or certificates) of one vault. */
export class Collection {
  readonly active = new Map<string, StoredObject>()
  readonly deleted = new Map<string, DeletedObject>()
  readonly purging = new Map<string, { name: string; until: number }>()

  constructor(readonly kind: Kind) {}

  /** Drops what retention or the purge windows have finished with; called before every read. */
  sweep(now: number): void {
    for (const [k, d] of this.deleted) if (d.scheduledPurgeDate * 1000 <= now) this.deleted.delete(k)
    for (const [k, p] of this.purging) if (p.until <= now) this.purging.delete(k)
    for (const o of this.active.values())
      if (o.recoveringUntil !== undefined && o.recoveringUntil <= now) delete o.recoveringUntil
  }

  /** Where a name stands. */
  state(name: string, now: number): NameState {
    this.sweep(now)
    const k = name.toLowerCase()
    const a = this.active.get(k)
    if (a) return a.recoveringUntil !== undefined ? 'recovering' : 'active'
    const d = this.deleted.get(k)
    if (d) return d.visibleAt > now ? 'deleting' : 'deleted'
    if (this.purging.has(k)) return 'purging'
    return 'absent'
  }

  /** The active object, or undefined (also while it is being recovered). */
  get(name: string, now: number): StoredObject | undefined {
    return this.state(name, now) === 'active' ? this.active.get(name.toLowerCase()) : undefined
  }

  /** The soft-deleted object once its delete window is over. */
  getDeleted(name: string, now: number): DeletedObject | undefined {
    return this.state(name, now) === 'deleted' ? this.deleted.get(name.toLowerCase()) : undefined
  }

  put(object: StoredObject): void {
    this.active.set(object.name.toLowerCase(), object)
  }

  /** Moves an active object to the deleted view, visible after `windowMs`. */
  softDelete(name: string, now: number, retentionDays: number, windowMs: number): DeletedObject {
    const k = name.toLowerCase()
    const object = this.active.get(k)
    if (!object) throw new Error(`no active ${name}`)
    this.active.delete(k)
    const deletedDate = Math.floor(now / 1000)
    const entry = {
      object,
      deletedDate,
      scheduledPurgeDate: deletedDate + retentionDays * 86400,
      visibleAt: now + windowMs
    }
    this.deleted.set(k, entry)
    return entry
  }

  purge(name: string, now: number, windowMs: number): void {
    const k = name.toLowerCase()
    const d = this.deleted.get(k)
    if (!d) throw new Error(`no deleted ${name}`)
    this.deleted.delete(k)
    if (windowMs > 0) this.purging.set(k, { name: d.object.name, until: now + windowMs })
  }

  recover(name: string, now: number, windowMs: number): StoredObject {
    const k = name.toLowerCase()
    const d = this.deleted.get(k)
    if (!d) throw new Error(`no deleted ${name}`)
    this.deleted.delete(k)
    if (windowMs > 0) d.object.recoveringUntil = now + windowMs
    else delete d.object.recoveringUntil
    this.active.set(k, d.object)
    return d.object
  }

  /** Active objects (not those being recovered), sorted by name. */
  listActive(now: number): StoredObject[] {
    this.sweep(now)
    return [...this.active.values()].filter(o => o.recoveringUntil === undefined).sort(byName)
  }

  /** Deleted objects whose delete window is over, sorted by name. */
  listDeleted(now: number): DeletedObject[] {
    this.sweep(now)
    return [...this.deleted.values()]
      .filter(d => d.visibleAt <= now)
      .sort((a, b) => byName(a.object, b.object))
  }
}

function byName(a: { name: string }, b: { name: string }): number {
  const x = a.name.toLowerCase()
  const y = b.name.toLowerCase()
  return x < y ? -1 : x > y ? 1 : 0
}
