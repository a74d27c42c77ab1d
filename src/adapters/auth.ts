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
import type { CloudSettings } from '../core/cloud.js'
import { errorMessage } from '../core/errors.js'
import { escapeLog } from '../core/text.js'

export type AuthMethod = 'oidc' | 'azure-cli' | 'managed-identity'

export interface AuthSettings {
  method: AuthMethod
  cloud: CloudSettings
  clientId?: string
  tenantId?: string
  audience: string
}

/** What the credential needs from its surroundings; injected so tests need no runner. */
export interface AuthEnvironment {
  getIDToken(audience: string): Promise<string>
  setSecret(secret: string): void
  env: NodeJS.ProcessEnv
}

export interface VaultCredential {
  credential: TokenCredential
  /** A sign-in specific explanation of an error, or undefined when it is not a sign-in problem. */
  explainError(error: unknown): string | undefined
}

const runnerEnvironment: AuthEnvironment = {
  getIDToken: audience => core.getIDToken(audience),
  setSecret: secret => core.setSecret(secret),
  env: process.env
}

interface AssertionClaims {
  iss?: string
  sub?: string
  aud?: string | string[]
}

/** Reads a JWT's payload without verifying it: only to tell the user which claims Entra saw. */
export function decodeJwtClaims(jwt: string): AssertionClaims {
  try {
    return JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as AssertionClaims
  } catch {
    return {}
  }
}

/**
 * Creates the credential for the chosen `auth` method. For OIDC the GitHub assertion is fetched
 * afresh on every token request, so a long backup never outlives its 5-10 minute assertion. Every
 * access token is registered as a secret before the SDK (or anything else) can print it.
 */
export function createCredential(
  settings: AuthSettings,
  runner: AuthEnvironment = runnerEnvironment
): VaultCredential {
  let lastClaims: AssertionClaims | undefined
  let inner: TokenCredential
  const authorityHost = settings.cloud.authorityHost
  switch (settings.method) {
    case 'oidc': {
      if (!runner.env.ACTIONS_ID_TOKEN_REQUEST_URL || !runner.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN) {
        throw new Error(
          "auth 'oidc' needs a GitHub OIDC token, but this job may not request one: add " +
            "'permissions: id-token: write' to the job (or workflow). Otherwise use auth 'azure-cli' or 'managed-identity'."
        )
      }
      const getAssertion = async (): Promise<string> => {
        const token = await runner.getIDToken(settings.audience)
        runner.setSecret(token)
        lastClaims = decodeJwtClaims(token)
        return token
      }
      inner = new ClientAssertionCredential(settings.tenantId ?? '', settings.clientId ?? '', getAssertion, {
        authorityHost
      })
      break
    }
    case 'azure-cli':
      inner = new AzureCliCredential(settings.tenantId ? { tenantId: settings.tenantId } : {})
      break
    case 'managed-identity':
      inner = settings.clientId
        ? new ManagedIdentityCredential({ clientId: settings.clientId })
        : new ManagedIdentityCredential()
      break
  }
  return {
    credential: maskingCredential(inner, runner.setSecret),
    explainError: error => explainSignInError(error, settings, lastClaims)
  }
}

/** DefaultAzureCredential for the CLI (environment, workload identity, managed identity, az login). */
export function createDefaultCredential(cloud: CloudSettings): TokenCredential {
  return new DefaultAzureCredential({ authorityHost: cloud.authorityHost })
}

/** Wraps a credential so every access token is masked before it is returned. */
export function maskingCredential(
  inner: TokenCredential,
  setSecret: (secret: string) => void
): TokenCredential {
  return {
    async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
      const token = await inner.getToken(scopes, options)
      if (token?.token) setSecret(token.token)
      return token
    }
  }
}

/** Explains sign-in failures (AADSTS codes) in terms of what to fix; undefined for other errors. */
export function explainSignInError(
  error: unknown,
  settings: AuthSettings,
  claims?: AssertionClaims
): string | undefined {
  const message = errorMessage(error)
  const seen = claims
    ? `The GitHub token had issuer '${escapeLog(String(claims.iss))}', subject '${escapeLog(String(claims.sub))}' ` +
      `and audience '${escapeLog(String(claims.aud))}'. `
    : ''
  if (message.includes('AADSTS70021')) {
    return (
      `Sign-in failed: Microsoft Entra found no federated credential matching this workflow (AADSTS70021). ${seen}` +
      `On the app registration '${settings.clientId}' (Certificates & secrets > Federated credentials) add one with ` +
      `Issuer '${escapeLog(String(claims?.iss ?? 'https://token.actions.githubusercontent.com'))}', ` +
      `Subject identifier '${escapeLog(String(claims?.sub ?? 'repo:OWNER/REPO:ref:refs/heads/BRANCH'))}' and ` +
      `Audience '${settings.audience}'.`
    )
  }
  if (message.includes('AADSTS700024')) {
    return `Sign-in failed: the GitHub assertion expired before use (AADSTS700024); check the runner's clock. ${seen}`
  }
  if (/AADSTS700016|AADSTS90002|AADSTS900023/.test(message)) {
    return `Sign-in failed: check 'client-id' and 'tenant-id' (${escapeLog(message.split('\n')[0])})`
  }
  const name = (error as { name?: string } | null)?.name
  if (
    name === 'AuthenticationError' ||
    name === 'CredentialUnavailableError' ||
    name === 'AggregateAuthenticationError'
  ) {
    return `Sign-in failed (auth '${settings.method}'): ${escapeLog(message.split('\n')[0])}`
  }
  return undefined
}
