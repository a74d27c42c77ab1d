/**
 * The restore policy table end to end: every (target state x policy) cell runs through the built
 * action (dist/index.js) in the runner harness against the test bed. Each cell is one secret in a
 * target vault prepared in that state; cells sharing a policy pair share one run. The decision is read
 * from the plan file and the vault's final state through the SDK.
 */
import { SecretClient } from '@azure/keyvault-secrets'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { VaultConfig } from '../../testbed/config.js'
import { runAction, type RunResult } from '../../testbed/harness.js'
import { startTestbed, type Testbed } from '../../testbed/index.js'

type State = 'absent' | 'same' | 'different' | 'deleted' | 'being-deleted'
type Final = 'backup' | 'other' | 'deleted' | 'none'

interface Cell {
  state: State
  ifExists: string
  ifDeleted: string
  /** The decision the action reports for the item (after execution learnt the state). */
  action: string
  outcome: 'restored' | 'recovered' | 'skipped' | 'failed'
  /** What the name holds afterwards: the backup's versions, the target's own, a deleted object, nothing. */
  final: Final
  /** Text the failure reason must contain. */
  reason?: RegExp
}

const E = ['skip', 'fail', 'replace']

// The table for a vault without purge protection.
const OPEN: Cell[] = [
  {
    state: 'absent',
    ifExists: 'skip',
    ifDeleted: 'fail',
    action: 'restore',
    outcome: 'restored',
    final: 'backup'
  },
  ...E.map(ifExists => ({
    state: 'same' as const,
    ifExists,
    ifDeleted: 'fail',
    action: 'already-restored',
    outcome: 'skipped' as const,
    final: 'backup' as const
  })),
  {
    state: 'different',
    ifExists: 'skip',
    ifDeleted: 'fail',
    action: 'skip',
    outcome: 'skipped',
    final: 'other'
  },
  {
    state: 'different',
    ifExists: 'fail',
    ifDeleted: 'fail',
    action: 'fail',
    outcome: 'failed',
    final: 'other',
    reason: /already exists/
  },
  {
    state: 'different',
    ifExists: 'replace',
    ifDeleted: 'fail',
    action: 'replace',
    outcome: 'restored',
    final: 'backup'
  },
  ...(['deleted', 'being-deleted'] as const).flatMap(state => [
    {
      state,
      ifExists: 'skip',
      ifDeleted: 'fail',
      action: 'fail',
      outcome: 'failed' as const,
      final: 'deleted' as const,
      reason: /soft-deleted/
    },
    {
      state,
      ifExists: 'skip',
      ifDeleted: 'skip',
      action: 'skip',
      outcome: 'skipped' as const,
      final: 'deleted' as const
    },
    {
      state,
      ifExists: 'skip',
      ifDeleted: 'recover',
      action: 'recover',
      outcome: 'recovered' as const,
      final: 'other' as const
    },
    {
      state,
      ifExists: 'skip',
      ifDeleted: 'purge',
      action: 'purge-and-restore',
      outcome: 'restored' as const,
      final: 'backup' as const
    }
  ])
]

// Under purge protection: replace and purge are refused, naming the date; recover works.
const PROTECTED: Cell[] = [
  {
    state: 'absent',
    ifExists: 'replace',
    ifDeleted: 'purge',
    action: 'restore',
    outcome: 'restored',
    final: 'backup'
  },
  {
    state: 'same',
    ifExists: 'replace',
    ifDeleted: 'purge',
    action: 'already-restored',
    outcome: 'skipped',
    final: 'backup'
  },
  {
    state: 'different',
    ifExists: 'replace',
    ifDeleted: 'purge',
    action: 'fail',
    outcome: 'failed',
    final: 'other',
    reason: /purge protection/
  },
  ...(['deleted', 'being-deleted'] as const).flatMap(state => [
    {
      state,
      ifExists: 'skip',
      ifDeleted: 'fail',
      action: 'fail',
      outcome: 'failed' as const,
      final: 'deleted' as const,
      reason: /frees up on \d{4}-\d\d-\d\d/
    },
    {
      state,
      ifExists: 'skip',
      ifDeleted: 'skip',
      action: 'skip',
      outcome: 'skipped' as const,
      final: 'deleted' as const
    },
    {
      state,
      ifExists: 'skip',
      ifDeleted: 'recover',
      action: 'recover',
      outcome: 'recovered' as const,
      final: 'other' as const
    },
    {
      state,
      ifExists: 'replace',
      ifDeleted: 'purge',
      action: 'fail',
      outcome: 'failed' as const,
      final: 'deleted' as const,
      reason: /cannot be purged; the name frees up on \d{4}-\d\d-\d\d/
    }
  ])
]

let testbed: Testbed
let backupPath: string
/** Version ids of each cell's secret in the backup. */
const backupVersions = new Map<string, string[]>()
const cellName = (table: string, i: number): string => `${table}-c${i}`

beforeAll(async () => {
  testbed = await startTestbed({ behaviour: { deleteWindowMs: [100, 200], purgeWindowMs: [100, 200] } })
  const prod = testbed.keyvault.vault('prod')
  for (const [table, cells] of [
    ['open', OPEN],
    ['prot', PROTECTED]
  ] as const) {
    cells.forEach((_, i) =>
      prod.seedSecret(cellName(table, i), `value-${i}`, { versions: 2, tags: { cell: `${i}` } })
    )
  }
  const backup = await runAction({ env: testbed.env, inputs: { vault: 'prod', upload: 'false' } })
  expect(backup.exitCode).toBe(0)
  backupPath = backup.outputs['backup-path']
  const manifest = JSON.parse(readFileSync(join(backupPath, 'manifest.json'), 'utf8'))
  for (const item of manifest.items) backupVersions.set(item.name, item.versionIds)
})
afterAll(() => testbed.stop())

function client(vault: string): SecretClient {
  return new SecretClient(testbed.keyvault.vault(vault).localUrl, testbed.credential(), testbed.sdkOptions())
}

async function versionIds(sdk: SecretClient, name: string): Promise<string[]> {
  const ids: string[] = []
  for await (const p of sdk.listPropertiesOfSecretVersions(name)) ids.push(p.version!)
  return ids.sort()
}

async function isDeleted(sdk: SecretClient, name: string): Promise<boolean> {
  try {
    await sdk.getDeletedSecret(name)
    return true
  } catch {
    return false
  }
}

/** Puts the target's name into the cell's state; returns the target's own version ids, if any. */
async function prepare(vault: string, name: string, state: State): Promise<string[]> {
  const target = testbed.keyvault.vault(vault)
  const sdk = client(vault)
  if (state === 'absent') return []
  if (state === 'same') {
    await sdk.restoreSecretBackup(readFileSync(join(backupPath, 'secrets', `${name}.blob`)))
    return versionIds(sdk, name)
  }
  target.seedSecret(name, 'the target’s own value', { versions: 1 })
  const own = await versionIds(sdk, name)
  if (state === 'different') return own
  // A window longer than any run keeps "being deleted" going while the action starts and plans;
  // the test ends it by moving the test bed's clock once the action has met it (see endDeletes).
  target.behaviour.deleteWindowMs =
    state === 'being-deleted' ? [BEING_DELETED_MS, BEING_DELETED_MS] : [10, 10]
  await sdk.beginDeleteSecret(name)
  target.behaviour.deleteWindowMs = [100, 200]
  if (state === 'deleted') await waitFor(() => isDeleted(sdk, name))
  return own
}

const BEING_DELETED_MS = 3_600_000

/**
 * Ends the long delete windows once every run with a "being deleted" cell has met one (a 409 in
 * its vault's request log): those runs have planned by then, so "being deleted" is what they
 * found. The clock is shared by all vaults, so it moves only when all of them got there.
 */
function endDeletesWhenAllMet(vaults: string[]): () => void {
  let done = false
  const met = (vault: string) =>
    testbed.keyvault.requestLog.some(
      e => e.vault === vault && e.operation === 'RestoreSecret' && e.status === 409
    )
  const watch = async (): Promise<void> => {
    while (!done) {
      if (vaults.every(met)) {
        testbed.clock.advance(BEING_DELETED_MS)
        return
      }
      await new Promise(r => setTimeout(r, 50))
    }
  }
  void watch()
  return () => void (done = true)
}

async function waitFor(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 250; i++) {
    if (await check()) return
    await new Promise(r => setTimeout(r, 20))
  }
  throw new Error('the test bed never reached the state this cell needs')
}

/** A request that would read a value: a secret (or a version of it), or any single deleted item. */
const VALUE_READ = /^\/(secrets\/[^/]+(\/(?!versions$)[^/]*)?|deleted(secrets|keys|certificates)\/[^/]+)$/

interface PlanItem {
  name: string
  state: string
  action: string
  outcome: string
  outcomeReason?: string
  planned?: { state: string; action: string }
}

async function runTable(table: 'open' | 'prot', cells: Cell[]): Promise<void> {
  const groups = new Map<string, number[]>()
  cells.forEach((c, i) =>
    groups.set(`${c.ifExists}/${c.ifDeleted}`, [...(groups.get(`${c.ifExists}/${c.ifDeleted}`) ?? []), i])
  )
  // Each policy pair gets its own vault, so the runs go in parallel.
  const waiting = [...groups]
    .map(([, indexes], g) => (indexes.some(i => cells[i].state === 'being-deleted') ? `${table}-t${g}` : ''))
    .filter(Boolean)
  const stopWatching = endDeletesWhenAllMet(waiting)
  try {
    await Promise.all(
      [...groups].map(([policy, indexes], g) => runGroup(table, cells, policy, indexes, `${table}-t${g}`))
    )
  } finally {
    stopWatching()
  }
}

async function runGroup(
  table: 'open' | 'prot',
  cells: Cell[],
  policy: string,
  indexes: number[],
  vault: string
): Promise<void> {
  const protectedVault = table === 'prot'
  const prod = testbed.layout.vaults.find(v => v.name === 'prod')!
  {
    const extra: Partial<VaultConfig> = protectedVault ? { purgeProtection: true } : {}
    await testbed.keyvault.addVault({ ...prod, name: vault, ...extra }, { deleteWindowMs: [100, 200] })
    const own = new Map<number, string[]>()
    for (const i of indexes) own.set(i, await prepare(vault, cellName(table, i), cells[i].state))
    const [ifExists, ifDeleted] = policy.split('/')
    const logFrom = testbed.keyvault.requestLog.length
    const result: RunResult = await runAction({
      env: testbed.env,
      inputs: {
        operation: 'restore',
        vault,
        path: backupPath,
        include: indexes.map(i => cellName(table, i)).join('\n'),
        'if-exists': ifExists,
        'if-deleted': ifDeleted
      }
    })
    // The vault's requests while the action ran (the test's own checks come after).
    const runLog = testbed.keyvault.requestLog.slice(logFrom)
    const plan = JSON.parse(readFileSync(result.outputs['plan-path'], 'utf8')) as { items: PlanItem[] }
    const sdk = client(vault)
    for (const i of indexes) {
      const cell = cells[i]
      const name = cellName(table, i)
      const label = `${table} ${cell.state} if-exists=${ifExists} if-deleted=${ifDeleted}`
      const row = plan.items.find(r => r.name === name)
      expect({ label, action: row?.action, outcome: row?.outcome }).toEqual({
        label,
        action: cell.action,
        outcome: cell.outcome
      })
      if (cell.reason) expect(row?.outcomeReason).toMatch(cell.reason)
      if (cell.state === 'being-deleted') {
        // Reads cannot see a delete in progress; the 409 during execution reveals it.
        expect(row?.state).toBe('being deleted')
        expect(row?.planned).toEqual({ state: 'absent', action: 'restore' })
      }
      const ids = await versionIds(sdk, name)
      const expected: Record<Final, string[]> = {
        backup: [...backupVersions.get(name)!].sort(),
        other: own.get(i)!,
        deleted: [],
        none: []
      }
      expect({ label, ids }).toEqual({ label, ids: expected[cell.final] })
      if (cell.final === 'deleted') expect(await isDeleted(sdk, name)).toBe(true)
    }
    const failed = indexes.filter(i => cells[i].outcome === 'failed').length
    expect(result.outputs.failed).toBe(String(failed))
    // Restore never reads a value, whatever the policy: not through the SDK's pollers, not through
    // the deleted view (whose single items need 'get' and carry a deleted secret's value).
    const reads = runLog.filter(e => e.vault === vault && e.method === 'GET' && VALUE_READ.test(e.path))
    expect(reads.map(e => `${e.method} ${e.path}`)).toEqual([])
    expect(result.exitCode).toBe(failed > 0 ? 1 : 0)
  }
}

test('every cell of the policy table, without purge protection', async () => {
  await runTable('open', OPEN)
})

test('every cell of the policy table under purge protection: purge and replace refused with the date, recover works', async () => {
  await runTable('prot', PROTECTED)
})
