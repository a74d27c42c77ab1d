/**
 * Copy mode end to end through the built action: values from `prod` into a vault of another
 * geography (`elsewhere`) and into another tenant's vault (`partner`, its own app), every version
 * with its own attributes and a rename, certificates with their private keys and thumbprints, keys
 * only within one security world; idempotence (a second run writes nothing), the dry run, the
 * policies, the refusals before any write, and secret hygiene (values only in memory).
 */
import { CertificateClient } from '@azure/keyvault-certificates'
import { SecretClient } from '@azure/keyvault-secrets'
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import forge from 'node-forge'
import { runAction, type RunResult } from '../../testbed/harness.js'
import { startTestbed, type Testbed } from '../../testbed/index.js'
import type { EmulatedVault } from '../../testbed/keyvault/emulator.js'

let testbed: Testbed
const CANARIES = ['canary-v1-first', 'canary-v2-disabled', 'canary-v3-latest', 'canary-api', 'canary-off']

const sdk = (vault: EmulatedVault, tenant?: string) => {
  const args = [vault.localUrl, testbed.credential(tenant), testbed.sdkOptions()] as const
  return { secrets: new SecretClient(...args), certificates: new CertificateClient(...args) }
}

const copy = (inputs: Record<string, string>, extraEnv: Record<string, string> = {}) =>
  runAction({ env: testbed.env, extraEnv, inputs: { operation: 'copy', vault: 'prod', ...inputs } })

/** Writes to a vault in the request log since `from`. */
const writesTo = (vault: string, from: number) =>
  testbed.keyvault.requestLog
    .slice(from)
    .filter(e => e.vault === vault && e.method !== 'GET')
    .map(e => `${e.method} ${e.path}`)

const errorLines = (r: RunResult) => r.stdout.split('\n').filter(l => l.startsWith('::error::'))

interface PlanFile {
  items: {
    type: string
    name: string
    target: string
    state: string
    action: string
    outcome: string
    outcomeReason?: string
  }[]
}
const planOf = (r: RunResult) => JSON.parse(readFileSync(r.outputs['plan-path'], 'utf8')) as PlanFile
const row = (r: RunResult, name: string) => planOf(r).items.find(i => i.name === name)

async function secretVersions(client: SecretClient, name: string) {
  const versions = []
  for await (const p of client.listPropertiesOfSecretVersions(name)) versions.push(p)
  versions.sort((a, b) => a.createdOn!.getTime() - b.createdOn!.getTime())
  return Promise.all(
    versions.map(async p => {
      const { value, properties } = await client.getSecret(name, { version: p.version })
      return {
        value,
        contentType: properties.contentType,
        tags: properties.tags,
        enabled: properties.enabled,
        notBefore: properties.notBefore?.toISOString(),
        expiresOn: properties.expiresOn?.toISOString()
      }
    })
  )
}

async function thumbprints(client: CertificateClient, name: string): Promise<string[]> {
  const versions = []
  for await (const p of client.listPropertiesOfCertificateVersions(name)) versions.push(p)
  versions.sort((a, b) => a.createdOn!.getTime() - b.createdOn!.getTime())
  return versions.map(p => Buffer.from(p.x509Thumbprint!).toString('hex'))
}

/** True when the certificate's exported secret (PFX or PEM) carries a private key. */
async function hasPrivateKey(client: SecretClient, name: string): Promise<boolean> {
  const { value } = await client.getSecret(name)
  if (value!.includes('-----BEGIN')) return /PRIVATE KEY-----/.test(value!)
  const p12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(forge.util.decode64(value!)), '')
  const bags = [forge.pki.oids.pkcs8ShroudedKeyBag, forge.pki.oids.keyBag].flatMap(
    bagType => p12.getBags({ bagType })[bagType] ?? []
  )
  return bags.some(bag => Boolean(bag.key))
}

const d = (iso: string) => new Date(iso)

beforeAll(async () => {
  testbed = await startTestbed({ behaviour: { deleteWindowMs: [20, 40], purgeWindowMs: [20, 40] } })
  const prod = testbed.keyvault.vault('prod')
  const admin = sdk(prod).secrets
  await admin.setSecret('db-password', CANARIES[0], {
    contentType: 'text/plain',
    tags: { v: '1', app: 'billing' },
    notBefore: d('2026-01-01T00:00:00.000Z'),
    expiresOn: d('2027-01-01T00:00:00.000Z')
  })
  const second = await admin.setSecret('db-password', CANARIES[1], {
    contentType: 'application/json',
    tags: { v: '2' }
  })
  await admin.updateSecretProperties('db-password', second.properties.version!, { enabled: false })
  await admin.setSecret('db-password', CANARIES[2], {
    tags: { v: '3' },
    expiresOn: d('2028-06-30T00:00:00.000Z')
  })
  prod.seedSecret('api-key', CANARIES[3], { tags: { app: 'search' } })
  prod.seedSecret('disabled-secret', CANARIES[4], { enabled: false })
  prod.seedCertificate('www-tls', { versions: 2, tags: { app: 'web' } })
  prod.seedCertificate('pem-cert', { contentType: 'application/x-pem-file' })
  prod.seedCertificate('locked-cert', { exportable: false })
  prod.seedKey('signing-key', { kty: 'EC', versions: 2 })
}, 60_000)
afterAll(() => testbed?.stop())

const ALL = { types: 'secrets, certificates, keys', versions: 'all', rename: 'db-*=app-db-*' }

describe.each([
  ['elsewhere', 'another geography of the same tenant', {}],
  ['partner', 'another tenant and subscription', { partner: true }]
] as const)('a copy into %s (%s), every version, with a rename', (vaultName, _what, options) => {
  let result: RunResult
  let target: ReturnType<typeof sdk>
  const side = (): Record<string, string> =>
    'partner' in options
      ? {
          'target-tenant-id': testbed.env.AZURE_TENANT_ID_PARTNER,
          'target-client-id': testbed.env.AZURE_CLIENT_ID_PARTNER
        }
      : {}

  beforeAll(async () => {
    result = await copy({ 'target-vault': vaultName, ...ALL, ...side() })
    target = sdk(testbed.keyvault.vault(vaultName), 'partner' in options ? 'partner' : undefined)
  }, 60_000)

  it('copies every readable version oldest first, each with its own content type, tags, enabled flag and dates', async () => {
    expect(errorLines(result)).toEqual([])
    expect(await secretVersions(target.secrets, 'app-db-password')).toEqual([
      {
        value: CANARIES[0],
        contentType: 'text/plain',
        tags: { v: '1', app: 'billing' },
        enabled: true,
        notBefore: '2026-01-01T00:00:00.000Z',
        expiresOn: '2027-01-01T00:00:00.000Z'
      },
      {
        value: CANARIES[2],
        contentType: undefined,
        tags: { v: '3' },
        enabled: true,
        notBefore: undefined,
        expiresOn: '2028-06-30T00:00:00.000Z'
      }
    ])
    expect(row(result, 'db-password')).toMatchObject({ target: 'app-db-password', outcome: 'copied' })
  })

  it('imports certificates with their private keys and the source thumbprints (PFX and PEM)', async () => {
    const source = sdk(testbed.keyvault.vault('prod')).certificates
    for (const name of ['www-tls', 'pem-cert']) {
      expect(await thumbprints(target.certificates, name)).toEqual(await thumbprints(source, name))
      expect({ name, privateKey: await hasPrivateKey(target.secrets, name) }).toEqual({
        name,
        privateKey: true
      })
    }
  })

  it('skips a non-exportable certificate and a disabled secret, with the reasons', () => {
    expect(row(result, 'locked-cert')).toMatchObject({
      outcome: 'skipped',
      outcomeReason: expect.stringMatching(/not exportable.*issue a new certificate/)
    })
    expect(row(result, 'disabled-secret')).toMatchObject({
      outcome: 'skipped',
      outcomeReason: expect.stringMatching(/^disabled/)
    })
  })

  it('skips the key with the reason and the way out', () => {
    const reason =
      vaultName === 'partner'
        ? /another geography \(westeurope: Europe; australiaeast: Australia\)/
        : /another geography \(westeurope: Europe; eastus: United States\)/
    expect(row(result, 'signing-key')).toMatchObject({
      outcome: 'skipped',
      outcomeReason: expect.stringMatching(reason)
    })
  })

  it('writes nothing the second time and reports every copied item unchanged', async () => {
    const from = testbed.keyvault.requestLog.length
    const again = await copy({ 'target-vault': vaultName, ...ALL, ...side() })
    expect(again.exitCode).toBe(0)
    expect(writesTo(vaultName, from)).toEqual([])
    expect(again.outputs).toMatchObject({ copied: '0', unchanged: '4', failed: '0' })
  }, 60_000)
})

test('copies keys within one security world (backup and restore in memory)', async () => {
  const result = await copy({ 'target-vault': 'staging', types: 'keys' })
  expect(result.exitCode).toBe(0)
  expect(result.outputs).toMatchObject({ copied: '1', failed: '0' })
  expect(
    testbed.keyvault
      .vault('staging')
      .state()
      .keys.active.map(k => k.versions.length)
  ).toEqual([2])
}, 60_000)

test('a dry run shows the differences and writes nothing', async () => {
  const prod = testbed.layout.vaults.find(v => v.name === 'prod')!
  await testbed.keyvault.addVault({ ...prod, name: 'dry-target' })
  const from = testbed.keyvault.requestLog.length
  const result = await copy({ 'target-vault': 'dry-target', 'dry-run': 'true' })
  expect(result.exitCode).toBe(0)
  expect(writesTo('dry-target', from)).toEqual([])
  // Against an empty target there is nothing to compare: no value is read (no read-ahead either).
  const valueReads = testbed.keyvault.requestLog
    .slice(from)
    .filter(e => e.vault === 'prod' && e.operation === 'GetSecret')
  expect(valueReads).toEqual([])
  expect(row(result, 'api-key')).toMatchObject({ state: 'absent', action: 'create', outcome: 'planned' })
  expect(result.summary).toMatch(/Key Vault copy \(dry run: plan only\)/)
}, 60_000)

test.each([
  [
    'two items on one name',
    { rename: 'db-password=api-key' },
    /secret '(db-password|api-key)' and secret '(api-key|db-password)' would both land on the name 'api-key'/
  ],
  [
    'a name Key Vault refuses',
    { rename: `api-*=${'x'.repeat(124)}-*` },
    /would be renamed to 'x+-key', which is not a valid Key Vault name/
  ]
])(
  'refuses a rename that gives %s, before any write',
  async (_, inputs, message) => {
    const from = testbed.keyvault.requestLog.length
    const result = await copy({ 'target-vault': 'staging', ...inputs })
    expect(result.exitCode).toBe(1)
    expect(errorLines(result)).toHaveLength(1)
    expect(errorLines(result)[0]).toMatch(/stopped before any write/)
    expect(errorLines(result)[0]).toMatch(message)
    expect(writesTo('staging', from)).toEqual([])
  },
  60_000
)

describe('the policies, executed', () => {
  /** A target holding 'api-key' with its own value, soft-deleted or not. */
  async function prepared(name: string, state: 'different' | 'deleted') {
    const prod = testbed.layout.vaults.find(v => v.name === 'prod')!
    const vault = await testbed.keyvault.addVault({ ...prod, name })
    vault.seedSecret('api-key', 'target-own-value')
    if (state === 'deleted') {
      await sdk(vault).secrets.beginDeleteSecret('api-key')
      for (let i = 0; i < 200 && vault.state().secrets.deleted.length === 0; i++)
        await new Promise(r => setTimeout(r, 10))
    }
    return vault
  }
  const value = async (vault: EmulatedVault) => (await sdk(vault).secrets.getSecret('api-key')).value

  it.each([
    ['if-exists', 'skip', 'different', 'skipped', 'target-own-value'],
    ['if-exists', 'update', 'different', 'copied', CANARIES[3]],
    ['if-exists', 'fail', 'different', 'failed', 'target-own-value'],
    ['if-exists', 'replace', 'different', 'copied', CANARIES[3]],
    ['if-deleted', 'fail', 'deleted', 'failed', undefined],
    ['if-deleted', 'skip', 'deleted', 'skipped', undefined],
    ['if-deleted', 'recover', 'deleted', 'skipped', 'target-own-value'],
    ['if-deleted', 'purge', 'deleted', 'copied', CANARIES[3]]
  ] as const)(
    '%s: %s on a %s name -> %s',
    async (input, policy, state, outcome, after) => {
      const vault = await prepared(`p-${input === 'if-exists' ? 'e' : 'd'}-${policy}`, state)
      const result = await copy({ 'target-vault': vault.name, include: 'api-key', [input]: policy })
      expect(row(result, 'api-key')).toMatchObject({ outcome })
      expect(result.exitCode).toBe(outcome === 'failed' ? 1 : 0)
      if (after === undefined) expect(vault.state().secrets.deleted.map(s => s.name)).toEqual(['api-key'])
      else expect(await value(vault)).toBe(after)
    },
    60_000
  )
})

describe('secret hygiene', () => {
  const hashes = CANARIES.flatMap(c => [
    createHash('sha256').update(c).digest('hex'),
    createHash('sha1').update(c).digest('hex')
  ])

  /** Every file under a folder, as text. */
  const filesUnder = (root: string): string[] =>
    readdirSync(root, { recursive: true, withFileTypes: true })
      .filter(e => e.isFile())
      .map(e => join(e.parentPath, e.name))
      .filter(path => statSync(path).size < 10_000_000)
      .map(path => readFileSync(path, 'latin1'))

  function expectClean(result: RunResult): void {
    // The runner consumes ::add-mask:: lines; every other line, output, summary, plan and file must hold no value.
    const log = result.log.split('\n').filter(line => !line.startsWith('::add-mask::'))
    const texts = [
      log.join('\n'),
      JSON.stringify(result.outputs),
      result.summary,
      ...filesUnder(result.runnerTemp)
    ]
    for (const text of texts) {
      for (const canary of CANARIES) expect(text).not.toContain(canary)
      for (const hash of hashes) expect(text).not.toContain(hash)
    }
  }

  it('keeps values out of everything a successful run leaves, debug logging on, and masks each one read', async () => {
    const result = await copy(
      { 'target-vault': 'hygiene-ok', ...ALL },
      { ACTIONS_STEP_DEBUG: 'true', RUNNER_DEBUG: '1', AZURE_LOG_LEVEL: 'verbose' }
    ).catch(e => {
      throw e
    })
    expectClean(result)
    for (const canary of [CANARIES[0], CANARIES[2], CANARIES[3]])
      expect(result.stdout).toContain(`::add-mask::${canary}`)
  }, 60_000)

  it('keeps values out of everything a failing run leaves (writes refused)', async () => {
    const prod = testbed.layout.vaults.find(v => v.name === 'prod')!
    const reader = testbed.layout.apps[0].objectId
    await testbed.keyvault.addVault({
      ...prod,
      name: 'hygiene-ro',
      roleAssignments: [
        { principalId: reader, role: 'Key Vault Reader' },
        { principalId: reader, dataActions: ['Microsoft.KeyVault/vaults/secrets/getSecret/action'] }
      ]
    })
    const result = await copy(
      { 'target-vault': 'hygiene-ro', types: 'secrets' },
      { ACTIONS_STEP_DEBUG: 'true', RUNNER_DEBUG: '1' }
    )
    expect(result.exitCode).toBe(1)
    expect(errorLines(result).join('\n')).toMatch(/Permission denied.*setSecret\/action/)
    expectClean(result)
  }, 60_000)

  beforeAll(async () => {
    const prod = testbed.layout.vaults.find(v => v.name === 'prod')!
    await testbed.keyvault.addVault({ ...prod, name: 'hygiene-ok' })
  })
})

describe('a copy into a vault that already holds the items', () => {
  it('searches the target while it lists the source: the two listing chains overlap', async () => {
    const prod = testbed.layout.vaults.find(v => v.name === 'prod')!
    // The source answers slowly, so its four pages take a while; the target answers at once.
    const source = await testbed.keyvault.addVault(
      { ...prod, name: 'overlap-source' },
      { latency: { fixedMs: 60, jitterMs: 0 } }
    )
    const target = await testbed.keyvault.addVault({ ...prod, name: 'overlap-target' })
    for (let i = 0; i < 80; i++) {
      source.seedSecret(`item-${i}`, `overlap-value-${i}`)
      target.seedSecret(`item-${i}`, `overlap-value-${i}`)
    }
    const from = testbed.keyvault.requestLog.length
    const result = await copy({ vault: 'overlap-source', 'target-vault': 'overlap-target', types: 'secrets' })
    expect(result.exitCode).toBe(0)
    expect(result.outputs).toMatchObject({ copied: '0', unchanged: '80', failed: '0' })
    const listings = (vault: string) =>
      testbed.keyvault.requestLog.slice(from).filter(e => e.vault === vault && e.operation === 'ListSecrets')
    const [sourcePages, targetPages] = [listings('overlap-source'), listings('overlap-target')]
    // The first call of each side is its access check; then four pages of 25 (or more: an empty opener).
    expect(sourcePages.length).toBeGreaterThanOrEqual(5)
    expect(targetPages.length).toBeGreaterThanOrEqual(5)
    expect(targetPages[targetPages.length - 1].time).toBeLessThan(sourcePages[sourcePages.length - 1].time)
  }, 60_000)
})
