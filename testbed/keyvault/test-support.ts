/**
 * Helpers for the emulator's conformance tests (and other tests that drive it with the official SDK
 * clients): an emulator with a local signing key, a TokenCredential issuing tokens like Entra's, and
 * SDK clients trusting the test CA on the loopback origin.
 */
import { randomUUID } from 'node:crypto'
import type { AccessToken, TokenCredential } from '@azure/core-auth'
import { CertificateClient } from '@azure/keyvault-certificates'
import { KeyClient } from '@azure/keyvault-keys'
import { SecretClient } from '@azure/keyvault-secrets'
import { createTlsMaterial } from '../ca.js'
import { TestClock } from '../clock.js'
import type { VaultConfig } from '../config.js'
import { createSigningKey, signJwt, type JwtClaims, type SigningKey } from '../jwt.js'
import type { VaultBehaviour } from './behaviour.js'
import { startKeyVaultEmulator, type EmulatedVault, type KeyVaultEmulator } from './emulator.js'

export const TEST_TENANT = '72f988bf-0000-4000-8000-00000000a001'
export const TEST_SUBSCRIPTION = '5f1c0000-0000-4000-8000-00000000b001'
export const TEST_OID = 'a11c0000-0000-4000-8000-00000000d001'
export const TEST_APPID = 'a11c0000-0000-4000-8000-00000000c001'

export interface TestEnv {
  emulator: KeyVaultEmulator
  clock: TestClock
  caPem: string
  signingKey: SigningKey
  /** A credential for `oid` whose tokens carry `extra` claims (e.g. a wrong aud). */
  credential(oid?: string, extra?: Partial<JwtClaims>): TokenCredential
  /** A token string, for hand-made requests. */
  token(oid?: string, extra?: Partial<JwtClaims>): string
  /** Adds a vault (admin role for TEST_OID unless the config says otherwise) with short windows. */
  vault(
    config: Partial<VaultConfig> & { name: string },
    behaviour?: Partial<VaultBehaviour>
  ): Promise<EmulatedVault>
  clients(
    vault: EmulatedVault,
    credential?: TokenCredential
  ): { secrets: SecretClient; keys: KeyClient; certificates: CertificateClient }
  stop(): Promise<void>
}

/** Starts an emulator for a test file. Windows default to 100-200 ms. */
export async function startTestEnv(behaviour: Partial<VaultBehaviour> = {}): Promise<TestEnv> {
  const tls = createTlsMaterial()
  const signingKey = createSigningKey()
  const clock = new TestClock()
  const emulator = await startKeyVaultEmulator({
    tls,
    tenantId: TEST_TENANT,
    jwks: () => [signingKey.publicJwk],
    clock,
    behaviour: { deleteWindowMs: [100, 200], purgeWindowMs: [100, 200], ...behaviour }
  })
  const token = (oid = TEST_OID, extra: Partial<JwtClaims> = {}): string => {
    const now = Math.floor(Date.now() / 1000)
    return signJwt(
      {
        aud: 'https://vault.azure.net',
        iss: `https://sts.windows.net/${TEST_TENANT}/`,
        tid: TEST_TENANT,
        oid,
        appid: TEST_APPID,
        iat: now,
        nbf: now,
        exp: now + 3600,
        jti: randomUUID(),
        ...extra
      },
      signingKey
    )
  }
  const credential = (oid?: string, extra?: Partial<JwtClaims>): TokenCredential => ({
    getToken: async (): Promise<AccessToken> => ({
      token: token(oid, extra),
      expiresOnTimestamp: Date.now() + 3_600_000
    })
  })
  return {
    emulator,
    clock,
    caPem: tls.caPem,
    signingKey,
    credential,
    token,
    vault: (config, b) =>
      emulator.addVault(
        {
          subscriptionId: TEST_SUBSCRIPTION,
          location: 'westeurope',
          geography: 'Europe',
          accessModel: 'rbac',
          roleAssignments: [{ principalId: TEST_OID, role: 'Key Vault Administrator' }],
          ...config
        },
        b
      ),
    clients: (vault, cred = credential()) => {
      const options = {
        disableChallengeResourceVerification: true,
        tlsOptions: { ca: tls.caPem },
        retryOptions: { maxRetries: 0 }
      }
      return {
        secrets: new SecretClient(vault.localUrl, cred, options),
        keys: new KeyClient(vault.localUrl, cred, options),
        certificates: new CertificateClient(vault.localUrl, cred, options)
      }
    },
    stop: () => emulator.stop()
  }
}

/** Sends a hand-made request (for cases the SDK cannot express). */
// Hand-made answers are untyped JSON; tests index into them freely.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyJson = any

export async function rawRequest(
  vault: EmulatedVault,
  caPem: string,
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {}
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: AnyJson }> {
  const { request } = await import('node:https')
  const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body)
  return new Promise((resolve, reject) => {
    const req = request(
      `${vault.localUrl}${path}`,
      {
        method,
        ca: caPem,
        headers: {
          ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
          ...(payload
            ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
            : { 'content-length': 0 }),
          ...opts.headers
        }
      },
      res => {
        const chunks: Buffer[] = []
        res.on('data', c => chunks.push(c))
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: text ? JSON.parse(text) : undefined
          })
        })
      }
    )
    req.on('error', reject)
    req.end(payload)
  })
}
