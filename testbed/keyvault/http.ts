/** Request and reply types shared by the object handlers, pagination and attribute rendering. */
import type { VaultConfig } from '../config.js'
import type { TestClock } from '../clock.js'
import type { Requirement } from './auth.js'
import type { VaultBehaviour } from './behaviour.js'
import { badParameter, invalidProperty, type Kind } from './errors.js'
import type { Attributes, Collection } from './store.js'
import type { PendingCertificate } from './certificates.js'

/** What handlers see of a vault. */
export interface VaultRuntime {
  config: VaultConfig
  behaviour: VaultBehaviour
  clock: TestClock
  collections: Record<Kind, Collection>
  pendingCertificates: Map<string, PendingCertificate>
  /** PRNG for the asynchronous windows. */
  windowRandom: () => number
}

export interface KvRequest {
  method: string
  /** Decoded path segments; a trailing slash gives a last segment ''. */
  segments: string[]
  query: URLSearchParams
  /** `https://<Host header>`: every id and nextLink is built from it. */
  origin: string
  path: string
  apiVersion: string
  readJson(): Promise<Record<string, unknown>>
}

export interface Reply {
  status: number
  body?: unknown
  headers?: Record<string, string>
}

/** A matched operation: what it needs (checked before it runs) and how it runs. */
export interface Route {
  operation: string
  need: Requirement
  /** Resource path for RBAC messages, e.g. `/secrets/name`. */
  resource: string
  /** The object name in the URI, checked (400 "invalid name") after the permission check. */
  name?: string
  run(): Promise<Reply> | Reply
}

const NAME = /^[0-9a-zA-Z-]{1,127}$/

/** Validates an object name as the service does. */
export function checkName(name: string): string {
  if (!NAME.test(name)) throw badParameter(`The request URI contains an invalid name: ${name}`)
  return name
}

/** The vault's recovery level, from its purge protection and retention. */
export function recoveryLevel(config: VaultConfig): string {
  const custom = (config.softDeleteRetentionDays ?? 90) < 90 ? 'Customized' : ''
  return config.purgeProtection ? `${custom}Recoverable` : `${custom}Recoverable+Purgeable`
}

export function retentionDays(config: VaultConfig): number {
  return config.softDeleteRetentionDays ?? 90
}

/** Wire form of attributes (integer seconds) with the vault's recovery settings. */
export function renderAttributes(
  a: Attributes,
  config: VaultConfig,
  extra: Record<string, unknown> = {}
): Record<string, unknown> {
  const out: Record<string, unknown> = { enabled: a.enabled }
  if (a.nbf !== undefined) out.nbf = a.nbf
  if (a.exp !== undefined) out.exp = a.exp
  return {
    ...out,
    created: a.created,
    updated: a.updated,
    recoveryLevel: recoveryLevel(config),
    recoverableDays: retentionDays(config),
    ...extra
  }
}

/** Reads `attributes` of a request body into stored attributes. */
export function parseAttributes(raw: unknown, now: number, previous?: Attributes): Attributes {
  const a = (raw ?? {}) as Record<string, unknown>
  const seconds = Math.floor(now / 1000)
  const num = (v: unknown, old: number | undefined): number | undefined =>
    typeof v === 'number' ? Math.floor(v) : old
  return {
    enabled: typeof a.enabled === 'boolean' ? a.enabled : (previous?.enabled ?? true),
    nbf: num(a.nbf, previous?.nbf),
    exp: num(a.exp, previous?.exp),
    created: previous?.created ?? seconds,
    updated: seconds
  }
}

const MAX_TAGS = 15
const MAX_TAG_NAME = 512
const MAX_TAG_VALUE = 256
const MAX_CONTENT_TYPE = 255

/**
 * Reads `tags` of a request body. More than 15 tags: 400 "Property has invalid value\r\n" (recorded).
 * Names over 512 or values over 256 characters get the same answer (the limits are documented, the
 * answer is not; the portal accepts 512-character names).
 */
export function parseTags(raw: unknown, previous: Record<string, string> = {}): Record<string, string> {
  if (raw === undefined || raw === null) return previous
  if (typeof raw !== 'object') throw badParameter('Tags must be an object.')
  const entries = Object.entries(raw as Record<string, unknown>).map(([k, v]) => [k, String(v)] as const)
  if (
    entries.length > MAX_TAGS ||
    entries.some(([k, v]) => k.length > MAX_TAG_NAME || v.length > MAX_TAG_VALUE)
  ) {
    throw invalidProperty()
  }
  return Object.fromEntries(entries)
}

/**
 * Reads a secret's `contentType`: at most 255 characters (documented; the answer to a longer one is
 * not, so it is the same 400 as for tags).
 */
export function parseContentType(raw: unknown): string | undefined {
  if (typeof raw !== 'string') return undefined
  if (raw.length > MAX_CONTENT_TYPE) throw invalidProperty()
  return raw
}

/**
 * One page of a listing, with an absolute nextLink (`null` on the last page). The skip token is an
 * offset; the first page may be empty with a nextLink, as the service sometimes answers (see
 * VaultBehaviour.emptyFirstPage).
 */
export function page<T>(req: KvRequest, all: T[], render: (t: T) => unknown, emptyFirst: boolean): Reply {
  const raw = req.query.get('maxresults')
  let size = 25
  if (raw !== null) {
    size = Number(raw)
    if (!Number.isInteger(size) || size < 1 || size > 25) {
      throw badParameter(`invalid maxresults value '${raw}'. The value must be between 1 and 25.`)
    }
  }
  const token = req.query.get('$skiptoken')
  let offset = 0
  if (token) {
    try {
      const marker = String(JSON.parse(Buffer.from(token, 'base64url').toString('utf8')).NextMarker)
      offset = Number(marker.split('!')[1])
      if (!Number.isInteger(offset) || offset < 0) throw new Error('bad')
    } catch {
      throw badParameter('The skip token is invalid.')
    }
  }
  const link = (next: number): string => {
    const t = Buffer.from(JSON.stringify({ NextMarker: `2!${next}!`, TargetLocation: 0 })).toString(
      'base64url'
    )
    const query = `api-version=${encodeURIComponent(req.apiVersion)}&$skiptoken=${t}&maxresults=${size}`
    const extra = req.query.get('includePending') ? `&includePending=${req.query.get('includePending')}` : ''
    // The service writes the port into nextLinks (`https://<vault>.vault.azure.net:443/secrets?...`), not into ids.
    const origin = /:\d+$/.test(req.origin) ? req.origin : `${req.origin}:443`
    return `${origin}${req.path}?${query}${extra}`
  }
  if (!token && emptyFirst) return { status: 200, body: { value: [], nextLink: link(0) } }
  const slice = all.slice(offset, offset + size)
  const nextLink = offset + size < all.length ? link(offset + size) : null
  return { status: 200, body: { value: slice.map(render), nextLink } }
}

/** Whether a listing of `collection` should start with an empty page. */
export function emptyFirstPage(vault: VaultRuntime, collection: Collection): boolean {
  const mode = vault.behaviour.emptyFirstPage
  if (mode === 'always') return true
  if (mode === 'never') return false
  collection.sweep(vault.clock.now())
  return collection.deleted.size > 0
}
