import * as core from '@actions/core'
import {
  AzureCliCredential,
  ClientAssertionCredential,
  DefaultAzureCredential,
  ManagedIdentityCredential,
  type AccessToken,
  type GetTokenOptions,
  type TokenCredential
} from '@azure/identity'
import type { AssertionClaims } from '../core/explain.js'
import type { Clock } from '../core/types.js'
import type { Identity } from '../core/identity.js'

/** What signing in needs from its surroundings; the action passes the runner's, tests their own. */
export interface AuthEnvironment {
  getIDToken(audience: string): Promise<string>
  setSecret(secret: string): void
  env: NodeJS.ProcessEnv
}

/** The GitHub runner: OIDC tokens from `@actions/core` (which masks them), masking through `::add-mask::`. */
export const runnerEnvironment: AuthEnvironment = {
  getIDToken: audience => core.getIDToken(audience),
  setSecret: secret => core.setSecret(secret),
  env: process.env
}

/** An identity signed in: one credential for every client of the run that acts as it. */
export interface SignedIn {
  credential: TokenCredential
  /** The claims of the last GitHub assertion presented (never the token), for sign-in errors. */
  claims(): AssertionClaims | undefined
}

/** Reads a JWT's payload without verifying it: only to tell the user which claims Entra saw. */
export function decodeJwtClaims(jwt: string): AssertionClaims {
  try {
    const claims = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8'))
    return { iss: claims.iss, sub: claims.sub, aud: claims.aud, iat: claims.iat, exp: claims.exp }
  } catch {
    return {}
  }
}

/**
 * Until when a GitHub assertion may be presented again: a minute before its `exp`, or a quarter of
 * its lifetime for a short one; never again when it says no `exp`.
 */
export function assertionReuseUntil(claims: AssertionClaims): number {
  const exp = Number(claims.exp) * 1000
  if (!Number.isFinite(exp) || exp <= 0) return 0
  const iat = Number(claims.iat) * 1000
  const lifetime = Number.isFinite(iat) && iat > 0 && iat < exp ? exp - iat : 4 * 60_000
  return exp - Math.min(60_000, lifetime / 4)
}

/**
 * Signs in as `identity`. With OIDC one GitHub assertion serves the Entra token requests while it is
 * far from its expiry, then a fresh one is fetched (so a long run never presents an expired one);
 * access tokens are kept until near their expiry and shared by every client (see `sharedTokens`).
 * Every token is masked before anything else can print it.
 */
export function signIn(identity: Identity, runner: AuthEnvironment, clock: Clock): SignedIn {
  let lastClaims: AssertionClaims | undefined
  const authorityHost = identity.cloud.authorityHost
  let inner: TokenCredential
  switch (identity.method) {
    case 'oidc': {
      if (!runner.env.ACTIONS_ID_TOKEN_REQUEST_URL || !runner.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN) {
        throw new Error(
          "auth 'oidc' needs a GitHub OIDC token, but this job may not request one: add " +
            "'permissions: id-token: write' to the job (or the workflow). Otherwise use auth 'azure-cli' or 'managed-identity'."
        )
      }
      // One GitHub assertion serves every Entra token request while it is far from its expiry (MSAL
      // asks twice per request, and the vault and Resource Manager each need a token); after that, or
      // after a refused request, the next request fetches a fresh one. Never one near or past its exp.
      let assertion: { token: Promise<string>; reuseUntil: number } | undefined
      const getAssertion = (): Promise<string> => {
        if (assertion && clock.now() < assertion.reuseUntil) return assertion.token
        const fetched = { token: runner.getIDToken(identity.audience), reuseUntil: Infinity }
        assertion = fetched
        // core.getIDToken masks the token itself.
        fetched.token = fetched.token.then(
          token => {
            const claims = decodeJwtClaims(token)
            lastClaims = claims
            fetched.reuseUntil = assertionReuseUntil(claims)
            return token
          },
          (error: unknown) => {
            if (assertion === fetched) assertion = undefined
            throw error
          }
        )
        return fetched.token
      }
      const msal = new ClientAssertionCredential(
        identity.tenantId ?? '',
        identity.clientId ?? '',
        getAssertion,
        {
          authorityHost
        }
      )
      inner = {
        getToken: async (scopes, options) => {
          try {
            return await msal.getToken(scopes, options)
          } catch (error) {
            assertion = undefined
            throw error
          }
        }
      }
      break
    }
    case 'azure-cli':
      inner = new AzureCliCredential(identity.tenantId ? { tenantId: identity.tenantId } : {})
      break
    case 'managed-identity':
      inner = identity.clientId
        ? new ManagedIdentityCredential({ clientId: identity.clientId })
        : new ManagedIdentityCredential()
      break
    case 'default':
      inner = new DefaultAzureCredential({
        authorityHost,
        ...(identity.tenantId && { tenantId: identity.tenantId }),
        ...(identity.clientId && { managedIdentityClientId: identity.clientId })
      })
      break
  }
  return { credential: sharedTokens(inner, runner.setSecret, clock), claims: () => lastClaims }
}

/** Refresh this long before expiry, or at a quarter of a short token's lifetime. */
const REFRESH_MARGIN_MS = 120_000

/**
 * One access token per scope and tenant, shared by every caller: concurrent requests wait for one
 * sign-in, and the token is reused until it comes near its expiry. Each new token is masked once.
 */
export function sharedTokens(
  inner: TokenCredential,
  setSecret: (secret: string) => void,
  clock: Clock
): TokenCredential {
  const tokens = new Map<string, { token: AccessToken; refreshAt: number }>()
  const pending = new Map<string, Promise<AccessToken | null>>()
  return {
    async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
      // A claims challenge (continuous access evaluation) asks for a new token: never serve the old one.
      if (options?.claims) return fetch(undefined)
      const key = `${[scopes].flat().join(' ')}|${options?.tenantId ?? ''}`
      const cached = tokens.get(key)
      if (cached && clock.now() < cached.refreshAt) return cached.token
      let flight = pending.get(key)
      if (!flight) {
        flight = fetch(key).finally(() => pending.delete(key))
        pending.set(key, flight)
      }
      return flight

      async function fetch(cacheKey: string | undefined): Promise<AccessToken | null> {
        const obtainedAt = clock.now()
        const token = await inner.getToken(scopes, options)
        if (!token) return token
        setSecret(token.token)
        if (cacheKey) {
          const lifetime = token.expiresOnTimestamp - obtainedAt
          const margin = Math.min(REFRESH_MARGIN_MS, lifetime / 4)
          const refreshAt = Math.min(
            token.expiresOnTimestamp - margin,
            token.refreshAfterTimestamp ?? Infinity
          )
          tokens.set(cacheKey, { token, refreshAt })
        }
        return token
      }
    }
  }
}
