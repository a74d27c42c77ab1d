import type { ManifestItem } from '../../src/core/manifest.js'
import {
  decide,
  isPurgeProtected,
  type ConflictPolicy,
  type RestoreAction,
  type TargetState
} from '../../src/core/plan.js'

const item: ManifestItem = {
  type: 'secrets',
  name: 'db-password',
  file: 'secrets/db-password.blob',
  size: 10,
  sha256: 'a'.repeat(64),
  versionCount: 2,
  versionIds: ['v1', 'v2'],
  enabled: true,
  tags: {}
}

const absent: TargetState = { kind: 'absent' }
const same: TargetState = { kind: 'active', versionIds: ['V2', 'v1'], purgeProtected: false }
const other: TargetState = { kind: 'active', versionIds: ['x'], purgeProtected: false }
const otherProtected: TargetState = { kind: 'active', versionIds: ['x'], purgeProtected: true }
const deleted: TargetState = { kind: 'deleted', purgeProtected: false }
const date = '2027-02-26T00:00:00.000Z'
const deletedProtected: TargetState = { kind: 'deleted', purgeProtected: true, scheduledPurgeDate: date }

const p = (ifExists: string, ifDeleted: string): ConflictPolicy => ({ ifExists, ifDeleted }) as ConflictPolicy

const cases: Array<[string, TargetState, ConflictPolicy, RestoreAction, RegExp?]> = [
  ['absent', absent, p('fail', 'fail'), 'restore'],
  ['same versions, if-exists fail', same, p('fail', 'fail'), 'already-restored'],
  ['same versions, if-exists replace', same, p('replace', 'fail'), 'already-restored'],
  ['other versions, skip', other, p('skip', 'fail'), 'skip'],
  ['other versions, fail', other, p('fail', 'fail'), 'fail', /already exists/],
  ['other versions, replace', other, p('replace', 'fail'), 'replace'],
  [
    'other versions, replace under purge protection',
    otherProtected,
    p('replace', 'fail'),
    'fail',
    /purge protection/
  ],
  ['soft-deleted, fail', deleted, p('skip', 'fail'), 'fail', /'recover' or 'purge'/],
  ['soft-deleted, skip', deleted, p('skip', 'skip'), 'skip'],
  ['soft-deleted, recover', deleted, p('skip', 'recover'), 'recover'],
  ['soft-deleted, purge', deleted, p('skip', 'purge'), 'purge-and-restore'],
  ['protected soft-deleted, fail', deletedProtected, p('skip', 'fail'), 'fail', /frees up on 2027-02-26/],
  ['protected soft-deleted, skip', deletedProtected, p('skip', 'skip'), 'skip'],
  ['protected soft-deleted, recover', deletedProtected, p('skip', 'recover'), 'recover'],
  [
    'protected soft-deleted, purge',
    deletedProtected,
    p('skip', 'purge'),
    'fail',
    /cannot be purged; the name frees up on 2027-02-26/
  ]
]

// Rows padded to one length: a shorter row would make Jest pass its `done` callback as `reason`.
test.each(cases.map(([l, s, p, a, r]) => [l, s, p, a, r ?? null] as const))(
  '%s',
  (_label, state, policy, action, reason) => {
    const decision = decide(item, state, policy)
    expect(decision.action).toBe(action)
    if (reason) expect(decision.reason).toMatch(reason)
  }
)

test('without recorded version ids an active item is never taken for already restored', () => {
  const { versionIds: _ids, ...old } = item
  expect(decide(old, same, p('skip', 'fail')).action).toBe('skip')
})

test.each([
  ['Recoverable+Purgeable', false],
  ['CustomizedRecoverable+Purgeable', false],
  ['Recoverable', true],
  ['Recoverable+ProtectedSubscription', true],
  ['CustomizedRecoverable', true]
])('recovery level %s -> purge protected %s', (level, expected) => {
  expect(isPurgeProtected(level)).toBe(expected)
})
