import type { ManifestItem } from '../../src/core/manifest.js'
import { decide, stateLabel, type ConflictPolicy, type TargetState } from '../../src/core/plan.js'
import { RateController } from '../../src/core/rate.js'
import {
  deletedViews,
  executeRestore,
  ForeignWorldError,
  inspectTarget,
  isForeignBlobError,
  verifyRestored,
  type RestoreDeps,
  type VaultWriter
} from '../../src/core/restore.js'
import type { ItemType } from '../../src/core/types.js'

/** An in-memory vault with the service's windows, on a fake clock that only sleeping advances. */
class FakeVault implements VaultWriter {
  now = 0
  readonly calls: string[] = []
  active = new Map<string, string[]>()
  deleted = new Map<string, { visibleAt: number; ids: string[] }>()
  /** Names still taken (after a purge) until the given time. */
  busy = new Map<string, number>()
  foreign = false
  purgeWindow = 3000
  deleteWindow = 2000

  key = (type: ItemType, name: string): string => `${type}/${name}`
  /** The calls that change something (reads are logged as `list ...`). */
  writes = (): string[] => this.calls.filter(c => !c.startsWith('list'))

  async listVersions(type: ItemType, name: string) {
    return { versionIds: this.active.get(this.key(type, name)) ?? [], recoveryLevel: 'Recoverable+Purgeable' }
  }
  async listActive(type: ItemType) {
    this.calls.push(`list ${type}`)
    return {
      items: [...this.active.keys()]
        .filter(k => k.startsWith(`${type}/`))
        .map(k => ({ name: k.split('/')[1] }))
    }
  }
  /** Only deletes whose window is over show, as in the service's deleted listing. */
  async listDeleted(type: ItemType) {
    this.calls.push(`list-deleted ${type}`)
    const visible = [...this.deleted].filter(([k, d]) => k.startsWith(`${type}/`) && d.visibleAt <= this.now)
    return {
      items: visible.map(([k]) => ({ name: k.split('/')[1], recoveryLevel: 'Recoverable+Purgeable' }))
    }
  }
  async restore(type: ItemType, blob: Uint8Array) {
    const name = Buffer.from(blob).toString()
    const k = this.key(type, name)
    this.calls.push(`restore ${k}`)
    if (this.foreign) throw Object.assign(new Error('Cannot decrypt backup blob.'), { statusCode: 400 })
    const conflict = (message: string) => Object.assign(new Error(message), { statusCode: 409 })
    if (this.active.has(k) || (this.busy.get(k) ?? 0) > this.now)
      throw conflict('There was a conflict restoring')
    const d = this.deleted.get(k)
    if (d && d.visibleAt > this.now)
      throw conflict(`${name} is currently being deleted and cannot be re-created`)
    if (d) throw conflict(`${name} is currently in a deleted but recoverable state`)
    this.active.set(k, [`${name}-v1`, `${name}-v2`])
  }
  async startDelete(type: ItemType, name: string) {
    const k = this.key(type, name)
    this.calls.push(`delete ${k}`)
    this.deleted.set(k, { visibleAt: this.now + this.deleteWindow, ids: this.active.get(k)! })
    this.active.delete(k)
  }
  async purge(type: ItemType, name: string) {
    const k = this.key(type, name)
    this.calls.push(`purge ${k}`)
    this.deleted.delete(k)
    this.busy.set(k, this.now + this.purgeWindow)
  }
  async startRecover(type: ItemType, name: string) {
    const k = this.key(type, name)
    this.calls.push(`recover ${k}`)
    this.active.set(k, this.deleted.get(k)!.ids)
    this.deleted.delete(k)
  }
}

function item(type: ItemType, name: string): ManifestItem {
  return {
    type,
    name,
    file: `${type}/${name}.blob`,
    size: 1,
    sha256: 'a'.repeat(64),
    versionCount: 2,
    versionIds: [`${name}-v1`, `${name}-v2`],
    enabled: true,
    tags: {}
  }
}

function setup(vault: FakeVault, timeoutMs = 60_000, concurrency = 4): RestoreDeps {
  const clock = { now: () => vault.now }
  const sleep = async (ms: number) => {
    vault.now += ms
  }
  const rate = new RateController({ concurrency, clock, sleep })
  return {
    vault,
    deleted: deletedViews(vault, rate),
    readBlob: async i => Buffer.from(i.name),
    rate,
    poll: { clock, sleep, timeoutMs, intervalMs: 250, maxIntervalMs: 2000 },
    log: { info: () => undefined, warning: () => undefined, debug: () => undefined },
    sourceVault: 'https://prod.vault.azure.net',
    targetVault: 'https://staging.vault.azure.net'
  }
}

async function planAndRun(deps: RestoreDeps, items: ManifestItem[], policy: ConflictPolicy) {
  const states: TargetState[] = []
  for (const i of items) states.push(await inspectTarget(deps, i))
  const plan = items.map((i, n) => ({
    type: i.type,
    name: i.name,
    state: stateLabel(states[n]),
    decision: decide(i, states[n], policy)
  }))
  return executeRestore(deps, items, plan, policy)
}

const policy = (ifExists: string, ifDeleted: string) => ({ ifExists, ifDeleted }) as ConflictPolicy

test('restores certificates before keys and secrets', async () => {
  const vault = new FakeVault()
  const items = [item('secrets', 's1'), item('keys', 'k1'), item('certificates', 'c1'), item('secrets', 's2')]
  const outcomes = await planAndRun(setup(vault), items, policy('skip', 'fail'))
  expect(outcomes.map(o => o.status)).toEqual(['restored', 'restored', 'restored', 'restored'])
  expect(vault.writes()[0]).toBe('restore certificates/c1')
})

test('replace waits for the deleted view, purges, then rides out the 409 after the purge', async () => {
  const vault = new FakeVault()
  vault.active.set('secrets/s1', ['other'])
  const [outcome] = await planAndRun(setup(vault), [item('secrets', 's1')], policy('replace', 'fail'))
  expect(outcome).toMatchObject({ status: 'restored', decision: { action: 'replace' } })
  expect(vault.calls.filter(c => c.startsWith('restore')).length).toBeGreaterThan(1)
  expect(vault.writes().slice(0, 2)).toEqual(['delete secrets/s1', 'purge secrets/s1'])
  expect(vault.active.get('secrets/s1')).toEqual(['s1-v1', 's1-v2'])
  // The fake clock moved only by the injected sleeps: past both windows, not much beyond.
  expect(vault.now).toBeGreaterThanOrEqual(5000)
  expect(vault.now).toBeLessThan(12_000)
})

test('a name still being deleted is waited out, then decided under if-deleted', async () => {
  const vault = new FakeVault()
  vault.deleted.set('keys/k1', { visibleAt: 1500, ids: ['old'] })
  const [outcome] = await planAndRun(setup(vault), [item('keys', 'k1')], policy('skip', 'recover'))
  expect(outcome).toMatchObject({
    status: 'recovered',
    state: 'being deleted',
    decision: { action: 'recover' }
  })
  expect(vault.active.get('keys/k1')).toEqual(['old'])
})

test('replace reads the deleted state from the listing, never item by item', async () => {
  const vault = new FakeVault()
  for (const n of ['a', 'b', 'c']) vault.active.set(`secrets/${n}`, ['other'])
  const items = ['a', 'b', 'c'].map(n => item('secrets', n))
  const outcomes = await planAndRun(setup(vault), items, policy('replace', 'fail'))
  expect(outcomes.map(o => o.status)).toEqual(['restored', 'restored', 'restored'])
  // Three items waited for their deletes through shared listings: fewer listings than items x rounds.
  const listings = vault.calls.filter(c => c === 'list-deleted secrets').length
  expect(listings).toBeGreaterThan(0)
  expect(listings).toBeLessThan(3 * 8)
})

test('polling is bounded: a name that never frees up fails the item with a timeout', async () => {
  const vault = new FakeVault()
  vault.busy.set('secrets/s1', Number.MAX_SAFE_INTEGER)
  const [outcome] = await planAndRun(setup(vault, 10_000), [item('secrets', 's1')], policy('skip', 'fail'))
  expect(outcome.status).toBe('failed')
  expect(outcome.reason).toMatch(/timed out after 10 s waiting for the name/)
})

test('another security world stops the run after the first refusal', async () => {
  const vault = new FakeVault()
  vault.foreign = true
  const items = [item('certificates', 'c1'), item('secrets', 's1'), item('keys', 'k1')]
  const error = await planAndRun(setup(vault, 60_000, 1), items, policy('skip', 'fail')).catch(e => e)
  expect(error).toBeInstanceOf(ForeignWorldError)
  expect(error.message).toMatch(/same Azure subscription AND the same Azure geography/)
  expect(vault.writes()).toEqual(['restore certificates/c1'])
  expect(error.outcomes.map((o: { status: string }) => o.status)).toEqual(['failed', 'failed', 'failed'])
})

test.each([
  ['400 BadParameter', 400, 'BadParameter'],
  ['400 BadRequest', 400, 'BadRequest'],
  ['409 Conflict', 409, 'Conflict'],
  ['500', 500, 'InternalServerError'],
  ['no status', undefined, undefined]
])('recognises another security world by its text, whatever the status (%s)', (_, statusCode, code) => {
  const error = Object.assign(new Error('Cannot decrypt backup blob.'), { statusCode, code })
  expect(isForeignBlobError(error)).toBe(true)
  expect(
    isForeignBlobError(
      Object.assign(new Error('Backup blob contains invalid or corrupt version.'), { statusCode: 400 })
    )
  ).toBe(false)
})

test('verify after turns a wrong version count into a failure', async () => {
  const vault = new FakeVault()
  const deps = setup(vault)
  const items = [item('secrets', 's1'), item('secrets', 's2')]
  const outcomes = await planAndRun(deps, items, policy('skip', 'fail'))
  vault.active.set('secrets/s2', ['s2-v1'])
  expect(await verifyRestored(deps, items, outcomes)).toEqual({ checked: 2, failed: 1 })
  expect(outcomes.map(o => o.status)).toEqual(['restored', 'failed'])
  expect(outcomes[1].reason).toMatch(/1 versions found, the manifest records 2/)
})
