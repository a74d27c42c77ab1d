/**
 * Fake Microsoft Entra authority (HTTPS). Serves the OpenID configuration, signing keys, MSAL instance
 * discovery and the v2.0 token endpoint for client credentials (secret or GitHub federated assertion),
 * plus the ARM listings `az login` reads. The test bed's proxy tunnels login.microsoftonline.com (and the
 * sovereign clouds' login hosts) and management.azure.com here, so every URL is built from the Host header.
 */
import { createServer, type Server } from 'node:https'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { randomUUID, type JsonWebKey } from 'node:crypto'
import type { TestbedLayout } from './config.js'
import { createSigningKey } from './jwt.js'
import { closeServer, listenOnLoopback, readBody, sendJson } from './http.js'
import { AADSTS, errorBody, type EntraError } from './entra/errors.js'
import { instanceDiscovery, keySet, openIdConfiguration } from './entra/discovery.js'
import { issueToken, type Grant } from './entra/token.js'
import { handleArm } from './entra/arm.js'

export interface EntraOptions {
  tls: { cert: string; key: string }
  layout: Pick<TestbedLayout, 'tenantId' | 'apps'>
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

const isKnownTenant = (tenant: string, tenantId: string): boolean =>
  tenant.toLowerCase() === tenantId.toLowerCase() || tenant === 'common' || tenant === 'organizations'

/** Starts the fake Entra on 127.0.0.1 with an ephemeral port. */
export async function startEntra(opts: EntraOptions): Promise<FakeEntra> {
  const signingKey = createSigningKey()
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
    const { tenantId } = opts.layout

    if (handleArm(req, res, url.pathname, { tenantId, jwks: jwks() })) return
    const [tenant, ...rest] = url.pathname.split('/').filter(Boolean).map(decodeURIComponent)
    const route = `${req.method} /${rest.join('/')}`

    if (route === 'GET /discovery/instance' && tenant === 'common') {
      sendJson(res, 200, instanceDiscovery(origin, host, url.searchParams.get('authorization_endpoint')))
    } else if (route === 'GET /v2.0/.well-known/openid-configuration') {
      if (!isKnownTenant(tenant, tenantId)) return fail(AADSTS.tenantNotFound(tenant))
      sendJson(res, 200, openIdConfiguration(origin, tenant, host))
    } else if (route === 'GET /discovery/v2.0/keys') {
      if (!isKnownTenant(tenant, tenantId)) return fail(AADSTS.tenantNotFound(tenant))
      sendJson(res, 200, keySet(jwks(), `${origin}/${tenant}/v2.0`))
    } else if (route === 'POST /oauth2/v2.0/token') {
      const form = new URLSearchParams(await readBody(req))
      const outcome = issueToken(tenant, form, {
        tenantId,
        apps: opts.layout.apps,
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
