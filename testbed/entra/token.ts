/**
 * The token endpoint's decision: given the tenant in the path and the form body, either an access token
 * or an Entra error. Pure apart from reading the clock, so that the HTTP layer stays thin.
 */
import { randomBytes, type JsonWebKey } from 'node:crypto'
import type { Cloud } from '../clouds.js'
import type { AppRegistration, TenantConfig } from '../config.js'
import { decodeJwt, signJwt, verifyJwt, type JwtClaims, type SigningKey } from '../jwt.js'
import { nowSeconds } from '../http.js'
import { AADSTS, type EntraError } from './errors.js'

export const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'
/** Entra tolerates this much clock skew on client assertions (the same as testbed/jwt.ts). */
const SKEW_SECONDS = 60

export type Grant = 'client_assertion' | 'client_secret'

export interface TokenContext {
  /** The tenant of the request's path, already resolved (and checked against the host's cloud). */
  tenant: TenantConfig
  /** The tenant's cloud: the issuer of its tokens. */
  cloud: Cloud
  githubJwks: () => JsonWebKey[]
  signingKey: SigningKey
  lifetimeSeconds: number
}

export interface TokenOutcome {
  clientId: string
  grant: Grant
  scope: string
  /** Set on success: the JSON body Entra answers with. */
  body?: { token_type: 'Bearer'; expires_in: number; ext_expires_in: number; access_token: string }
  error?: EntraError
}

/** `https://vault.azure.net/.default` -> `https://vault.azure.net`; `https://management.core.windows.net//.default` -> `https://management.core.windows.net/`. */
export function resourceOfScope(scope: string): string | undefined {
  const resource = scope.split(' ').find(s => s.endsWith('/.default'))
  return resource?.slice(0, -'/.default'.length)
}

/** The fields of the token request that the log records, also for a request refused before `issueToken`. */
export function describeRequest(form: URLSearchParams): Pick<TokenOutcome, 'clientId' | 'grant' | 'scope'> {
  return {
    clientId: form.get('client_id') ?? '',
    scope: form.get('scope') ?? '',
    grant: form.has('client_assertion') ? 'client_assertion' : 'client_secret'
  }
}

/** Handles `POST /{tenant}/oauth2/v2.0/token` for a known tenant. */
export function issueToken(form: URLSearchParams, ctx: TokenContext): TokenOutcome {
  const { clientId, grant, scope } = describeRequest(form)
  const fail = (error: EntraError): TokenOutcome => ({ clientId, grant, scope, error })
  const tenantId = ctx.tenant.tenantId

  const grantType = form.get('grant_type')
  if (!grantType) return fail(AADSTS.missingField('grant_type'))
  if (grantType !== 'client_credentials') return fail(AADSTS.unsupportedGrant(grantType))
  if (!clientId) return fail(AADSTS.missingField('client_id'))
  const app = ctx.tenant.apps.find(a => a.clientId.toLowerCase() === clientId.toLowerCase())
  if (!app) return fail(AADSTS.unknownClient(clientId, tenantId))

  const credentialError =
    grant === 'client_assertion'
      ? checkAssertion(app, form, ctx.githubJwks())
      : checkSecret(app, form.get('client_secret'))
  if (credentialError) return fail(credentialError)

  if (!scope) return fail(AADSTS.missingField('scope'))
  const resource = resourceOfScope(scope)
  if (!resource) return fail(AADSTS.badScope(scope))

  const now = nowSeconds()
  // v1 access tokens (what Key Vault and ARM receive) carry the cloud's STS issuer.
  const issuer = `${ctx.cloud.stsIssuer}/${tenantId}/`
  // Entra back-dates iat/nbf by five minutes to absorb clock skew; exp counts from real time.
  const claims: JwtClaims = {
    aud: resource,
    iss: issuer,
    iat: now - 300,
    nbf: now - 300,
    exp: now + ctx.lifetimeSeconds,
    aio: randomBytes(24).toString('base64url'),
    appid: app.clientId,
    azp: app.clientId,
    appidacr: grant === 'client_secret' ? '1' : '2',
    idp: issuer,
    idtyp: 'app',
    oid: app.objectId,
    rh: randomBytes(12).toString('base64url'),
    sub: app.objectId,
    tid: tenantId,
    uti: randomBytes(16).toString('base64url'),
    ver: '1.0',
    xms_tcdt: now - 86_400
  }
  return {
    clientId,
    grant,
    scope,
    body: {
      token_type: 'Bearer',
      expires_in: ctx.lifetimeSeconds,
      ext_expires_in: ctx.lifetimeSeconds,
      access_token: signJwt(claims, ctx.signingKey)
    }
  }
}

function checkSecret(app: AppRegistration, secret: string | null): EntraError | undefined {
  if (secret === null) return AADSTS.noCredential()
  if (!app.clientSecret || secret !== app.clientSecret) return AADSTS.invalidSecret(app.clientId)
  return undefined
}

/**
 * Validates a federated client assertion the way Entra does: a federated credential must trust the
 * issuer, the signature must verify against that issuer's keys, the assertion must be within its time
 * range, and issuer + subject + audience must match one record exactly (case-sensitive).
 */
function checkAssertion(
  app: AppRegistration,
  form: URLSearchParams,
  jwks: JsonWebKey[]
): EntraError | undefined {
  if (form.get('client_assertion_type') !== JWT_BEARER) return AADSTS.badAssertionType()
  const assertion = form.get('client_assertion') ?? ''
  let claims: JwtClaims
  try {
    claims = decodeJwt(assertion).claims
  } catch {
    return AADSTS.malformedAssertion()
  }
  const issuer = String(claims.iss ?? '')
  const subject = String(claims.sub ?? '')
  const audiences = Array.isArray(claims.aud) ? claims.aud : [String(claims.aud ?? '')]
  const records = (app.federatedCredentials ?? []).filter(f => f.issuer === issuer)
  const mismatch = AADSTS.noFederatedRecord(issuer, subject, audiences.join(', '))
  if (records.length === 0) return mismatch

  const now = nowSeconds()
  const exp = typeof claims.exp === 'number' ? claims.exp : 0
  const nbf = typeof claims.nbf === 'number' ? claims.nbf : typeof claims.iat === 'number' ? claims.iat : 0
  try {
    // Time is checked below with Entra's wording, so verify the signature at a moment inside the range.
    verifyJwt(assertion, jwks, Math.min(Math.max(now, nbf), exp || now))
  } catch {
    return AADSTS.assertionSignature()
  }
  if (!exp || now > exp + SKEW_SECONDS || now < nbf - SKEW_SECONDS) return AADSTS.assertionTime(now, nbf, exp)

  const matched = records.some(f => f.subject === subject && audiences.some(a => f.audiences.includes(a)))
  return matched ? undefined : mismatch
}
