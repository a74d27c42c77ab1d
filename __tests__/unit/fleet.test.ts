import {
  EMPTY_FLEET_ENTRY,
  filterVaults,
  fleetMatrix,
  groupName,
  groupVaults,
  MAX_MATRIX_JOBS,
  NO_FLEET_FILTER,
  normalizeLocation,
  vaultRecord,
  type FleetFilter,
  type FleetGroup,
  type FleetVault
} from '../../src/core/fleet.js'

const SUB_A = '5f1c0000-0000-4000-8000-00000000f001'
const SUB_B = '5f1c0000-0000-4000-8000-00000000f002'

function vault(name: string, extra: Partial<FleetVault> = {}): FleetVault {
  const subscriptionId = extra.subscriptionId ?? SUB_A
  const resourceGroup = extra.resourceGroup ?? 'rg-billing-prod'
  return {
    name,
    url: `https://${name.toLowerCase()}.vault.azure.net`,
    id: `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.KeyVault/vaults/${name}`,
    subscriptionId,
    resourceGroup,
    location: 'westeurope',
    tenantId: '72f988bf-0000-4000-8000-000000000001',
    tags: {},
    softDelete: true,
    purgeProtection: false,
    permissionModel: 'rbac',
    ...extra
  }
}

/** A fleet of `n` vaults with names that do not sort like their creation order. */
const fleet = (n: number, prefix = 'kv'): FleetVault[] =>
  Array.from({ length: n }, (_, i) =>
    vault(`${prefix}${((i * 7919) % 100_003).toString(36)}x${i}`, {
      subscriptionId: i % 3 === 0 ? SUB_B : SUB_A,
      resourceGroup: `rg-${i % 5}`
    })
  )

/** Deterministic shuffle (the order Resource Manager answers in is not ours to rely on). */
function shuffled<T>(items: readonly T[], seed = 7): T[] {
  const out = [...items]
  let s = seed
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31
    const j = s % (i + 1)
    ;[out[i], out[j]] = [out[j], out[i]]
  }
  return out
}

const groupOf = (groups: FleetGroup[]): Map<string, number> =>
  new Map(groups.flatMap((g, i) => g.vaults.map(v => [v.id, i] as const)))

describe('filterVaults', () => {
  const vaults = [
    vault('kv-billing-prod', { tags: { env: 'prod', team: 'billing' }, location: 'westeurope' }),
    vault('kv-billing-dev', { tags: { env: 'dev', team: 'billing' }, location: 'westeurope' }),
    vault('orders-prod-kv', {
      tags: { Env: 'production' },
      location: 'eastus',
      resourceGroup: 'RG-ORDERS-PROD'
    }),
    vault('searchprodweu', { location: 'northeurope', resourceGroup: 'search-prod-rg' }),
    vault('kvledgerqa', { tags: { env: 'qa', owner: 'ledger-owners@contoso.com' }, location: 'japaneast' })
  ]
  const f = (filter: Partial<FleetFilter>): FleetFilter => ({ ...NO_FLEET_FILTER, ...filter })
  const cases: Array<{
    name: string
    filter: FleetFilter
    kept: string[]
    leftOut?: Record<string, number>
  }> = [
    { name: 'no filter keeps every vault', filter: NO_FLEET_FILTER, kept: vaults.map(v => v.name) },
    {
      name: 'vault-include globs, case-insensitive',
      filter: f({ include: ['KV-*'] }),
      kept: ['kv-billing-prod', 'kv-billing-dev'],
      leftOut: { 'not matched by vault-include': 3 }
    },
    {
      name: 'several include globs: any one matches',
      filter: f({ include: ['*-prod', 'kvledger??'] }),
      kept: ['kv-billing-prod', 'kvledgerqa']
    },
    {
      name: 'vault-exclude wins over include',
      filter: f({ include: ['kv-*'], exclude: ['*-dev'] }),
      kept: ['kv-billing-prod'],
      leftOut: { 'not matched by vault-include': 3, 'matched by vault-exclude': 1 }
    },
    {
      name: 'vault-exclude alone',
      filter: f({ exclude: ['*prod*'] }),
      kept: ['kv-billing-dev', 'kvledgerqa']
    },
    {
      name: 'vault-tags: every line must match',
      filter: f({
        tags: [
          { key: 'env', value: 'prod' },
          { key: 'team', value: 'billing' }
        ]
      }),
      kept: ['kv-billing-prod'],
      leftOut: { 'vault-tags do not match': 4 }
    },
    {
      name: 'vault-tags: values may use * and ?; keys match case-insensitively',
      filter: f({ tags: [{ key: 'env', value: 'prod*' }] }),
      kept: ['kv-billing-prod', 'orders-prod-kv']
    },
    {
      name: 'vault-tags: ? is one character',
      filter: f({ tags: [{ key: 'env', value: '?a' }] }),
      kept: ['kvledgerqa']
    },
    {
      name: 'vault-tags: a missing key does not match even *',
      filter: f({ tags: [{ key: 'owner', value: '*' }] }),
      kept: ['kvledgerqa']
    },
    {
      name: 'resource-groups: names case-insensitively, globs',
      filter: f({ resourceGroups: ['rg-orders-prod', 'search-*'] }),
      kept: ['orders-prod-kv', 'searchprodweu'],
      leftOut: { 'not in resource-groups': 3 }
    },
    {
      name: "locations: 'West Europe' means westeurope",
      filter: f({ locations: ['West Europe', 'JAPANEAST'] }),
      kept: ['kv-billing-prod', 'kv-billing-dev', 'kvledgerqa'],
      leftOut: { 'not in locations': 2 }
    },
    {
      name: 'locations: globs',
      filter: f({ locations: ['*europe'] }),
      kept: ['kv-billing-prod', 'kv-billing-dev', 'searchprodweu']
    },
    {
      name: 'every filter at once',
      filter: f({
        include: ['kv*'],
        exclude: ['*-dev'],
        resourceGroups: ['rg-*'],
        locations: ['westeurope'],
        tags: [{ key: 'team', value: 'bill*' }]
      }),
      kept: ['kv-billing-prod']
    }
  ]
  it.each(cases)('$name', ({ filter, kept, leftOut }) => {
    const selection = filterVaults(vaults, filter)
    expect(selection.selected.map(v => v.name)).toEqual(kept)
    if (leftOut) expect(selection.leftOut).toEqual(leftOut)
    const total = Object.values(selection.leftOut).reduce((a, b) => a + b, 0)
    expect(total + selection.selected.length).toBe(vaults.length)
  })

  it.each([
    ['West Europe', 'westeurope'],
    ['  East US 2 ', 'eastus2'],
    ['japaneast', 'japaneast']
  ])('normalizeLocation(%j) = %j', (raw, normal) => expect(normalizeLocation(raw)).toBe(normal))
})

describe('groupVaults', () => {
  const cases: Array<{ vaults: number; maxJobs: number; groups: number; sizes: number[] }> = [
    { vaults: 0, maxJobs: 256, groups: 0, sizes: [] },
    { vaults: 1, maxJobs: 256, groups: 1, sizes: [1] },
    { vaults: 5, maxJobs: 256, groups: 5, sizes: [1] },
    { vaults: 256, maxJobs: 256, groups: 256, sizes: [1] },
    { vaults: 257, maxJobs: 256, groups: 256, sizes: [1, 2] },
    { vaults: 600, maxJobs: 256, groups: 256, sizes: [2, 3] },
    { vaults: 2000, maxJobs: 256, groups: 256, sizes: [7, 8] },
    { vaults: 10, maxJobs: 3, groups: 3, sizes: [3, 4] },
    { vaults: 9, maxJobs: 3, groups: 3, sizes: [3] },
    { vaults: 7, maxJobs: 1, groups: 1, sizes: [7] },
    { vaults: 40, maxJobs: 1000, groups: 40, sizes: [1] }
  ]
  it.each(cases)(
    '$vaults vaults, max-jobs $maxJobs: $groups groups of sizes $sizes',
    ({ vaults, maxJobs, groups, sizes }) => {
      const all = fleet(vaults)
      const result = groupVaults(all, maxJobs)
      expect(result).toHaveLength(groups)
      expect(result.length).toBeLessThanOrEqual(Math.min(maxJobs, MAX_MATRIX_JOBS))
      const seen = [...new Set(result.map(g => g.vaults.length))].sort((a, b) => a - b)
      expect(seen).toEqual(sizes)
      // Near-equal: sizes differ by at most one.
      if (result.length > 0) {
        const lengths = result.map(g => g.vaults.length)
        expect(Math.max(...lengths) - Math.min(...lengths)).toBeLessThanOrEqual(1)
      }
      // Coverage: every vault exactly once.
      const ids = result.flatMap(g => g.vaults.map(v => v.id))
      expect(ids).toHaveLength(vaults)
      expect(new Set(ids)).toEqual(new Set(all.map(v => v.id)))
      // Names follow the index.
      expect(result.map(g => g.group)).toEqual(result.map((_, i) => groupName(i)))
    }
  )

  it('names groups group-001 ... group-256', () => {
    expect([groupName(0), groupName(9), groupName(255)]).toEqual(['group-001', 'group-010', 'group-256'])
  })

  it('counts a vault listed twice once', () => {
    const all = fleet(10)
    const groups = groupVaults([...all, all[3], { ...all[4] }], 4)
    expect(groups.flatMap(g => g.vaults)).toHaveLength(10)
  })

  it.each([
    [5, 256],
    [600, 256],
    [2000, 256],
    [37, 8]
  ])(
    'is stable for an unchanged fleet of %i vaults (max-jobs %i), whatever order it is listed in',
    (n, maxJobs) => {
      const all = fleet(n)
      const first = groupVaults(all, maxJobs)
      for (const seed of [1, 2, 3]) {
        const again = groupVaults(shuffled(all, seed), maxJobs)
        expect(again.map(g => ({ group: g.group, ids: g.vaults.map(v => v.id) }))).toEqual(
          first.map(g => ({ group: g.group, ids: g.vaults.map(v => v.id) }))
        )
      }
    }
  )

  // Contiguous runs of the sorted fleet: adding one vault shifts each boundary between groups by at
  // most one place, so at most one vault crosses each boundary, and only to the next group.
  it.each([
    { n: 600, maxJobs: 256, position: 'first' },
    { n: 600, maxJobs: 256, position: 'middle' },
    { n: 600, maxJobs: 256, position: 'last' },
    { n: 2000, maxJobs: 256, position: 'middle' },
    { n: 100, maxJobs: 10, position: 'middle' }
  ])(
    'adding one vault to $n (max-jobs $maxJobs, sorting $position) moves at most one vault per group boundary',
    ({ n, maxJobs, position }) => {
      const all = fleet(n)
      const before = groupVaults(all, maxJobs)
      const middle = [...all].sort((a, b) => (a.id.toLowerCase() < b.id.toLowerCase() ? -1 : 1))[n >> 1]
      const added =
        position === 'first'
          ? vault('a0first', { subscriptionId: SUB_A, resourceGroup: '0' })
          : position === 'last'
            ? vault('zzlast', { subscriptionId: SUB_B, resourceGroup: 'zz' })
            : vault(`${middle.name}a`, {
                subscriptionId: middle.subscriptionId,
                resourceGroup: middle.resourceGroup
              })
      const after = groupVaults([...all, added], maxJobs)
      expect(after).toHaveLength(before.length)
      const was = groupOf(before)
      const now = groupOf(after)
      const moved = all.filter(v => was.get(v.id) !== now.get(v.id))
      expect(moved.length).toBeLessThanOrEqual(before.length - 1)
      for (const v of moved) expect(Math.abs(now.get(v.id)! - was.get(v.id)!)).toBe(1)
      // Most of the fleet stays put.
      expect(moved.length).toBeLessThan(n / 2)
    }
  )

  it('with fewer vaults than jobs (one vault per group), adding one shifts only the vaults sorted after it', () => {
    const all = fleet(20)
    const before = groupVaults(all, 256)
    const after = groupVaults(
      [...all, vault('zzzz-last', { subscriptionId: SUB_B, resourceGroup: 'zz' })],
      256
    )
    expect(after).toHaveLength(21)
    expect(after.slice(0, 20).map(g => g.vaults[0].id)).toEqual(before.map(g => g.vaults[0].id))
  })

  it('removing one vault moves at most one vault per group boundary too', () => {
    const all = fleet(600)
    const before = groupVaults(all, 256)
    const gone = all[123]
    const after = groupVaults(
      all.filter(v => v !== gone),
      256
    )
    const was = groupOf(before)
    const now = groupOf(after)
    const moved = all.filter(v => v !== gone && was.get(v.id) !== now.get(v.id))
    expect(moved.length).toBeLessThanOrEqual(255)
    for (const v of moved) expect(Math.abs(now.get(v.id)! - was.get(v.id)!)).toBe(1)
  })
})

describe('fleetMatrix', () => {
  it('is an object with include: one {group, vaults} per group, vaults one URL per line, that survives JSON', () => {
    const groups = groupVaults(fleet(7), 3)
    const matrix = JSON.parse(JSON.stringify(fleetMatrix(groups)))
    expect(Object.keys(matrix)).toEqual(['include'])
    expect(matrix.include).toHaveLength(3)
    for (const [i, entry] of matrix.include.entries()) {
      expect(Object.keys(entry).sort()).toEqual(['group', 'vaults'])
      expect(entry.group).toBe(groupName(i))
      expect(entry.vaults.split('\n')).toEqual(groups[i].vaults.map(v => v.url))
      for (const url of entry.vaults.split('\n'))
        expect(url).toMatch(/^https:\/\/[a-z0-9-]+\.vault\.azure\.net$/)
    }
  })

  it('gives an empty fleet one placeholder entry with no vaults (GitHub refuses an empty include)', () => {
    const matrix = fleetMatrix([])
    expect(matrix.include).toEqual([EMPTY_FLEET_ENTRY])
    expect(matrix.include[0].vaults).toBe('')
    expect(JSON.parse(JSON.stringify(matrix)).include).toHaveLength(1)
  })
})

describe('vaultRecord', () => {
  it('carries the fields of the vaults output and no tags', () => {
    const record = vaultRecord(
      vault('kv-a', { tags: { secret: 'x' }, purgeProtection: true, permissionModel: 'access-policy' })
    )
    expect(record).toEqual({
      name: 'kv-a',
      url: 'https://kv-a.vault.azure.net',
      subscriptionId: SUB_A,
      resourceGroup: 'rg-billing-prod',
      location: 'westeurope',
      tenantId: '72f988bf-0000-4000-8000-000000000001',
      softDelete: true,
      purgeProtection: true,
      permissionModel: 'access-policy'
    })
  })
})
