import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/identity'
import {
  assertionReuseUntil,
  decodeJwtClaims,
  sharedTokens,
  signIn,
  type AuthEnvironment
} from '../../src/adapters/auth.js'
import { CLOUDS } from '../../src/core/cloud.js'
import { FakeClock } from './fakes.js'

const identity = {
  method: 'oidc' as const,
  cloud: CLOUDS.AzureCloud,
  clientId: 'a11c0000-0000-4000-8000-00000000c001',
  tenantId: '72f988bf-0000-4000-8000-00000000a001',
  audience: 'api://AzureADTokenExchange'
}

function runner(env: NodeJS.ProcessEnv): AuthEnvironment {
  return { env, getIDToken: async () => 'x.y.z', setSecret: () => undefined }
}

const jwt = (claims: object) => `h.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.s`

describe('signIn', () => {
  it('names permissions: id-token: write when the job cannot request an OIDC token', () => {
    expect(() => signIn(identity, runner({}), new FakeClock())).toThrow(/permissions: id-token: write/)
  })
})

/** A credential that counts its calls and hands out tokens living `lifetimeMs`. */
function countingCredential(clock: FakeClock, lifetimeMs: number) {
  const calls: { scopes: string; tenantId?: string }[] = []
  let gate: Promise<void> = Promise.resolve()
  const inner: TokenCredential = {
    async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken> {
      calls.push({ scopes: [scopes].flat().join(' '), tenantId: options?.tenantId })
      await gate
      return { token: `token-${calls.length}`, expiresOnTimestamp: clock.now() + lifetimeMs }
    }
  }
  return { inner, calls, hold: (p: Promise<void>) => (gate = p) }
}

describe('sharedTokens', () => {
  it('signs in once for concurrent callers and masks the token once', async () => {
    const clock = new FakeClock()
    const masked: string[] = []
    const { inner, calls, hold } = countingCredential(clock, 3_600_000)
    let release!: () => void
    hold(new Promise<void>(resolve => (release = resolve)))
    const shared = sharedTokens(inner, s => void masked.push(s), clock)
    const three = Promise.all([1, 2, 3].map(() => shared.getToken('https://vault.azure.net/.default')))
    release()
    const tokens = await three
    expect(tokens.map(t => t?.token)).toEqual(['token-1', 'token-1', 'token-1'])
    expect(calls).toHaveLength(1)
    expect(masked).toEqual(['token-1'])
  })

  it('reuses a token until two minutes before it expires, then fetches a fresh one', async () => {
    const clock = new FakeClock()
    const { inner, calls } = countingCredential(clock, 3_600_000)
    const shared = sharedTokens(inner, () => undefined, clock)
    await shared.getToken('scope')
    clock.t += 3_600_000 - 121_000
    expect((await shared.getToken('scope'))?.token).toBe('token-1')
    clock.t += 2_000
    expect((await shared.getToken('scope'))?.token).toBe('token-2')
    expect(calls).toHaveLength(2)
  })

  it('refreshes a short-lived token at three quarters of its life', async () => {
    const clock = new FakeClock()
    const { inner, calls } = countingCredential(clock, 40_000)
    const shared = sharedTokens(inner, () => undefined, clock)
    await shared.getToken('scope')
    clock.t += 29_000
    await shared.getToken('scope')
    expect(calls).toHaveLength(1)
    clock.t += 2_000
    await shared.getToken('scope')
    expect(calls).toHaveLength(2)
  })

  it('keeps one token per scope and tenant, and never serves a cached token to a claims challenge', async () => {
    const clock = new FakeClock()
    const { inner, calls } = countingCredential(clock, 3_600_000)
    const shared = sharedTokens(inner, () => undefined, clock)
    await shared.getToken('vault')
    await shared.getToken('vault', { tenantId: 'other' })
    await shared.getToken('management')
    await shared.getToken('vault')
    await shared.getToken('vault', { claims: 'eyJ' })
    expect(calls.map(c => `${c.scopes}|${c.tenantId ?? ''}`)).toEqual([
      'vault|',
      'vault|other',
      'management|',
      'vault|'
    ])
  })
})

describe('decodeJwtClaims', () => {
  it('reads the issuer, subject and audience and tolerates junk', () => {
    expect(decodeJwtClaims(jwt({ sub: 's', iss: 'i', aud: 'a', secret: 'x' }))).toEqual({
      sub: 's',
      iss: 'i',
      aud: 'a'
    })
    expect(decodeJwtClaims('junk')).toEqual({})
  })
})

describe('assertionReuseUntil', () => {
  it("reuses GitHub's five-minute assertion until a minute before its exp", () => {
    expect(assertionReuseUntil({ iat: 1000, exp: 1300 })).toBe(1_240_000)
  })

  it('reuses a short-lived one for three quarters of its life', () => {
    expect(assertionReuseUntil({ iat: 1000, exp: 1002 })).toBe(1_001_500)
  })

  it('never reuses one without an exp', () => {
    expect(assertionReuseUntil({})).toBe(0)
    expect(assertionReuseUntil({ exp: 'soon' })).toBe(0)
  })
})
