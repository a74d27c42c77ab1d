import { runBackup } from '../../src/core/backup.js'
import { describeVaultError } from '../../src/core/explain.js'
import { tallyOutcomes } from '../../src/core/outcomes.js'
import { forEachPage, type Page } from '../../src/core/paging.js'
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
  const rate = new RateController({ concurrency, clock, sleep: clock.sleep, random: () => 0.5 })
  return {
    clock,
    rate,
    deps: {
      vault,
      sink: new MemorySink(),
      rate,
      log: new MemoryLog(),
      explain: (e: unknown) => describeVaultError(e, undefined, 'list')
    }
  }
}

const secrets = (n: number) => Array.from({ length: n }, (_, i) => item('secrets', `s${i}`))

describe('paged listing', () => {
  it('survives a 503 on a middle page and resumes from that page, not from the start', async () => {
    const vault = new FakeVault(secrets(100))
    vault.pageSize = 25
    vault.failures.set('list:secrets@50', [() => restError(503), () => restError(503)])
    const { deps, rate } = setup(vault)
    const result = await runBackup(deps, { filter: { ...filter, types: ['secrets'] }, dryRun: false })
    expect(tallyOutcomes(result.outcomes)).toMatchObject({ 'backed-up': 100, failed: 0 })
    expect(vault.calls.filter(c => c.startsWith('list:'))).toEqual([
      'list:secrets',
      'list:secrets@25',
      'list:secrets@50',
      'list:secrets@50',
      'list:secrets@50',
      'list:secrets@75'
    ])
    expect(rate.stats.transientRetries).toBe(2)
  })

  it('fails the listing after the bounded retries, keeping the items of the pages already read', async () => {
    const vault = new FakeVault(secrets(60))
    vault.pageSize = 20
    vault.failures.set(
      'list:secrets@40',
      Array.from({ length: 10 }, () => () => restError(503))
    )
    const { deps } = setup(vault)
    const result = await runBackup(deps, { filter: { ...filter, types: ['secrets'] }, dryRun: false })
    expect(result.listingFailures).toEqual([
      { type: 'secrets', reason: expect.stringMatching(/^listing secrets failed/) }
    ])
    expect(tallyOutcomes(result.outcomes)['backed-up']).toBe(40)
    // 1 try + 8 retries of the failing page; earlier pages were never re-read.
    expect(vault.calls.filter(c => c === 'list:secrets@40')).toHaveLength(9)
    expect(vault.calls.filter(c => c === 'list:secrets')).toHaveLength(1)
  })

  it('follows an empty first page that carries a continuation', async () => {
    const vault = new FakeVault(secrets(30))
    vault.emptyFirstPage = true
    const { deps } = setup(vault)
    const result = await runBackup(deps, { filter, dryRun: false })
    expect(tallyOutcomes(result.outcomes)['backed-up']).toBe(30)
    expect(vault.calls.filter(c => c.startsWith('list:secrets'))).toEqual([
      'list:secrets',
      'list:secrets@0',
      'list:secrets@25'
    ])
  })

  it('pages version listings too, retrying only the page that failed', async () => {
    const vault = new FakeVault([item('secrets', 'many')])
    vault.versions.set('secrets/many', 60)
    vault.failures.set('versions:secrets/many@25', [
      () => Object.assign(new Error('reset'), { code: 'ECONNRESET' })
    ])
    const { deps } = setup(vault)
    const result = await runBackup(deps, { filter, dryRun: false })
    expect(result.outcomes[0]).toMatchObject({ status: 'backed-up', versionCount: 60 })
    expect(result.items[0].versionIds).toHaveLength(60)
    expect(vault.calls.filter(c => c.startsWith('versions:'))).toEqual([
      'versions:secrets/many',
      'versions:secrets/many@25',
      'versions:secrets/many@25',
      'versions:secrets/many@50'
    ])
  })

  it('starts backups before listing ends, lists the types concurrently, one outcome per item', async () => {
    const items = [
      ...secrets(200),
      ...Array.from({ length: 50 }, (_, i) => item('keys', `k${i}`)),
      item('certificates', 'c0')
    ]
    const vault = new FakeVault(items)
    vault.pageSize = 10
    const { deps } = setup(vault, 4)
    const result = await runBackup(deps, { filter, dryRun: false })
    const lastList = vault.calls.map(c => c.startsWith('list:')).lastIndexOf(true)
    const firstBackup = vault.calls.findIndex(c => c.startsWith('backup:'))
    expect(firstBackup).toBeGreaterThan(-1)
    expect(firstBackup).toBeLessThan(lastList)
    // The keys listing started before the secrets listing finished.
    const firstKeys = vault.calls.indexOf('list:keys')
    const lastSecrets = vault.calls.map(c => c.startsWith('list:secrets')).lastIndexOf(true)
    expect(firstKeys).toBeLessThan(lastSecrets)
    expect(result.outcomes).toHaveLength(items.length)
    expect(new Set(result.outcomes.map(o => `${o.type}/${o.name}`)).size).toBe(items.length)
    expect(tallyOutcomes(result.outcomes)).toMatchObject({ 'backed-up': items.length, failed: 0 })
    expect(vault.maxInFlight).toBeLessThanOrEqual(4)
  })
})

describe('forEachPage', () => {
  const clock = new FakeClock()
  const rate = () => new RateController({ concurrency: 2, clock, sleep: clock.sleep, random: () => 0.5 })

  it('stops before the next page when asked, and reports whether the listing ended', async () => {
    const read = async (token?: string): Promise<Page<number>> => {
      const at = Number(token ?? 0)
      return { items: [at], ...(at < 5 && { continuationToken: String(at + 1) }) }
    }
    const seen: number[] = []
    expect(await forEachPage(rate(), read, items => (seen.push(...items), seen.length < 3))).toBe(false)
    expect(seen).toEqual([0, 1, 2])
    expect(await forEachPage(rate(), read, () => true)).toBe(true)
  })

  it('refuses a listing that hands back the same link twice', async () => {
    const read = async (): Promise<Page<number>> => ({ items: [], continuationToken: 'same' })
    await expect(forEachPage(rate(), read, () => undefined)).rejects.toThrow(/same continuation link/)
  })
})
