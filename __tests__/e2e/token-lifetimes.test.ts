/**
 * Token lifetimes (issue 6). Entra access tokens live about an hour and GitHub OIDC assertions 5-10
 * minutes in production; a long backup outlives both. Here both live 2 seconds (real time: MSAL and
 * the SDK cache on real time) and the vault answers slowly, so the run lasts several lifetimes. It
 * must finish with no failure, fetch new access tokens as they run out, and present a fresh GitHub
 * assertion each time (never one past its own `exp`: Entra's 60 s of skew would hide that bug here,
 * not in production after 5 minutes). A federated credential that does not match fails fast, with the
 * issuer, subject and audience to set.
 */
import { decodeJwt } from '../../testbed/jwt.js'
import { runAction, type RunResult } from '../../testbed/harness.js'
import { startTestbed, type Testbed } from '../../testbed/index.js'

const LIFETIME_SECONDS = 2
const ITEMS = 120
const entry = process.env.KVB_ACTION_ENTRY

let testbed: Testbed

beforeAll(async () => {
  testbed = await startTestbed({
    accessTokenLifetimeSeconds: LIFETIME_SECONDS,
    oidcTokenLifetimeSeconds: LIFETIME_SECONDS
  })
  const prod = testbed.layout.vaults.find(v => v.name === 'prod')!
  const slow = await testbed.keyvault.addVault(
    { ...prod, name: 'slow' },
    { latency: { fixedMs: 40, jitterMs: 10 } }
  )
  for (let i = 0; i < ITEMS; i++) slow.seedSecret(`item-${i}`, 'v', { versions: 1 + (i % 2) })
  slow.seedKey('slow-key', { kty: 'EC' })
}, 60_000)
afterAll(() => testbed?.stop())

/** GitHub OIDC token requests the fake GitHub has answered so far. */
const idTokenRequests = () => testbed.github.requestLog.filter(e => e.path.endsWith('/idtoken')).length

describe('runs shorter than the token lifetimes: one sign-in per identity', () => {
  beforeAll(() => {
    testbed.entra.accessTokenLifetimeSeconds = 3599
    testbed.github.oidcTokenLifetimeSeconds = 300
  })
  afterAll(() => {
    testbed.entra.accessTokenLifetimeSeconds = LIFETIME_SECONDS
    testbed.github.oidcTokenLifetimeSeconds = LIFETIME_SECONDS
  })

  const count = async (inputs: Record<string, string>) => {
    const [tokens, assertions] = [testbed.entra.tokenLog.length, idTokenRequests()]
    const result = await runAction({ env: testbed.env, inputs, entry })
    expect(result.exitCode).toBe(0)
    // Every ::add-mask:: of a token is for a distinct one: nothing was fetched twice.
    const masks = result.stdout.split('\n').filter(l => l.startsWith('::add-mask::eyJ'))
    expect(new Set(masks).size).toBe(masks.length)
    return {
      entra: testbed.entra.tokenLog.slice(tokens).map(t => `${t.clientId} ${t.scope}`),
      oidc: idTokenRequests() - assertions
    }
  }

  it('a backup of three types signs in once: one GitHub assertion, one Entra token per resource', async () => {
    const { entra, oidc } = await count({ vault: 'slow', upload: 'false' })
    // One token for the vault's three clients; one for Resource Manager, where it reads the vault's place.
    expect(entra.sort()).toEqual([
      `${testbed.layout.apps[0].clientId} https://management.azure.com/.default`,
      `${testbed.layout.apps[0].clientId} https://vault.azure.net/.default`
    ])
    // One assertion serves both Entra requests while it is far from its expiry.
    expect(oidc).toBe(1)
  }, 60_000)

  it('a copy between two vaults of one tenant signs in once; a copy into another tenant once per tenant', async () => {
    expect(
      (await count({ operation: 'copy', vault: 'slow', 'target-vault': 'staging', include: 'item-1*' })).oidc
    ).toBe(1)
    const partner = await count({
      operation: 'copy',
      vault: 'slow',
      'target-vault': 'partner',
      include: 'item-2*',
      'target-tenant-id': testbed.env.AZURE_TENANT_ID_PARTNER,
      'target-client-id': testbed.env.AZURE_CLIENT_ID_PARTNER
    })
    expect(partner.entra.map(e => e.split(' ')[0]).sort()).toEqual(
      [testbed.layout.apps[0].clientId, testbed.env.AZURE_CLIENT_ID_PARTNER].sort()
    )
    expect(partner.oidc).toBe(2)
  }, 60_000)
})

describe('a run longer than both token lifetimes', () => {
  let result: RunResult
  let tokenLog: typeof testbed.entra.tokenLog
  let issued: typeof testbed.entra.issuedCredentials
  let oidcRequests: number

  beforeAll(async () => {
    testbed.keyvault.clearLog()
    const before = testbed.entra.tokenLog.length
    const oidcBefore = idTokenRequests()
    result = await runAction({
      env: testbed.env,
      inputs: { vault: 'slow', upload: 'false', concurrency: '2' },
      entry
    })
    tokenLog = testbed.entra.tokenLog.slice(before)
    issued = testbed.entra.issuedCredentials.slice(before)
    oidcRequests = idTokenRequests() - oidcBefore
  }, 60_000)

  it('really lasts longer than the lifetimes (the precondition of this test)', () => {
    const times = testbed.keyvault.requestLog.map(e => e.time)
    expect(Math.max(...times) - Math.min(...times)).toBeGreaterThan(2 * LIFETIME_SECONDS * 1000)
  })

  it('finishes with every item backed up and none failed', () => {
    expect(result.exitCode).toBe(0)
    expect(result.outputs).toMatchObject({ 'backed-up': String(ITEMS + 1), failed: '0' })
  })

  it('asks Entra for new access tokens as they run out, always successfully', () => {
    expect(tokenLog.length).toBeGreaterThanOrEqual(3)
    expect(tokenLog.map(e => e.status)).toEqual(tokenLog.map(() => 200))
    expect(tokenLog.every(e => e.grant === 'client_assertion')).toBe(true)
  })

  it('fetches at most one GitHub assertion per Entra token request, and fresh ones as they run out', () => {
    expect(oidcRequests).toBeLessThanOrEqual(tokenLog.length)
    const assertions = new Set(issued.map(c => c.assertion ?? ''))
    expect(assertions.size).toBe(oidcRequests)
    expect(assertions.size).toBeGreaterThanOrEqual(2)
  })

  it('never presents a GitHub assertion in the last quarter of its life, nor past its exp', () => {
    for (const [i, credential] of issued.entries()) {
      const { iat, exp } = decodeJwt(credential.assertion ?? '').claims as { iat: number; exp: number }
      // Seconds in the claims: allow the second they are rounded to.
      expect(tokenLog[i].time).toBeLessThanOrEqual((exp - (exp - iat) / 4) * 1000 + 1000)
    }
  })

  it('is never refused by the vault for a token (only the anonymous challenge answers 401)', () => {
    expect(testbed.keyvault.requestLog.filter(e => e.status === 401 && e.principal !== 'anonymous')).toEqual(
      []
    )
  })
})

describe('a federated credential that does not match', () => {
  it.each<[string, { subject?: string }, { audience?: string }]>([
    ['subject', { subject: 'repo:octo-org/octo-repo:pull_request' }, {}],
    ['audience', {}, { audience: 'api://SomethingElse' }]
  ])(
    'fails fast on a wrong %s, with the issuer, subject and audience to set',
    async (_what, github, inputs) => {
      const subject = testbed.github.subject
      if (github.subject) testbed.github.subject = github.subject
      try {
        testbed.keyvault.clearLog()
        const before = testbed.entra.tokenLog.length
        const result = await runAction({
          env: testbed.env,
          inputs: { vault: 'prod', upload: 'false', ...inputs },
          entry
        })
        const tokens = testbed.entra.tokenLog.slice(before)
        expect(result.exitCode).not.toBe(0)
        const error = result.stdout
          .split('\n')
          .filter(line => line.startsWith('::error::'))
          .join('\n')
        expect(error).toContain('AADSTS70021')
        expect(error).toContain("Issuer 'https://token.actions.githubusercontent.com'")
        expect(error).toContain(`Subject identifier '${testbed.github.subject}'`)
        expect(error).toContain(`Audience '${inputs.audience ?? 'api://AzureADTokenExchange'}'`)
        expect(error).toContain(testbed.layout.apps[0].clientId)
        expect(error).toMatch(/Federated credentials/)
        // Fast: no retry storm against Entra, and nothing but unauthenticated challenges at the vault.
        expect(tokens.length).toBeLessThanOrEqual(3)
        expect(tokens.every(t => t.error === 'AADSTS70021')).toBe(true)
        expect(testbed.keyvault.requestLog.filter(e => e.status !== 401)).toEqual([])
      } finally {
        testbed.github.subject = subject
      }
    },
    60_000
  )
})
