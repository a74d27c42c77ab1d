import type { ManifestItem } from '../../src/core/manifest.js'
import type { Page } from '../../src/core/paging.js'
import { RateController } from '../../src/core/rate.js'
import {
  deletedViews,
  planRestore,
  type DeletedName,
  type TargetName,
  type VaultWriter
} from '../../src/core/restore.js'
import type { ItemType } from '../../src/core/types.js'
import { FakeClock, restError } from './fakes.js'

/** A target vault with paged listings (offset tokens) and per-item reads, counting every call. */
class ListingVault implements VaultWriter {
  readonly calls: string[] = []
  readonly failures = new Map<string, number>()
  active = new Map<string, { ids: string[]; level: string }>()
  deleted = new Map<string, { level: string; purge?: string }>()
  pageSize = 3
  private hit(call: string): void {
    this.calls.push(call)
    const left = this.failures.get(call) ?? 0
    if (left > 0) {
      this.failures.set(call, left - 1)
      throw restError(503)
    }
  }
  private page<T>(all: T[], token?: string): Page<T> {
    const at = Number(token ?? 0)
    const end = at + this.pageSize
    return { items: all.slice(at, end), ...(end < all.length && { continuationToken: String(end) }) }
  }
  private of<T>(map: Map<string, T>, type: ItemType): [string, T][] {
    return [...map].filter(([k]) => k.startsWith(`${type}/`)).map(([k, v]) => [k.split('/')[1], v])
  }
  async listVersions(type: ItemType, name: string) {
    this.hit(`versions ${type}/${name}`)
    const a = this.active.get(`${type}/${name.toLowerCase()}`)
    return a ? { versionIds: a.ids, recoveryLevel: a.level } : { versionIds: [] }
  }
  async listActive(type: ItemType, token?: string): Promise<Page<TargetName>> {
    this.hit(`list ${type}${token ? `@${token}` : ''}`)
    return this.page(
      this.of(this.active, type).map(([name, a]) => ({ name, recoveryLevel: a.level })),
      token
    )
  }
  async listDeleted(type: ItemType, token?: string): Promise<Page<DeletedName>> {
    this.hit(`list-deleted ${type}${token ? `@${token}` : ''}`)
    return this.page(
      this.of(this.deleted, type).map(([name, d]) => ({
        name,
        recoveryLevel: d.level,
        ...(d.purge && { scheduledPurgeDate: d.purge })
      })),
      token
    )
  }
  async restore() {}
  async startDelete() {}
  async purge() {}
  async startRecover() {}
}

const manifestItem = (type: ItemType, name: string, ids = ['a1', 'a2']): ManifestItem => ({
  type,
  name,
  file: `${type}/${name}.blob`,
  size: 1,
  sha256: 'a'.repeat(64),
  versionCount: ids.length,
  versionIds: ids,
  enabled: true,
  tags: {}
})

/** Many names, every state, three types: a restore into a vault that already holds some of them. */
function world() {
  const vault = new ListingVault()
  const items: ManifestItem[] = []
  for (let i = 0; i < 12; i++) items.push(manifestItem('secrets', `free${i}`))
  items.push(manifestItem('secrets', 'Same'), manifestItem('secrets', 'other'), manifestItem('keys', 'gone'))
  items.push(manifestItem('keys', 'locked'), manifestItem('certificates', 'free'))
  vault.active.set('secrets/same', { ids: ['a1', 'a2'], level: 'Recoverable+Purgeable' })
  vault.active.set('secrets/other', { ids: ['b1'], level: 'Recoverable' })
  for (let i = 0; i < 7; i++) vault.active.set(`secrets/unrelated${i}`, { ids: ['x'], level: 'Recoverable' })
  vault.deleted.set('keys/gone', { level: 'Recoverable+Purgeable' })
  vault.deleted.set('keys/locked', { level: 'Recoverable', purge: '2027-02-26T00:00:00.000Z' })
  return { vault, items }
}

const reader = (vault: ListingVault) => {
  const clock = new FakeClock()
  const rate = new RateController({ concurrency: 4, clock, sleep: clock.sleep, random: () => 0.5 })
  return { vault, rate, deleted: deletedViews(vault, rate) }
}

describe('planRestore over listings', () => {
  it('finds every state from the listings, reading versions only of names found active', async () => {
    const { vault, items } = world()
    const plan = await planRestore(reader(vault), items, { ifExists: 'replace', ifDeleted: 'purge' })
    const byName = Object.fromEntries(
      plan.entries.map(e => [`${e.type}/${e.name}`, `${e.state} -> ${e.decision.action}`])
    )
    expect(byName).toMatchObject({
      'secrets/free0': 'absent -> restore',
      'secrets/Same': 'active -> already-restored',
      'secrets/other': 'active -> fail',
      'keys/gone': 'soft-deleted -> purge-and-restore',
      'keys/locked': 'soft-deleted (purge protection) -> fail',
      'certificates/free': 'absent -> restore'
    })
    expect(vault.calls.filter(c => c.startsWith('versions ')).sort()).toEqual([
      'versions secrets/Same',
      'versions secrets/other'
    ])
    // Each type's deleted collection is listed once, whatever the number of items.
    expect(vault.calls.filter(c => c.startsWith('list-deleted'))).toHaveLength(3)
  })

  it('retries a failed middle page of the target listing alone', async () => {
    const { vault, items } = world()
    vault.failures.set('list secrets@3', 2)
    const plan = await planRestore(reader(vault), items, { ifExists: 'skip', ifDeleted: 'fail' })
    expect(plan.entries.find(e => e.name === 'other')).toMatchObject({ state: 'active' })
    expect(vault.calls.filter(c => c.startsWith('list secrets'))).toEqual([
      'list secrets',
      'list secrets@3',
      'list secrets@3',
      'list secrets@3',
      'list secrets@6'
    ])
  })

  it('reads the versions of each item instead when the target listing runs longer than the items it informs', async () => {
    const vault = new ListingVault()
    vault.pageSize = 1
    for (let i = 0; i < 10; i++) vault.active.set(`secrets/big${i}`, { ids: ['x'], level: 'Recoverable' })
    vault.deleted.set('secrets/gone', { level: 'Recoverable+Purgeable' })
    const plan = await planRestore(
      reader(vault),
      [manifestItem('secrets', 'big3'), manifestItem('secrets', 'new'), manifestItem('secrets', 'gone')],
      { ifExists: 'skip', ifDeleted: 'fail' }
    )
    expect(plan.entries.map(e => e.state)).toEqual(['active', 'absent', 'soft-deleted'])
    expect(vault.calls.filter(c => c.startsWith('list secrets'))).toHaveLength(4)
    expect(vault.calls.filter(c => c.startsWith('versions ')).sort()).toEqual([
      'versions secrets/big3',
      'versions secrets/gone',
      'versions secrets/new'
    ])
  })
})
