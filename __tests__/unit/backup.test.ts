import { runBackup, type BackupDeps } from '../../src/core/backup.js'
import { describeVaultError } from '../../src/core/explain.js'
import { tallyOutcomes } from '../../src/core/outcomes.js'
import { RateController } from '../../src/core/rate.js'
import type { SelectionFilter } from '../../src/core/selection.js'
import { FakeClock, FakeVault, item, MemoryLog, MemorySink, restError } from './fakes.js'

const filter: SelectionFilter = {
  types: ['secrets', 'keys', 'certificates'],
  include: [],
  exclude: [],
  tags: [],
  skipDisabled: false
}

function setup(vault: FakeVault, concurrency = 4) {
  const clock = new FakeClock()
  const sink = new MemorySink()
  const log = new MemoryLog()
  const rate = new RateController({ concurrency, clock, sleep: clock.sleep, random: () => 0.5 })
  const deps: BackupDeps = {
    vault,
    sink,
    rate,
    log,
    explain: (e, type, op) => describeVaultError(e, type, op)
  }
  return { clock, sink, log, rate, deps }
}

const realistic = () =>
  new FakeVault([
    item('secrets', 'db-password', { tags: { env: 'prod' }, contentType: 'text/plain' }),
    item('secrets', 'api-key'),
    item('secrets', 'web-cert', { managed: true }),
    item('keys', 'web-cert', { managed: true }),
    item('keys', 'signing'),
    item('certificates', 'web-cert')
  ])

describe('runBackup', () => {
  it('backs up every selectable item, one outcome each', async () => {
    const vault = realistic()
    vault.versions.set('secrets/db-password', 3)
    const { deps, sink } = setup(vault)
    const result = await runBackup(deps, { filter, dryRun: false })
    expect(result.outcomes).toHaveLength(6)
    expect(tallyOutcomes(result.outcomes)).toMatchObject({ 'backed-up': 4, skipped: 2, failed: 0 })
    expect([...sink.blobs.keys()].sort()).toEqual([
      'certificates/web-cert.blob',
      'keys/signing.blob',
      'secrets/api-key.blob',
      'secrets/db-password.blob'
    ])
    const db = result.items.find(i => i.name === 'db-password')
    expect(db).toMatchObject({ versionCount: 3, file: 'secrets/db-password.blob', contentType: 'text/plain' })
    expect(db?.sha256).toMatch(/^[0-9a-f]{64}$/)
    expect(vault.calls).not.toContain('backup:secrets/web-cert')
    expect(vault.calls).not.toContain('backup:keys/web-cert')
  })

  it('skips certificate-owned items as covered by their certificate', async () => {
    const { deps } = setup(realistic())
    const result = await runBackup(deps, { filter, dryRun: false })
    const skipped = result.outcomes.filter(o => o.status === 'skipped')
    expect(skipped.map(o => `${o.type}/${o.name}`).sort()).toEqual(['keys/web-cert', 'secrets/web-cert'])
    expect(skipped[0].reason).toMatch(/covered by the certificate/)
  })

  it('attempts every item after a failure and records the reason', async () => {
    const vault = realistic()
    vault.failures.set('backup:secrets/api-key', [
      () =>
        restError(403, "Caller is not authorized. Action: 'Microsoft.KeyVault/vaults/secrets/backup/action'")
    ])
    const { deps } = setup(vault)
    const result = await runBackup(deps, { filter, dryRun: false })
    const failed = result.outcomes.filter(o => o.status === 'failed')
    expect(failed).toHaveLength(1)
    expect(failed[0].reason).toMatch(/secrets\/backup\/action.*Key Vault Secrets Officer/)
    expect(result.items.map(i => i.name).sort()).toEqual(['db-password', 'signing', 'web-cert'])
  })

  it('fails an item over 500 versions without backing it up, and warns from 400', async () => {
    const vault = realistic()
    vault.versions.set('secrets/db-password', 501)
    vault.versions.set('secrets/api-key', 400)
    const { deps, log } = setup(vault)
    const result = await runBackup(deps, { filter, dryRun: false })
    const db = result.outcomes.find(o => o.name === 'db-password')
    expect(db).toMatchObject({ status: 'failed', versionCount: 501 })
    expect(db?.reason).toMatch(/501 versions.*at most 500.*Way out/)
    expect(vault.calls).not.toContain('backup:secrets/db-password')
    expect(result.outcomes.find(o => o.name === 'api-key')).toMatchObject({ status: 'backed-up' })
    expect(log.lines.some(l => l.startsWith('warning:') && l.includes("'api-key' has 400 versions"))).toBe(
      true
    )
  })

  it('makes no backup call in a dry run', async () => {
    const vault = realistic()
    const { deps, sink } = setup(vault)
    const result = await runBackup({ ...deps, sink: undefined }, { filter, dryRun: true })
    expect(vault.calls.filter(c => c.startsWith('backup:'))).toEqual([])
    expect(sink.blobs.size).toBe(0)
    expect(tallyOutcomes(result.outcomes)).toMatchObject({ planned: 4, 'backed-up': 0, skipped: 2 })
  })

  it('retries 429 and 503 through the rate controller and ends with zero failures', async () => {
    const vault = realistic()
    vault.failures.set('backup:keys/signing', [
      () => restError(429),
      () => restError(429, 'x', { 'retry-after': '2' })
    ])
    vault.failures.set('versions:secrets/api-key', [() => restError(503), () => restError(503)])
    vault.failures.set('list:certificates', [() => Object.assign(new Error('reset'), { code: 'ECONNRESET' })])
    const { deps, clock, rate } = setup(vault)
    const result = await runBackup(deps, { filter, dryRun: false })
    expect(tallyOutcomes(result.outcomes).failed).toBe(0)
    expect(rate.stats).toEqual({ throttled: 2, transientRetries: 3 })
    expect(clock.sleeps).toContain(2000)
  })

  it('records a failed listing against its type, not as an item, and carries on', async () => {
    const vault = realistic()
    vault.failures.set('list:keys', [() => restError(403, 'does not have keys list permission on key vault')])
    const { deps } = setup(vault)
    const result = await runBackup(deps, { filter, dryRun: false })
    expect(result.outcomes.filter(o => o.status === 'failed')).toEqual([])
    expect(result.listingFailures).toEqual([
      { type: 'keys', reason: expect.stringMatching(/'list' permission on keys/) }
    ])
    expect(tallyOutcomes(result.outcomes)['backed-up']).toBe(3)
  })

  it('keeps parallelism within the concurrency setting', async () => {
    const vault = new FakeVault(Array.from({ length: 40 }, (_, i) => item('secrets', `s${i}`)))
    const { deps } = setup(vault, 3)
    await runBackup(deps, { filter, dryRun: false })
    expect(vault.maxInFlight).toBeLessThanOrEqual(3)
    expect(vault.calls.filter(c => c.startsWith('backup:'))).toHaveLength(40)
  })

  it('fails an item whose name Key Vault would never return, instead of writing outside the folder', async () => {
    const vault = new FakeVault([item('secrets', '../escape')])
    const { deps, sink } = setup(vault)
    const result = await runBackup(deps, { filter, dryRun: false })
    expect(result.outcomes[0]).toMatchObject({ status: 'failed' })
    expect(sink.blobs.size).toBe(0)
  })
})
