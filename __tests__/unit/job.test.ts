import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { verifyBackupFolder } from '../../src/adapters/folder.js'
import { backupVault } from '../../src/backup-job.js'
import { sha256Hex } from '../../src/core/manifest.js'
import { readInputs } from '../../src/inputs.js'
import { FakeClock, FakeVault, item, MemoryLog } from './fakes.js'

describe('backupVault (folder + manifest over an in-memory vault)', () => {
  let root: string
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'kvb-job-'))
  })
  afterEach(async () => {
    await rm(root, { recursive: true, force: true })
  })

  const settings = (extra: Record<string, string> = {}) =>
    readInputs(
      name => ({ vault: 'prod', path: root, 'client-id': 'c', 'tenant-id': 't', ...extra })[name] ?? '',
      {}
    )

  const vault = () => {
    const v = new FakeVault([
      item('secrets', 'db', { tags: { env: 'prod' } }),
      item('secrets', 'cert', { managed: true }),
      item('certificates', 'cert'),
      item('keys', 'huge')
    ])
    v.versions.set('keys/huge', 501)
    return v
  }

  it('writes blobs and a manifest that verifies, listing skipped and failed items', async () => {
    const clock = new FakeClock()
    const log = new MemoryLog()
    const { report, blobs } = await backupVault(settings(), {
      credential: { getToken: async () => null },
      log,
      tenantId: 't',
      vault: vault(),
      clock,
      sleep: clock.sleep
    })
    expect([...blobs].sort()).toEqual(['certificates/cert.blob', 'secrets/db.blob'])
    // manifest.json is written beside them (read below)
    const text = await readFile(join(root, 'manifest.json'), 'utf8')
    expect(report.manifestSha256).toBe(sha256Hex(text))
    const verified = await verifyBackupFolder(root, report.manifestSha256)
    expect(verified.problems).toEqual([])
    expect(verified.manifest).toMatchObject({
      tool: { name: 'keyvault-backup' },
      source: {
        vaultUrl: 'https://prod.vault.azure.net',
        vaultName: 'prod',
        cloud: 'AzureCloud',
        tenantId: 't'
      },
      skipped: [{ type: 'secrets', name: 'cert' }],
      failed: [{ type: 'keys', name: 'huge' }]
    })
    expect(verified.manifest.createdAt).toBe(new Date(clock.t).toISOString())
    expect(log.lines.some(l => l.startsWith('info: Progress: 3/3 items'))).toBe(true)
  })

  it('writes nothing in a dry run', async () => {
    const clock = new FakeClock()
    const { report, blobs } = await backupVault(settings({ 'dry-run': 'true', path: join(root, 'dry') }), {
      credential: { getToken: async () => null },
      log: new MemoryLog(),
      vault: vault(),
      clock,
      sleep: clock.sleep
    })
    expect(blobs).toEqual([])
    expect(report.manifestSha256).toBeUndefined()
    await expect(readFile(join(root, 'dry', 'manifest.json'))).rejects.toThrow()
  })
})
