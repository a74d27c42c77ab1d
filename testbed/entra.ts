/**
 * Fake Microsoft Entra authority (HTTPS) for every tenant of the layout, in every cloud. Serves the OpenID
 * configuration, signing keys, MSAL instance discovery and the v2.0 token endpoint for client credentials
 * (secret or GitHub federated assertion). The test bed's proxy tunnels the login hosts of the three clouds
 * here, so every URL is built from the Host header; a tenant answers only on its own cloud's hosts (and
 * on the loopback address, which stands for any cloud).
 */
import { createServer, type Server } from 'node:https'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { randomUUID, type JsonWebKey } from 'node:crypto'
import { CLOUDS, cloudOfLoginHost, type Cloud } from './clouds.js'
import { cloudOfTenant, normalizeTenants, type LayoutInput, type TenantConfig } from './config.js'
import { createSigningKey } from './jwt.js'
import { closeServer, listenOnLoopback, readBody, sendJson } from './http.js'
import { AADSTS, errorBody, type EntraError } from './entra/errors.js'
import { instanceDiscovery, keySet, openIdConfiguration } from './entra/discovery.js'
import { describeRequest, issueToken, type Grant } from './entra/token.js'

export interface EntraOptions {
  tls: { cert: string; key: string }
  /** The tenants and their apps: either layout shape (`tenantId` + `apps`, or `tenants`). */
  layout: Pick<LayoutInput, 'tenantId' | 'apps' | 'tenants'>
  /** The fake GitHub OIDC issuer's public keys, to verify federated client assertions. */
  githubJwks: () => JsonWebKey[]
  /** Default 3599, as Entra. */
  accessTokenLifetimeSeconds?: number
}

export interface TokenLogEntry {
  time: number
  clientId: string
  grant: Grant
  scope: string
  status: number
  error?: string
}

export interface IssuedCredential {
  assertion?: string
  accessToken?: string
}

export interface FakeEntra {
  readonly port: number
  /** `https://127.0.0.1:<port>`, usable as `authorityHost`. */
  readonly url: string
  /** Public keys that sign access tokens (resource servers verify with these). */
  jwks(): JsonWebKey[]
  accessTokenLifetimeSeconds: number
  readonly tokenLog: TokenLogEntry[]
  /**
   * The raw client assertion and issued access token of each token request, in order (read-only use:
   * secret-hygiene tests look for them in the action's log; never print them).
   */
  readonly issuedCredentials: ReadonlyArray<IssuedCredential>
  stop(): Promise<void>
}

const MULTI_TENANT = new Set(['common', 'organizations'])

type Lookup = { tenant: TenantConfig; cloud: Cloud } | { error: EntraError }

/**
 * Finds the tenant of a request path (by id or default domain) as the host's cloud sees it: a tenant of
 * another cloud is not found there (AADSTS90002), except that the public cloud still serves a US Gov
 * tenant's metadata and refuses its token requests with AADSTS900439, as Entra does.
 */
function lookupTenant(
  tenants: readonly TenantConfig[],
  segment: string,
  host: string,
  purpose: 'metadata' | 'token'
): Lookup {
  const key = segment.toLowerCase()
  const tenant = tenants.find(t => t.tenantId.toLowerCase() === key || t.defaultDomain?.toLowerCase() === key)
  if (!tenant) return { error: AADSTS.tenantNotFound(segment) }
  const cloud = CLOUDS[cloudOfTenant(tenant)]
  const hostCloud = cloudOfLoginHost(host)
  if (hostCloud && hostCloud !== cloud) {
    const govOnPublic = cloud.name === 'AzureUSGovernment' && hostCloud.name === 'AzureCloud'
    if (!govOnPublic) return { error: AADSTS.tenantNotFound(segment) }
    if (purpose === 'token') return { error: AADSTS.govTenantOnPublicEndpoint() }
  }
  return { tenant, cloud }
}

/** Starts the fake Entra on 127.0.0.1 with an ephemeral port. */
export async function startEntra(opts: EntraOptions): Promise<FakeEntra> {
  const signingKey = createSigningKey()
  const tenants = normalizeTenants(opts.layout)
  const tokenLog: TokenLogEntry[] = []
  const issuedCredentials: IssuedCredential[] = []
  const state = { lifetime: opts.accessTokenLifetimeSeconds ?? 3599 }
  const jwks = (): JsonWebKey[] => [signingKey.publicJwk]

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const host = req.headers.host ?? '127.0.0.1'
    const origin = `https://${host}`
    const url = new URL(req.url ?? '/', origin)
    const correlationId = String(req.headers['client-request-id'] ?? randomUUID())
    const fail = (e: EntraError): void => sendJson(res, e.status, errorBody(e, host, correlationId))

    const [tenant = '', ...rest] = url.pathname.split('/').filter(Boolean).map(decodeURIComponent)
    const route = `${req.method} /${rest.join('/')}`
    const metadata = (): { tenantId: string; cloud?: Cloud } | undefined => {
      if (MULTI_TENANT.has(tenant)) return { tenantId: tenant, cloud: cloudOfLoginHost(host) }
      const found = lookupTenant(tenants, tenant, host, 'metadata')
      if ('error' in found) return void fail(found.error)
      return { tenantId: found.tenant.tenantId, cloud: found.cloud }
    }

    if (route === 'GET /discovery/instance' && tenant === 'common') {
      sendJson(res, 200, instanceDiscovery(origin, host, url.searchParams.get('authorization_endpoint')))
    } else if (route === 'GET /v2.0/.well-known/openid-configuration') {
      const found = metadata()
      if (found) sendJson(res, 200, openIdConfiguration(origin, found.tenantId, host, found.cloud))
    } else if (route === 'GET /discovery/v2.0/keys') {
      const found = metadata()
      if (found) sendJson(res, 200, keySet(jwks(), `${origin}/${found.tenantId}/v2.0`))
    } else if (route === 'POST /oauth2/v2.0/token') {
      const form = new URLSearchParams(await readBody(req))
      const found: Lookup = MULTI_TENANT.has(tenant)
        ? { error: AADSTS.noTenantInRequest() }
        : lookupTenant(tenants, tenant, host, 'token')
      const outcome =
        'error' in found
          ? { ...describeRequest(form), error: found.error, body: undefined }
          : issueToken(form, {
              tenant: found.tenant,
              cloud: found.cloud,
              githubJwks: opts.githubJwks,
              signingKey,
              lifetimeSeconds: state.lifetime
            })
      const { clientId, grant, scope } = outcome
      const status = outcome.error?.status ?? 200
      tokenLog.push({
        time: Date.now(),
        clientId,
        grant,
        scope,
        status,
        error: outcome.error && `AADSTS${outcome.error.code}`
      })
      issuedCredentials.push({
        ...(form.has('client_assertion') && { assertion: form.get('client_assertion') ?? '' }),
        ...(outcome.body && { accessToken: outcome.body.access_token })
      })
      if (outcome.error) return fail(outcome.error)
      sendJson(res, 200, outcome.body, { 'cache-control': 'no-store, no-cache', pragma: 'no-cache' })
    } else {
      sendJson(res, 404, {
        error: 'not_found',
        error_description: `No route for ${req.method} ${url.pathname}`
      })
    }
  }

  const server: Server = createServer({ cert: opts.tls.cert, key: opts.tls.key }, (req, res) => {
    handle(req, res).catch(err => {
      if (!res.headersSent) sendJson(res, 500, { error: 'server_error', error_description: String(err) })
      else res.destroy()
    })
  })
  const port = await listenOnLoopback(server)
  return {
    port,
    url: `https://127.0.0.1:${port}`,
    jwks,
    get accessTokenLifetimeSeconds() {
      return state.lifetime
    },
    set accessTokenLifetimeSeconds(value: number) {
      state.lifetime = value
    },
    tokenLog,
    issuedCredentials,
    stop: () => closeServer(server)
  }
}
