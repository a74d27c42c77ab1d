/**
 * A fake Azure Resource Manager (HTTPS) for the three clouds: the proxy tunnels management.azure.com,
 * management.usgovcloudapi.net and management.chinacloudapi.cn here. It answers from the test bed's
 * directory, so every vault of the emulator appears in its subscription with its tenant, location,
 * resource group and settings.
 *
 *   GET /subscriptions                                   Subscriptions_List (those the caller has any role in)
 *   GET /subscriptions/{sub}                             Subscriptions_Get
 *   GET /tenants                                         Tenants_List (the token's tenant)
 *   GET /subscriptions/{sub}/providers/Microsoft.KeyVault/vaults                 Vaults_ListBySubscription
 *   GET /subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.KeyVault/vaults   Vaults_ListByResourceGroup
 *   GET /subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.KeyVault/vaults/{name}   Vaults_Get
 *   GET /subscriptions/{sub}/resources?$filter=resourceType eq 'Microsoft.KeyVault/vaults'   Vaults_List
 *
 * Tokens must be the fake Entra's, for the cloud's management resource and, on a subscription, of its
 * tenant. Reads need `Microsoft.KeyVault/vaults/read` through RBAC (subscription, resource group or vault
 * scope); listings show what the caller may read and answer 403 AuthorizationFailed when it may read
 * nothing. Reads are throttled with ARM's token bucket per subscription (or tenant) and caller.
 */
import { createServer, type Server } from 'node:https'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { randomUUID, type JsonWebKey } from 'node:crypto'
import { CLOUDS, cloudOfManagementHost, type Cloud } from '../clouds.js'
import type { TestClock } from '../clock.js'
import { cloudOfTenant, type ArmBehaviour, type TenantConfig } from '../config.js'
import type { Directory, DirectorySubscription, DirectoryVault } from '../directory.js'
import { closeServer, listenOnLoopback } from '../http.js'
import { verifyJwt, type JwtClaims } from '../jwt.js'
import { allowsAction } from '../rbac.js'
import { ARM, ArmError } from './errors.js'
import { page, resourceJson, subscriptionJson, tenantJson, vaultJson, VAULT_TYPE } from './resources.js'

export const VAULTS_READ = 'Microsoft.KeyVault/vaults/read'

export interface ArmLogEntry {
  /** Clock ms. */
  time: number
  host: string
  method: string
  /** Path without the query. */
  path: string
  /** The caller's object id, or 'anonymous'. */
  principal: string
  status: number
  operation?: string
}

/** What one principal sees through Resource Manager. */
export interface ArmView {
  /** Subscription ids `GET /subscriptions` lists for it. */
  subscriptions: string[]
  /** Per listed subscription: the vault names `Vaults_ListBySubscription` returns (sorted). */
  vaults: Record<string, string[]>
  /** Listed subscriptions whose vault listing answers 403 AuthorizationFailed. */
  forbidden: string[]
}

export interface FakeArm {
  readonly port: number
  /** `https://127.0.0.1:<port>` (answers as the public cloud unless the Host header names another). */
  readonly url: string
  /** Mutable at run time: throttle budget and page size. */
  behaviour: ArmBehaviour
  readonly requestLog: ArmLogEntry[]
  clearLog(): void
  /** Refills every token bucket, as after an idle period. */
  refillThrottle(): void
  /** What `oid` (signed in to `tenant`, a name or id) sees, computed by the same rules as the routes. */
  view(oid: string, tenant?: string): ArmView
  stop(): Promise<void>
}

export interface ArmOptions {
  tls: { cert: string; key: string }
  directory: Directory
  /** Entra's public keys. */
  jwks: () => JsonWebKey[]
  clock: TestClock
  behaviour?: Partial<ArmBehaviour>
}

export function defaultArmBehaviour(): ArmBehaviour {
  return { throttle: { reads: 250, refillPerSecond: 25 }, pageSize: 25 }
}

interface Caller {
  oid: string
  tenant: TenantConfig
  cloud: Cloud
  claims: JwtClaims
}

interface Reply {
  status: number
  body: unknown
  headers?: Record<string, string>
}

/** ARM's authority in 401 challenges and wrong-tenant messages. */
const authorityOf = (cloud: Cloud): string =>
  cloud.name === 'AzureCloud' ? 'https://login.windows.net' : cloud.authorityHost

const same = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase()

class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>()

  /** Takes one read token; returns the tokens left, or the seconds to wait when the bucket is empty. */
  take(
    key: string,
    now: number,
    budget: ArmBehaviour['throttle']
  ): { left: number } | { retryAfter: number } {
    const bucket = this.buckets.get(key) ?? { tokens: budget.reads, at: now }
    bucket.tokens = Math.min(
      budget.reads,
      bucket.tokens + ((now - bucket.at) / 1000) * budget.refillPerSecond
    )
    bucket.at = now
    this.buckets.set(key, bucket)
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1
      return { left: Math.floor(bucket.tokens) }
    }
    const rate = budget.refillPerSecond
    return { retryAfter: rate > 0 ? Math.max(1, Math.ceil((1 - bucket.tokens) / rate)) : 1 }
  }

  clear(): void {
    this.buckets.clear()
  }
}

/** Starts the fake Resource Manager on 127.0.0.1 with an ephemeral port. */
export async function startArm(opts: ArmOptions): Promise<FakeArm> {
  const { directory, clock } = opts
  const defaults = defaultArmBehaviour()
  const behaviour: ArmBehaviour = {
    throttle: { ...defaults.throttle, ...opts.behaviour?.throttle },
    pageSize: opts.behaviour?.pageSize ?? defaults.pageSize,
    ...(opts.behaviour?.latencyMs !== undefined && { latencyMs: opts.behaviour.latencyMs })
  }
  const state = { behaviour }
  const requestLog: ArmLogEntry[] = []
  const buckets = new TokenBuckets()

  /** Any role assignment anywhere in the subscription makes it listed (as ARM does). */
  const visibleTo = (sub: DirectorySubscription, oid: string): boolean =>
    directory.assignmentsWithin(sub.config.subscriptionId).some(a => same(a.principalId, oid))

  const mayRead = (vault: DirectoryVault, oid: string): boolean =>
    allowsAction(directory.assignmentsOn(vault.config), oid, VAULTS_READ)

  const vaultsOf = (subscriptionId: string): DirectoryVault[] =>
    directory.vaults().filter(v => same(v.config.subscriptionId, subscriptionId))

  /** The vaults of a subscription the caller may read, or undefined when it may read none anywhere in it. */
  const readableIn = (sub: DirectorySubscription, oid: string): DirectoryVault[] | undefined => {
    const atSubscription = allowsAction(sub.config.roleAssignments ?? [], oid, VAULTS_READ)
    const vaults = vaultsOf(sub.config.subscriptionId)
    if (atSubscription) return vaults
    const anywhere = allowsAction(directory.assignmentsWithin(sub.config.subscriptionId), oid, VAULTS_READ)
    return anywhere ? vaults.filter(v => mayRead(v, oid)) : undefined
  }

  const subscriptionsOf = (tenant: TenantConfig, oid: string): DirectorySubscription[] =>
    directory.subscriptions().filter(s => same(s.tenant.tenantId, tenant.tenantId) && visibleTo(s, oid))

  const authenticateCaller = (req: IncomingMessage, hostCloud: Cloud | undefined): Caller => {
    const authority = authorityOf(hostCloud ?? CLOUDS.AzureCloud)
    const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')
    if (!match) throw ARM.missingToken(authority)
    let claims: JwtClaims
    try {
      claims = verifyJwt(match[1], opts.jwks())
    } catch (error) {
      const now = Math.floor(Date.now() / 1000)
      if (error instanceof Error && error.message.includes('expired')) {
        const exp = Number(JSON.parse(Buffer.from(match[1].split('.')[1], 'base64url').toString()).exp)
        throw ARM.expiredToken(authority, exp, now)
      }
      throw ARM.invalidToken(authority)
    }
    const tenant = directory.tenant(String(claims.tid ?? ''))
    if (!tenant) throw ARM.invalidToken(authority)
    const cloud = hostCloud ?? CLOUDS[cloudOfTenant(tenant)]
    const aud = String(claims.aud ?? '')
    if (!cloud.managementAudiences.includes(aud))
      throw ARM.wrongAudience(authority, aud, cloud.managementAudiences)
    return { oid: String(claims.oid ?? claims.sub ?? ''), tenant, cloud, claims }
  }

  /** A subscription of the caller's cloud, checked against the token's tenant. */
  const subscriptionFor = (caller: Caller, subscriptionId: string): DirectorySubscription => {
    const sub = directory.subscription(subscriptionId)
    if (!sub || sub.cloud !== caller.cloud) throw ARM.subscriptionNotFound(subscriptionId)
    if (!same(sub.tenant.tenantId, caller.tenant.tenantId)) {
      throw ARM.wrongTenant(
        authorityOf(caller.cloud),
        String(caller.claims.iss ?? ''),
        `${sub.cloud.stsIssuer}/${sub.tenant.tenantId}/`,
        sub.tenant.tenantId
      )
    }
    return sub
  }

  const throttle = (scope: 'subscription' | 'tenant', id: string, oid: string): Record<string, string> => {
    const taken = buckets.take(`${scope}|${id.toLowerCase()}|${oid}`, clock.now(), state.behaviour.throttle)
    if ('retryAfter' in taken) throw ARM.throttled(scope, id, oid, taken.retryAfter)
    return { [`x-ms-ratelimit-remaining-${scope}-reads`]: String(taken.left) }
  }

  const listing = (
    url: URL,
    vaults: DirectoryVault[],
    shape: (v: DirectoryVault) => Record<string, unknown>
  ): Record<string, unknown> => {
    const top = Number(url.searchParams.get('$top'))
    const size = Number.isInteger(top) && top > 0 ? Math.min(top, 1000) : state.behaviour.pageSize
    const { items, next } = page(vaults, url.searchParams.get('$skiptoken'), size)
    const body: Record<string, unknown> = { value: items.map(shape) }
    if (next) {
      const link = new URL(url.href)
      link.searchParams.delete('$skiptoken')
      link.searchParams.set('$skiptoken', next)
      body.nextLink = link.href.replace(/%24/g, '$')
    }
    return body
  }

  const route = (req: IncomingMessage, url: URL, host: string, entry: ArmLogEntry): Reply => {
    const hostCloud = cloudOfManagementHost(host)
    const caller = authenticateCaller(req, hostCloud)
    entry.principal = caller.oid
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent)
    const lower = parts.map(p => p.toLowerCase())
    if (req.method !== 'GET') throw ARM.methodNotAllowed(req.method ?? '')
    const apiVersion = url.searchParams.get('api-version')
    if (!apiVersion) throw ARM.missingApiVersion()
    if (!/^\d{4}-\d{2}-\d{2}(-preview)?$/.test(apiVersion)) throw ARM.badApiVersion(apiVersion)
    const { oid } = caller

    if (parts.length === 1 && lower[0] === 'subscriptions') {
      entry.operation = 'Subscriptions_List'
      const headers = throttle('tenant', caller.tenant.tenantId, oid)
      const subs = subscriptionsOf(caller.tenant, oid).filter(s => s.cloud === caller.cloud)
      return {
        status: 200,
        body: { value: subs.map(subscriptionJson), count: { type: 'Total', value: subs.length } },
        headers
      }
    }
    if (parts.length === 1 && lower[0] === 'tenants') {
      entry.operation = 'Tenants_List'
      const headers = throttle('tenant', caller.tenant.tenantId, oid)
      return { status: 200, body: { value: [tenantJson(caller.tenant)] }, headers }
    }
    if (lower[0] !== 'subscriptions' || parts.length < 2) throw ARM.noRoute(url.pathname)

    const sub = subscriptionFor(caller, parts[1])
    const subscriptionId = sub.config.subscriptionId
    const headers = throttle('subscription', subscriptionId, oid)
    const rest = lower.slice(2).join('/')
    const subScope = `/subscriptions/${parts[1]}`

    if (parts.length === 2) {
      entry.operation = 'Subscriptions_Get'
      if (!visibleTo(sub, oid)) throw ARM.subscriptionNotFound(parts[1])
      return { status: 200, body: subscriptionJson(sub), headers }
    }
    if (rest === 'providers/microsoft.keyvault/vaults') {
      entry.operation = 'Vaults_ListBySubscription'
      const vaults = readableIn(sub, oid)
      if (!vaults) throw ARM.authorizationFailed(oid, VAULTS_READ, subScope)
      return { status: 200, body: listing(url, vaults, vaultJson), headers }
    }
    if (rest === 'resources') {
      entry.operation = 'Vaults_List'
      const vaults = readableIn(sub, oid)
      if (!vaults)
        throw ARM.authorizationFailed(oid, 'Microsoft.Resources/subscriptions/resources/read', subScope)
      const filter = url.searchParams.get('$filter')
      const wanted = !filter || /resourceType\s+eq\s+'Microsoft\.KeyVault\/vaults'/i.test(filter)
      return { status: 200, body: listing(url, wanted ? vaults : [], resourceJson), headers }
    }
    const inGroup =
      lower[2] === 'resourcegroups' && lower[4] === 'providers' && lower[5] === 'microsoft.keyvault'
    if (inGroup && lower[6] === 'vaults' && parts.length <= 8) {
      const group = parts[3]
      const groupExists = directory.resourceGroups(subscriptionId).some(g => same(g, group))
      const groupAssignments = [
        ...(sub.config.roleAssignments ?? []),
        ...((sub.config.resourceGroups ?? []).find(g => same(g.name, group))?.roleAssignments ?? [])
      ]
      const inThisGroup = vaultsOf(subscriptionId).filter(v => same(v.resourceGroup, group))
      if (parts.length === 7) {
        entry.operation = 'Vaults_ListByResourceGroup'
        const atGroup = allowsAction(groupAssignments, oid, VAULTS_READ)
        const readable = atGroup ? inThisGroup : inThisGroup.filter(v => mayRead(v, oid))
        if (!atGroup && readable.length === 0) {
          throw ARM.authorizationFailed(oid, VAULTS_READ, `${subScope}/resourceGroups/${group}`)
        }
        if (!groupExists) throw ARM.resourceGroupNotFound(group)
        return { status: 200, body: listing(url, readable, vaultJson), headers }
      }
      entry.operation = 'Vaults_Get'
      const vault = inThisGroup.find(v => same(v.config.name, parts[7]))
      const allowed = vault ? mayRead(vault, oid) : allowsAction(groupAssignments, oid, VAULTS_READ)
      if (!allowed) throw ARM.authorizationFailed(oid, VAULTS_READ, url.pathname)
      if (!groupExists) throw ARM.resourceGroupNotFound(group)
      if (!vault) throw ARM.resourceNotFound(VAULT_TYPE, parts[7], group)
      return { status: 200, body: vaultJson(vault), headers }
    }
    throw ARM.noRoute(url.pathname)
  }

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const host = req.headers.host ?? '127.0.0.1'
    const url = new URL(req.url ?? '/', `https://${host}`)
    const entry: ArmLogEntry = {
      time: 0,
      host: host.replace(/:\d+$/, ''),
      method: req.method ?? 'GET',
      path: url.pathname,
      principal: 'anonymous',
      status: 0
    }
    let reply: Reply
    try {
      reply = route(req, url, host, entry)
    } catch (error) {
      const e =
        error instanceof ArmError
          ? error
          : new ArmError(
              500,
              'InternalServerError',
              `Internal error: ${error instanceof Error ? error.message : String(error)}`
            )
      reply = { status: e.status, body: e.body(), headers: e.headers }
    }
    entry.status = reply.status
    entry.time = clock.now()
    requestLog.push(entry)
    const text = JSON.stringify(reply.body)
    const requestId = randomUUID()
    res.writeHead(reply.status, {
      'cache-control': 'no-cache',
      pragma: 'no-cache',
      'content-length': Buffer.byteLength(text),
      'content-type': 'application/json; charset=utf-8',
      expires: '-1',
      ...reply.headers,
      'x-ms-request-id': requestId,
      'x-ms-correlation-request-id': requestId,
      'x-ms-routing-request-id': `WESTEUROPE:${new Date(clock.now()).toISOString().replace(/[-:.]/g, '').slice(0, 15)}Z:${requestId}`,
      'strict-transport-security': 'max-age=31536000; includeSubDomains',
      'x-content-type-options': 'nosniff'
    })
    res.end(text)
  }

  const server: Server = createServer({ cert: opts.tls.cert, key: opts.tls.key }, (req, res) => {
    // Bodies are never needed (every route is a GET); drain whatever comes.
    req.resume()
    const answer = (): void => {
      try {
        handle(req, res)
      } catch {
        res.destroy()
      }
    }
    const latency = state.behaviour.latencyMs ?? 0
    if (latency > 0) setTimeout(answer, latency)
    else answer()
  })
  const port = await listenOnLoopback(server)

  const view = (oid: string, tenantRef?: string): ArmView => {
    const tenant = tenantRef ? directory.tenant(tenantRef) : directory.defaultTenant
    if (!tenant) throw new Error(`unknown tenant ${tenantRef}`)
    const result: ArmView = { subscriptions: [], vaults: {}, forbidden: [] }
    for (const sub of subscriptionsOf(tenant, oid)) {
      const id = sub.config.subscriptionId
      result.subscriptions.push(id)
      const readable = readableIn(sub, oid)
      if (readable) result.vaults[id] = readable.map(v => v.config.name).sort()
      else result.forbidden.push(id)
    }
    return result
  }

  return {
    port,
    url: `https://127.0.0.1:${port}`,
    get behaviour() {
      return state.behaviour
    },
    set behaviour(value: ArmBehaviour) {
      state.behaviour = value
    },
    requestLog,
    clearLog() {
      requestLog.length = 0
    },
    refillThrottle: () => buckets.clear(),
    view,
    stop: () => closeServer(server)
  }
}
