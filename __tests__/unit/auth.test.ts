import type { AccessToken, TokenCredential } from '@azure/identity'
import {
  createCredential,
  decodeJwtClaims,
  explainSignInError,
  maskingCredential,
  type AuthEnvironment
} from '../../src/adapters/auth.js'
import { CLOUDS } from '../../src/core/cloud.js'

const settings = {
  method: 'oidc' as const,
  cloud: CLOUDS.AzureCloud,
  clientId: 'app-id',
  tenantId: 'tenant-id',
  audience: 'api://AzureADTokenExchange'
}

function runner(env: NodeJS.ProcessEnv): AuthEnvironment & { secrets: string[] } {
  const secrets: string[] = []
  return { secrets, env, getIDToken: async () => 'x.y.z', setSecret: s => void secrets.push(s) }
}

const jwt = (claims: object) => `h.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.s`

describe('createCredential', () => {
  it('names permissions: id-token: write when the job cannot request an OIDC token', () => {
    expect(() => createCredential(settings, runner({}))).toThrow(/permissions: id-token: write/)
  })

  it('explains AADSTS70021 with the assertion issuer and subject and the fields to set', () => {
    const claims = {
      iss: 'https://token.actions.githubusercontent.com',
      sub: 'repo:o/r:ref:refs/heads/main',
      aud: 'api://AzureADTokenExchange'
    }
    const message = explainSignInError(
      new Error('AADSTS70021: No matching federated identity record found'),
      settings,
      claims
    )
    expect(message).toMatch(/Issuer 'https:\/\/token.actions.githubusercontent.com'/)
    expect(message).toMatch(/Subject identifier 'repo:o\/r:ref:refs\/heads\/main'/)
    expect(message).toMatch(/Audience 'api:\/\/AzureADTokenExchange'/)
    expect(message).toMatch(/app registration 'app-id'/)
  })

  it('leaves other errors to the vault error explanation', () => {
    const { explainError } = createCredential(
      settings,
      runner({ ACTIONS_ID_TOKEN_REQUEST_URL: 'https://x', ACTIONS_ID_TOKEN_REQUEST_TOKEN: 't' })
    )
    expect(explainError(Object.assign(new Error('Forbidden'), { statusCode: 403 }))).toBeUndefined()
    expect(explainError(new Error('AADSTS700016: Application not found'))).toMatch(
      /check 'client-id' and 'tenant-id'/
    )
  })
})

describe('maskingCredential', () => {
  it('masks every access token before returning it', async () => {
    const masked: string[] = []
    const inner: TokenCredential = {
      getToken: async (): Promise<AccessToken> => ({ token: 'secret-access-token', expiresOnTimestamp: 0 })
    }
    const token = await maskingCredential(inner, s => void masked.push(s)).getToken('scope')
    expect(token?.token).toBe('secret-access-token')
    expect(masked).toEqual(['secret-access-token'])
  })
})

describe('decodeJwtClaims', () => {
  it('reads the payload and tolerates junk', () => {
    expect(decodeJwtClaims(jwt({ sub: 's' }))).toEqual({ sub: 's' })
    expect(decodeJwtClaims('junk')).toEqual({})
  })
})
