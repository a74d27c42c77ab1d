/**
 * Discover end to end through the built action (`operation: discover`), run as a runner runs it
 * against the test bed's fleet: 600 vaults in 5 subscriptions and 2 tenants, found through Resource
 * Manager at management.azure.com (only the proxy and the CA differ from production). Each filter,
 * the matrix (at most max-jobs groups, every matching vault exactly once, valid JSON for fromJSON),
 * the subscriptions it may not read in the summary, and when they fail the step.
 */
import type { VaultConfig } from '../../testbed/config.js'
import { fleetLayout } from '../../testbed/fleet.js'
import { runAction, type RunResult } from '../../testbed/harness.js'
import { startTestbed, type Testbed } from '../../testbed/index.js'

let testbed: Testbed
/** The vaults the first app may read, by the fake Resource Manager's own rules. */
let readable: VaultConfig[]
let forbidden: string[]

beforeAll(async () => {
  testbed = await startTestbed({ layout: fleetLayout() })
  const view = testbed.arm.view(testbed.layout.apps[0].objectId)
  const names = new Set(Object.values(view.vaults).flat())
  readable = testbed.layout.vaults.filter(v => names.has(v.name))
  forbidden = view.forbidden
}, 60_000)
afterAll(() => testbed?.stop())

const discover = (inputs: Record<string, string> = {}) =>
  runAction({ env: testbed.env, inputs: { operation: 'discover', ...inputs } })

interface Matrix {
  include: { group: string; vaults: string }[]
}
interface VaultOutput {
  name: string
  url: string
  subscriptionId: string
  resourceGroup: string
  location: string
  tenantId: string
  softDelete: boolean
  purgeProtection: boolean
  permissionModel: string
}

const vaultsOf = (r: RunResult) => JSON.parse(r.outputs.vaults) as VaultOutput[]
const matrixOf = (r: RunResult) => JSON.parse(r.outputs.matrix) as Matrix
const urlOf = (v: VaultConfig) => `https://${v.name.toLowerCase()}.vault.azure.net`
const errorLines = (r: RunResult) => r.stdout.split('\n').filter(l => l.startsWith('::error::'))
const sorted = (items: string[]) => [...items].sort()

/** The matrix holds at most `maxJobs` groups of near-equal size and every expected vault exactly once. */
function expectMatrix(r: RunResult, expected: VaultConfig[], maxJobs = 256): void {
  const matrix = matrixOf(r)
  expect(Object.keys(matrix)).toEqual(['include'])
  expect(matrix.include.length).toBeGreaterThan(0)
  expect(matrix.include.length).toBeLessThanOrEqual(maxJobs)
  const urls = matrix.include.flatMap(e => e.vaults.split('\n'))
  expect(urls).toHaveLength(expected.length)
  expect(sorted(urls)).toEqual(sorted(expected.map(urlOf)))
  const sizes = matrix.include.map(e => e.vaults.split('\n').length)
  expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1)
  expect(new Set(matrix.include.map(e => e.group)).size).toBe(matrix.include.length)
}

describe('operation: discover', () => {
  it('finds every vault the identity may read, with its settings, and lists the subscription it may not', async () => {
    testbed.arm.clearLog()
    const r = await discover()
    expect(errorLines(r)).toEqual([])
    expect(r.exitCode).toBe(0)
    const vaults = vaultsOf(r)
    expect(r.outputs.count).toBe(String(readable.length))
    expect(sorted(vaults.map(v => v.name))).toEqual(sorted(readable.map(v => v.name)))
    for (const v of vaults) {
      const config = readable.find(c => c.name === v.name)!
      expect(v).toEqual({
        name: config.name,
        url: urlOf(config),
        subscriptionId: config.subscriptionId,
        resourceGroup: config.resourceGroup,
        location: config.location,
        tenantId: testbed.layout.tenantId,
        softDelete: true,
        purgeProtection: config.purgeProtection === true,
        permissionModel: (config.accessModel ?? 'rbac') === 'rbac' ? 'rbac' : 'access-policy'
      })
    }
    expectMatrix(r, readable)
    // More vaults than jobs? No: then one vault per group.
    expect(matrixOf(r).include).toHaveLength(Math.min(256, readable.length))

    // The subscription whose vaults it may not list: in the summary with the reason and the fix.
    expect(forbidden).toHaveLength(1)
    expect(r.summary).toContain('### Subscriptions not read')
    expect(r.summary).toContain(forbidden[0])
    expect(r.summary).toContain('403 AuthorizationFailed')
    expect(r.summary).toContain("Grant it the 'Reader' role")
    expect(r.stdout).toMatch(
      new RegExp(`::warning::Subscription .*${forbidden[0]}.* not read: Permission denied`)
    )
    // A progress line per subscription.
    for (const sub of new Set(readable.map(v => v.subscriptionId))) {
      const count = readable.filter(v => v.subscriptionId === sub).length
      expect(r.stdout).toMatch(new RegExp(`Subscription .*${sub}\\): ${count} vaults listed`))
    }
    expect(r.summary).toContain('### Vaults')
    expect(r.summary).toContain('### Matrix groups')
    // Production hosts only, and discovery starts no vault server.
    expect(new Set(testbed.arm.requestLog.map(e => e.host))).toEqual(new Set(['management.azure.com']))
    expect(testbed.keyvault.vaults().some(v => testbed.keyvault.isListening(v.name))).toBe(false)
  })

  const FILTERS: Array<{ name: string; inputs: Record<string, string>; keep: (v: VaultConfig) => boolean }> =
    [
      {
        name: 'vault-include',
        inputs: { 'vault-include': 'kv-*\n*-kv' },
        keep: v => /^kv-/i.test(v.name) || /-kv$/i.test(v.name)
      },
      {
        name: 'vault-exclude',
        inputs: { 'vault-exclude': '*prod*, *stg*' },
        keep: v => !/prod|stg/i.test(v.name)
      },
      {
        name: 'vault-tags',
        inputs: { 'vault-tags': 'env=prod\nteam=b*' },
        keep: v => v.tags?.env === 'prod' && /^b/i.test(v.tags?.team ?? '')
      },
      {
        name: 'resource-groups',
        inputs: { 'resource-groups': 'rg-billing-*\nRG-ORDERS-*' },
        keep: v => /^rg-billing-/i.test(v.resourceGroup ?? '') || /^rg-orders-/i.test(v.resourceGroup ?? '')
      },
      {
        name: 'locations',
        inputs: { locations: 'West Europe\neastus' },
        keep: v => v.location === 'westeurope' || v.location === 'eastus'
      }
    ]
  it.each(FILTERS)('filters with $name', async ({ inputs, keep }) => {
    const expected = readable.filter(keep)
    expect(expected.length).toBeGreaterThan(0)
    expect(expected.length).toBeLessThan(readable.length)
    const r = await discover(inputs)
    expect(r.exitCode).toBe(0)
    expect(r.outputs.count).toBe(String(expected.length))
    expect(sorted(vaultsOf(r).map(v => v.name))).toEqual(sorted(expected.map(v => v.name)))
    expectMatrix(r, expected)
    expect(r.summary).toContain('Left out by the filters')
  })

  it('spreads the fleet over at most max-jobs groups, the same way on a second run', async () => {
    const r = await discover({ 'max-jobs': '8' })
    expect(r.exitCode).toBe(0)
    expectMatrix(r, readable, 8)
    expect(matrixOf(r).include.map(e => e.group)).toEqual([1, 2, 3, 4, 5, 6, 7, 8].map(i => `group-00${i}`))
    const again = await discover({ 'max-jobs': '8' })
    expect(again.outputs.matrix).toBe(r.outputs.matrix)
  })

  it('gives a matrix GitHub accepts when nothing matches: one placeholder group with no vaults', async () => {
    // Only readable subscriptions: nothing unreadable, so an empty result is no failure.
    const subscriptions = [...new Set(readable.map(v => v.subscriptionId))].join('\n')
    const r = await discover({ subscriptions, 'vault-include': 'no-such-vault-*' })
    expect(errorLines(r)).toEqual([])
    expect(r.exitCode).toBe(0)
    expect(r.outputs.count).toBe('0')
    expect(vaultsOf(r)).toEqual([])
    expect(matrixOf(r)).toEqual({ include: [{ group: 'none', vaults: '' }] })
    expect(r.stdout).toContain('::warning::Discover found no vault')
  })

  it('fails when nothing is found and a subscription could not be read, unless fail-on-error is false', async () => {
    const failed = await discover({ subscriptions: forbidden[0] })
    expect(failed.exitCode).toBe(1)
    const [error] = errorLines(failed)
    expect(error).toMatch(/^::error::No vault found, and 1 subscriptions could not be read:/)
    expect(error).toContain('Reader')
    expect(failed.summary).toContain(forbidden[0])
    expect(failed.outputs.count).toBe('0')

    const tolerated = await discover({ subscriptions: forbidden[0], 'fail-on-error': 'false' })
    expect(tolerated.exitCode).toBe(0)
    expect(tolerated.stdout).toContain('fail-on-error is false')
  })

  it("lists a named subscription it cannot see (another tenant's) in the summary, and keeps what it found", async () => {
    const partner = testbed.directory.tenant('partner')!
    const theirs = partner.subscriptions![0].subscriptionId
    const ours = readable[0].subscriptionId
    const r = await discover({ subscriptions: `${ours}\n${theirs}` })
    expect(r.exitCode).toBe(0)
    expect(r.outputs.count).toBe(String(readable.filter(v => v.subscriptionId === ours).length))
    expect(r.summary).toContain(theirs)
    expect(r.summary).toContain(`belongs to tenant '${partner.tenantId}'`)
  })

  it('refuses inputs discover does not take, before signing in', async () => {
    testbed.arm.clearLog()
    const r = await discover({ vault: 'prod', 'max-jobs': '300' })
    expect(r.exitCode).toBe(1)
    const [error] = errorLines(r)
    expect(error).toContain("Input 'vault' does not apply to operation 'discover'")
    expect(error).toContain("Invalid value for 'max-jobs'")
    expect(testbed.arm.requestLog).toEqual([])
  })
})
