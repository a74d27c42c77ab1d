/**
 * One emulated vault: its HTTPS server and the request pipeline
 * (latency -> bearer check -> api-version -> firewall -> faults -> throttle -> route -> permission -> name
 * check -> handler).
 */
import { createServer, type Server } from 'node:https'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { randomUUID, type JsonWebKey } from 'node:crypto'
import type { TestClock } from '../clock.js'
import type { VaultConfig } from '../config.js'
import { authenticate, authorize, type VaultAudience } from './auth.js'
import type { VaultBehaviour } from './behaviour.js'
import { certificateRoute, seedCertificateObject, type PendingCertificate } from './certificates.js'
import { badParameter, KvError, throttled, type Kind } from './errors.js'
import { FaultInjector, seededRandom } from './faults.js'
import { checkFirewall } from './firewall.js'
import { checkName, type KvRequest, type Reply, type VaultRuntime } from './http.js'
import { keyRoute, seedKeyObject } from './keys.js'
import { secretRoute, seedSecretObject } from './secrets.js'
import { Collection, type StoredObject } from './store.js'
import { TokenBucket } from './throttle.js'

export interface RequestLogEntry {
  /** Clock ms. */
  time: number
  vault: string
  method: string
  path: string
  principal: string
  status: number
  operation?: string
}

export interface ItemState {
  name: string
  versions: string[]
  tags: Record<string, string>
  enabled: boolean
  managed: boolean
}

export interface KindState {
  active: ItemState[]
  deleted: { name: string; deletedDate: number; scheduledPurgeDate: number }[]
  /** Asynchronous deletes still in their window (clock ms when the deleted view appears). */
  pendingDeletes: { name: string; until: number }[]
  /** Purged names still taken (clock ms when the name frees up). */
  pendingPurges: { name: string; until: number }[]
  recovering: { name: string; until: number }[]
}

export type VaultState = Record<Kind, KindState> & { pendingCertificates: string[] }

export interface EmulatorShared {
  clock: TestClock
  /** The vault's tenant and cloud: the token audience and issuer it accepts, and its 401 challenge. */
  audience: VaultAudience
  jwks: () => JsonWebKey[]
  tls: { cert: string; key: string }
  log(entry: RequestLogEntry): void
}

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms))

/** An emulated vault on its own HTTPS port. */
export class VaultServer implements VaultRuntime {
  readonly collections: Record<Kind, Collection> = {
    secrets: new Collection('secrets'),
    keys: new Collection('keys'),
    certificates: new Collection('certificates')
  }
  readonly pendingCertificates = new Map<string, PendingCertificate>()
  readonly windowRandom = seededRandom(0x5eed)
  private readonly latencyRandom = seededRandom(0x1a7e)
  private readonly faults = new FaultInjector()
  private readonly bucket = new TokenBucket()
  private server: Server | undefined
  port = 0

  constructor(
    readonly config: VaultConfig,
    public behaviour: VaultBehaviour,
    private readonly shared: EmulatorShared
  ) {}

  get name(): string {
    return this.config.name
  }

  get clock(): TestClock {
    return this.shared.clock
  }

  get localUrl(): string {
    return `https://127.0.0.1:${this.port}`
  }

  /** Starts the HTTPS server on 127.0.0.1 and an ephemeral port. */
  async listen(): Promise<void> {
    const server = createServer({ cert: this.shared.tls.cert, key: this.shared.tls.key }, (req, res) => {
      this.handle(req, res).catch(() => res.destroy())
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(0, '127.0.0.1', () => resolve())
    })
    this.server = server
    this.port = (server.address() as AddressInfo).port
  }

  async close(): Promise<void> {
    const server = this.server
    if (!server) return
    this.server = undefined
    server.closeAllConnections()
    await new Promise<void>(resolve => server.close(() => resolve()))
  }

  seedSecret(name: string, value: string, opts?: Parameters<typeof seedSecretObject>[3]): void {
    seedSecretObject(this, name, value, opts)
  }

  seedKey(name: string, opts?: Parameters<typeof seedKeyObject>[2]): void {
    seedKeyObject(this, name, opts)
  }

  seedCertificate(name: string, opts?: Parameters<typeof seedCertificateObject>[2]): void {
    seedCertificateObject(this, name, opts)
  }

  refillThrottle(): void {
    this.bucket.reset()
  }

  /** A plain JSON inventory of the vault. */
  state(): VaultState {
    const now = this.clock.now()
    const item = (o: StoredObject, managed = false): ItemState => {
      const v = o.versions[o.versions.length - 1]
      return {
        name: o.name,
        versions: o.versions.map(x => x.id),
        tags: { ...v.tags },
        enabled: v.attributes.enabled,
        managed
      }
    }
    const kindState = (kind: Kind): KindState => {
      const c = this.collections[kind]
      c.sweep(now)
      const managed =
        kind === 'certificates' ? [] : this.collections.certificates.listActive(now).map(o => item(o, true))
      return {
        active: [...c.listActive(now).map(o => item(o)), ...managed].sort((a, b) =>
          a.name.localeCompare(b.name)
        ),
        deleted: c.listDeleted(now).map(d => ({
          name: d.object.name,
          deletedDate: d.deletedDate,
          scheduledPurgeDate: d.scheduledPurgeDate
        })),
        pendingDeletes: [...c.deleted.values()]
          .filter(d => d.visibleAt > now)
          .map(d => ({ name: d.object.name, until: d.visibleAt })),
        pendingPurges: [...c.purging.values()].map(p => ({ name: p.name, until: p.until })),
        recovering: [...c.active.values()]
          .filter(o => o.recoveringUntil !== undefined)
          .map(o => ({ name: o.name, until: o.recoveringUntil! }))
      }
    }
    return {
      secrets: kindState('secrets'),
      keys: kindState('keys'),
      certificates: kindState('certificates'),
      pendingCertificates: [...this.pendingCertificates.values()]
        .filter(p => p.status === 'inProgress')
        .map(p => p.name)
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://vault.invalid')
    const entry: RequestLogEntry = {
      time: 0,
      vault: this.name,
      method: req.method ?? 'GET',
      path: url.pathname,
      principal: 'anonymous',
      status: 0
    }
    const { fixedMs, jitterMs } = this.behaviour.latency
    const delay = fixedMs + (jitterMs > 0 ? Math.round(jitterMs * this.latencyRandom()) : 0)
    if (delay > 0) await sleep(delay)
    let reply: Reply
    try {
      reply = await this.process(req, url, entry)
    } catch (error) {
      if (error === RESET) {
        entry.status = 0
        entry.time = this.clock.now()
        this.shared.log(entry)
        req.socket.destroy()
        return
      }
      reply =
        error instanceof KvError
          ? toReply(error)
          : toReply(
              new KvError(
                500,
                'InternalServerError',
                `Internal error: ${error instanceof Error ? error.message : String(error)}`
              )
            )
    }
    entry.status = reply.status
    entry.time = this.clock.now()
    this.shared.log(entry)
    const body = reply.body === undefined ? '' : JSON.stringify(reply.body)
    res.writeHead(reply.status, this.responseHeaders(req, reply, body))
    res.end(body)
  }

  /** The headers of every answer, in the order the service sends them (the recorded responses). */
  private responseHeaders(req: IncomingMessage, reply: Reply, body: string): Record<string, string | number> {
    const headers: Record<string, string | number> = { 'cache-control': 'no-cache', pragma: 'no-cache' }
    // A 204 (purge) carries neither Content-Length nor Content-Type.
    if (reply.status !== 204) {
      headers['content-length'] = Buffer.byteLength(body)
      if (body) headers['content-type'] = 'application/json; charset=utf-8'
    }
    headers.expires = '-1'
    Object.assign(headers, reply.headers)
    headers['x-ms-keyvault-region'] = this.config.location
    const clientRequestId = req.headers['x-ms-client-request-id']
    if (typeof clientRequestId === 'string') headers['x-ms-client-request-id'] = clientRequestId
    headers['x-ms-request-id'] = randomUUID()
    headers['x-ms-keyvault-service-version'] = SERVICE_VERSION
    headers['x-ms-keyvault-network-info'] =
      `conn_type=Ipv4;addr=${this.behaviour.clientAddress};act_addr_fam=InterNetwork;`
    headers['strict-transport-security'] = 'max-age=31536000;includeSubDomains'
    headers['x-content-type-options'] = 'nosniff'
    return headers
  }

  private async process(req: IncomingMessage, url: URL, entry: RequestLogEntry): Promise<Reply> {
    const kvReq: KvRequest = {
      method: (req.method ?? 'GET').toUpperCase(),
      segments: url.pathname
        .split('/')
        .slice(1)
        .map(s => decodeURIComponent(s)),
      query: url.searchParams,
      origin: `https://${req.headers.host ?? `127.0.0.1:${this.port}`}`,
      path: url.pathname,
      apiVersion: '',
      readJson: () => readJson(req)
    }
    // Matching a route reads nothing; it names the operation in the log even for a 401.
    const route = secretRoute(this, kvReq) ?? keyRoute(this, kvReq) ?? certificateRoute(this, kvReq)
    entry.operation = route?.operation
    // Answer the challenge before touching the body: the first SDK request has none, az sends Content-Length 0.
    const principal = authenticate(req.headers.authorization, this.shared.jwks(), this.shared.audience)
    entry.principal = principal.oid
    kvReq.apiVersion = checkApiVersion(url.searchParams.get('api-version'))
    checkFirewall(this.config, this.behaviour.clientAddress, principal)
    const fault = this.faults.draw(this.behaviour.faults)
    if (fault === 'reset') throw RESET
    if (fault === '503')
      throw new KvError(503, 'ServiceUnavailable', 'The service is temporarily unavailable.')
    if (fault === '500') throw new KvError(500, 'InternalServerError', 'An internal server error occurred.')
    const { limit, windowMs, retryAfterSeconds } = this.behaviour.throttle
    if (!this.bucket.take(this.clock.now(), limit, windowMs)) throw throttled(retryAfterSeconds)
    if (!route)
      throw new KvError(404, 'NotFound', `The operation ${kvReq.method} ${url.pathname} is not supported.`)
    authorize(this.config, principal, route.need, route.resource)
    if (route.name !== undefined) checkName(route.name)
    return route.run()
  }
}

const RESET = Symbol('reset')
const SERVICE_VERSION = '1.9.2744.1'

function toReply(error: KvError): Reply {
  return { status: error.status, body: error.body(), headers: error.headers }
}

/** Accepts any api-version from 7.0 on (numeric or date form). */
function checkApiVersion(raw: string | null): string {
  if (!raw)
    throw badParameter('The api-version query parameter (?api-version=) is required for all requests.')
  const numeric = /^(\d+)\.(\d+)(-preview(\.\d+)?)?$/.exec(raw)
  const dated = /^(\d{4})-\d{2}-\d{2}(-preview)?$/.exec(raw)
  if ((numeric && Number(numeric[1]) >= 7) || (dated && Number(dated[1]) >= 2016)) return raw
  throw badParameter(
    `The specified version (${raw}) is not recognized. Consider using the latest supported version (2025-07-01).`
  )
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  const text = Buffer.concat(chunks).toString('utf8').trim()
  if (!text) return {}
  try {
    const value = JSON.parse(text)
    if (value && typeof value === 'object' && !Array.isArray(value)) return value
  } catch {
    // fall through
  }
  throw badParameter('The request body is not valid JSON.')
}
