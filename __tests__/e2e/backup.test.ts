/**
 * Backup end to end: the built action (dist/index.js) runs through the runner harness against the
 * test bed with production inputs (`vault: prod`, reached through the proxy), and the results are
 * checked in its outputs, its backup folder, the downloaded artifact and the emulator's request log.
 */
import { CertificateClient } from '@azure/keyvault-certificates'
import { KeyClient } from '@azure/keyvault-keys'
import { SecretClient } from '@azure/keyvault-secrets'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { VaultConfig } from '../../testbed/config.js'
import { runAction, type RunResult } from '../../testbed/harness.js'
import { startTestbed, type Testbed } from '../../testbed/index.js'
import type { VaultBehaviour } from '../../testbed/keyvault/emulator.js'

interface Manifest {
  items: Array<{
    type: string
    name: string
    file: string
    versionCount: number
    tags: Record<string, string>
  }>
  skipped: Array<{ type: string; name: string; reason: string }>
  failed: Array<{ type: string; name: string; reason: string }>
}

let testbed: Testbed

beforeAll(async () => {
  testbed = await startTestbed({ behaviour: { deleteWindowMs: [50, 100], purgeWindowMs: [50, 100] } })
  const prod = testbed.keyvault.vault('prod')
  prod.seedSecret('db-password', 'canary-db-value', { versions: 3, tags: { app: 'billing', env: 'prod' } })
  prod.seedSecret('api-key', 'canary-api-value', { versions: 2, tags: { app: 'search', env: 'prod' } })
  prod.seedSecret('old-token', 'canary-old-value', { enabled: false, tags: { app: 'billing', env: 'test' } })
  prod.seedKey('signing-key', { kty: 'EC', versions: 2, tags: { app: 'billing' } })
  prod.seedKey('wrapping-key', { kty: 'RSA', tags: { app: 'search' } })
  prod.seedCertificate('www-tls', { versions: 2, tags: { app: 'web' } })
})
afterAll(() => testbed.stop())

/** A fresh vault in prod's security world (or another), with extra behaviour. */
async function addVault(
  name: string,
  extra: Partial<VaultConfig> = {},
  behaviour: Partial<VaultBehaviour> = {}
) {
  const prod = testbed.layout.vaults.find(v => v.name === 'prod')!
  return testbed.keyvault.addVault({ ...prod, name, ...extra }, behaviour)
}

function backup(inputs: Record<string, string>): Promise<RunResult> {
  return runAction({ env: testbed.env, inputs: { upload: 'false', ...inputs } })
}

function manifestOf(result: RunResult): Manifest {
  return JSON.parse(readFileSync(join(result.outputs['backup-path'], 'manifest.json'), 'utf8'))
}

const names = (manifest: Manifest) => manifest.items.map(item => `${item.type}/${item.name}`).sort()

describe('backup of a whole vault', () => {
  let result: RunResult

  beforeAll(async () => {
    testbed.keyvault.clearLog()
    result = await runAction({ env: testbed.env, inputs: { vault: 'prod' } })
  })

  it('succeeds with outputs that add up', () => {
    expect(result.exitCode).toBe(0)
    expect(result.outputs).toMatchObject({ 'backed-up': '6', skipped: '2', failed: '0' })
    expect(result.outputs['artifact-id']).toMatch(/^\d+$/)
    expect(result.outputs['artifact-digest']).toMatch(/^[0-9a-f]{64}$/)
    expect(result.outputs['manifest-sha256']).toMatch(/^[0-9a-f]{64}$/)
  })

  it('skips the certificate-owned key and secret as covered by the certificate', () => {
    const skipped = manifestOf(result)
      .skipped.map(entry => `${entry.type}/${entry.name}`)
      .sort()
    expect(skipped).toEqual(['keys/www-tls', 'secrets/www-tls'])
    expect(result.summary).toContain('www-tls')
  })

  it('never reads a secret value', () => {
    const log = testbed.keyvault.requestLog.filter(entry => entry.vault === 'prod')
    expect(log.some(entry => entry.path.endsWith('/backup'))).toBe(true)
    const valueReads = log.filter(
      entry =>
        entry.method === 'GET' &&
        /^\/secrets\/[^/]+(\/[^/]*)?$/.test(entry.path) &&
        !entry.path.endsWith('/versions')
    )
    expect(valueReads).toEqual([])
  })

  it('leaves no secret value in the log, outputs, summary or blobs', () => {
    const blobs = readdirSync(join(result.outputs['backup-path'], 'secrets')).map(file =>
      readFileSync(join(result.outputs['backup-path'], 'secrets', file), 'latin1')
    )
    for (const text of [result.log, JSON.stringify(result.outputs), result.summary, ...blobs]) {
      expect(text).not.toMatch(/canary-[a-z]+-value/)
    }
  })

  it('uploads an artifact whose every blob restores into an empty vault of the same world', async () => {
    const { DefaultArtifactClient } = await import('@actions/artifact')
    Object.assign(process.env, testbed.github.runEnv())
    const target = mkdtempSync(join(tmpdir(), 'kvb-download-'))
    const download = await new DefaultArtifactClient().downloadArtifact(
      Number(result.outputs['artifact-id']),
      {
        path: target
      }
    )
    expect(download.digestMismatch).toBe(false)
    // The artifact holds the manifest and the blobs in one tar, which plain `tar -xf` unpacks.
    expect(readdirSync(target).sort()).toEqual(['blobs.tar', 'manifest.json'])
    execFileSync('tar', ['-xf', join(target, 'blobs.tar'), '-C', target])
    const manifest: Manifest = JSON.parse(readFileSync(join(target, 'manifest.json'), 'utf8'))

    const empty = await addVault('restore-check')
    const options = testbed.sdkOptions()
    const credential = testbed.credential()
    const secrets = new SecretClient(empty.localUrl, credential, options)
    const keys = new KeyClient(empty.localUrl, credential, options)
    const certificates = new CertificateClient(empty.localUrl, credential, options)
    for (const item of manifest.items) {
      const blob = readFileSync(join(target, item.file))
      expect(readFileSync(join(result.outputs['backup-path'], item.file))).toEqual(blob)
      if (item.type === 'secrets') await secrets.restoreSecretBackup(blob)
      if (item.type === 'keys') await keys.restoreKeyBackup(blob)
      if (item.type === 'certificates') await certificates.restoreCertificateBackup(blob)
    }
    const source = testbed.keyvault.vault('prod').state()
    const restored = empty.state()
    for (const type of ['secrets', 'keys', 'certificates'] as const) {
      const shape = (state: typeof source) =>
        state[type].active
          .map(item => ({ name: item.name, versions: item.versions, tags: item.tags }))
          .sort((a, b) => a.name.localeCompare(b.name))
      expect(shape(restored)).toEqual(shape(source))
    }
  })
})

describe('compression', () => {
  it('makes the artifact about a quarter smaller at level 1, as the README says', async () => {
    const level = async (compression: string, runId: string) => {
      const run = await runAction({
        env: { ...testbed.env, ...testbed.github.runEnv(runId) },
        inputs: {
          vault: 'prod',
          'artifact-name': `kv-level-${compression}`,
          'compression-level': compression
        }
      })
      expect(run.exitCode).toBe(0)
      return testbed.github.artifacts().find(a => a.id === Number(run.outputs['artifact-id']))!.size
    }
    const [stored, deflated] = await Promise.all([level('0', '7101'), level('1', '7102')])
    expect(deflated / stored).toBeGreaterThan(0.65)
    expect(deflated / stored).toBeLessThan(0.85)
  })
})

describe('selection', () => {
  it.each([
    ['types', { types: 'keys' }, ['keys/signing-key', 'keys/wrapping-key']],
    ['include', { include: 'db-*\nsigning-*' }, ['keys/signing-key', 'secrets/db-password']],
    ['exclude', { exclude: '*-key\n*-token' }, ['certificates/www-tls', 'secrets/db-password']],
    ['tags', { tags: 'app=billing\nenv=prod' }, ['secrets/db-password']],
    [
      'skip-disabled',
      { types: 'secrets', 'skip-disabled': 'true' },
      ['secrets/api-key', 'secrets/db-password']
    ]
  ])('filters by %s', async (_name, inputs, expected) => {
    const result = await backup({ vault: 'prod', ...inputs })
    expect(result.exitCode).toBe(0)
    expect(names(manifestOf(result))).toEqual(expected)
  })

  it('makes no backup call in a dry run', async () => {
    testbed.keyvault.clearLog()
    const result = await backup({ vault: 'prod', 'dry-run': 'true' })
    expect(result.exitCode).toBe(0)
    expect(result.log).toContain('db-password')
    expect(testbed.keyvault.requestLog.filter(entry => entry.path.endsWith('/backup'))).toEqual([])
  })

  it('works with a loopback URL instead of a name', async () => {
    const result = await backup({ vault: testbed.env.KEYVAULT_PROD_LOCAL_URL, types: 'secrets' })
    expect(result.exitCode).toBe(0)
    expect(names(manifestOf(result))).toEqual(['secrets/api-key', 'secrets/db-password', 'secrets/old-token'])
  })
})

describe('limits and failures', () => {
  it('reports an item over 500 versions as failed, warns from 400, and keeps the rest', async () => {
    const vault = await addVault('versions')
    vault.seedSecret('too-many', 'v', { versions: 501 })
    vault.seedSecret('many', 'v', { versions: 420 })
    vault.seedSecret('few', 'v', { versions: 2 })
    const result = await backup({ vault: 'versions' })
    expect(result.exitCode).not.toBe(0)
    expect(result.outputs).toMatchObject({ 'backed-up': '2', failed: '1' })
    const manifest = manifestOf(result)
    expect(manifest.failed).toEqual([
      expect.objectContaining({ name: 'too-many', reason: expect.stringMatching(/500/) })
    ])
    expect(result.log).toMatch(/::warning::.*many/)
    expect(result.summary).toContain('too-many')
  })

  it('passes with fail-on-error: false while still reporting the failure', async () => {
    const result = await backup({ vault: 'versions', 'fail-on-error': 'false' })
    expect(result.exitCode).toBe(0)
    expect(result.outputs.failed).toBe('1')
  })

  it('rides out a throttling storm (a tenth of the documented rate) with zero failures', async () => {
    const vault = await addVault('storm', {}, { throttle: { limit: 400, windowMs: 10_000 } })
    for (let i = 0; i < 450; i++) vault.seedSecret(`storm-${i}`, 'v')
    testbed.keyvault.clearLog()
    const result = await backup({ vault: 'storm' })
    expect(result.exitCode).toBe(0)
    expect(result.outputs).toMatchObject({ 'backed-up': '450', failed: '0' })
    expect(testbed.keyvault.requestLog.filter(entry => entry.status === 429).length).toBeGreaterThan(0)
  }, 120_000)

  it('rides out 10% injected 503s with zero failures', async () => {
    const vault = await addVault('flaky', {}, { faults: { p503: 0.1, p500: 0, pReset: 0, seed: 7 } })
    for (let i = 0; i < 60; i++) vault.seedSecret(`flaky-${i}`, 'v', { versions: 1 + (i % 3) })
    testbed.keyvault.clearLog()
    const result = await backup({ vault: 'flaky' })
    expect(result.exitCode).toBe(0)
    expect(result.outputs).toMatchObject({ 'backed-up': '60', failed: '0' })
    expect(testbed.keyvault.requestLog.filter(entry => entry.status === 503).length).toBeGreaterThan(0)
  }, 120_000)

  it('lists a vault of 13 pages through 10% 503s and 2% resets: zero failures, manifest = inventory', async () => {
    const vault = await addVault(
      'paged',
      {},
      { faults: { p503: 0.1, p500: 0, pReset: 0.02, seed: 11 }, emptyFirstPage: 'always' }
    )
    for (let i = 0; i < 300; i++) vault.seedSecret(`paged-${i}`, 'v', { versions: 1 + (i % 2) })
    for (let i = 0; i < 20; i++) vault.seedKey(`paged-key-${i}`, { kty: 'EC' })
    testbed.keyvault.clearLog()
    const result = await backup({ vault: 'paged' })
    expect(result.exitCode).toBe(0)
    expect(result.outputs).toMatchObject({ 'backed-up': '320', failed: '0' })
    const state = vault.state()
    const inventory = (['secrets', 'keys', 'certificates'] as const)
      .flatMap(type => state[type].active.map(i => `${type}/${i.name}:${i.versions.length}`))
      .sort()
    const manifest = manifestOf(result)
    expect(manifest.items.map(i => `${i.type}/${i.name}:${i.versionCount}`).sort()).toEqual(inventory)
    const log = testbed.keyvault.requestLog.filter(e => e.vault === 'paged')
    const listing = log.filter(e => e.method === 'GET' && e.path === '/secrets')
    expect(log.filter(e => e.status === 503 || e.status === 0).length).toBeGreaterThan(0)
    // The first call (one item: sign-in and access) plus an empty first page and 12 of 25, each read
    // once; a failed page was retried alone, never from the start.
    expect(listing.filter(e => e.status === 200)).toHaveLength(14)
  }, 120_000)

  it('names the missing data action when a role lacks one type', async () => {
    const app = testbed.layout.apps[0]
    const vault = await addVault('limited', {
      roleAssignments: [
        {
          principalId: app.objectId,
          dataActions: [
            'Microsoft.KeyVault/vaults/secrets/readMetadata/action',
            'Microsoft.KeyVault/vaults/secrets/backup/action',
            'Microsoft.KeyVault/vaults/keys/read',
            'Microsoft.KeyVault/vaults/certificates/read'
          ]
        }
      ]
    })
    vault.seedSecret('fine', 'v')
    vault.seedKey('locked', { kty: 'EC' })
    const result = await backup({ vault: 'limited' })
    expect(result.exitCode).not.toBe(0)
    expect(result.outputs).toMatchObject({ 'backed-up': '1', failed: '1' })
    expect(result.log).toContain('Microsoft.KeyVault/vaults/keys/backup/action')
  })
})
