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
    return { iss: claims.iss, sub: claims.sub, aud: claims.aud }
  } catch {
    return {}
  }
}

/**
 * Signs in as `identity`. With OIDC the GitHub assertion is fetched for each Entra token request
 * (never reused, so a long run never presents an expired one), and access tokens are kept until
 * near their expiry and shared by every client (see `sharedTokens`). Every token is masked before
 * anything else can print it.
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
      // MSAL asks for the assertion twice per token request (once to build the request, once from its
      // configuration): one GitHub token serves both, and the next token request gets a fresh one.
      let assertion: Promise<string> | undefined
      const getAssertion = (): Promise<string> =>
        // core.getIDToken masks the token itself.
        (assertion ??= runner.getIDToken(identity.audience).then(token => {
          lastClaims = decodeJwtClaims(token)
          return token
        }))
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
          assertion = undefined
          try {
            return await msal.getToken(scopes, options)
          } finally {
            assertion = undefined
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
