/**
 * The fleet end to end, through the built action with production inputs, as the README's fleet
 * workflow runs it: `operation: discover` feeds a matrix, and one matrix job backs up its group (the
 * `vault` input's lines), one artifact per vault, where one vault of the group refuses the identity.
 * Then restore checks the target's place before any write: another subscription or geography is
 * refused from Resource Manager's answer, and without Reader there the service's answer still stops it.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { VaultConfig } from '../../testbed/config.js'
import { fleetLayout } from '../../testbed/fleet.js'
import { runAction, type RunResult } from '../../testbed/harness.js'
import { startTestbed, type Testbed } from '../../testbed/index.js'

const RUN_ID = '4001'
const WRITES = new Set(['PUT', 'POST', 'DELETE', 'PATCH'])

let testbed: Testbed
let app: { objectId: string }
/** The first subscription: Reader and Key Vault Administrator for the first app. */
let home: string
/** The vault of the group whose access policy names someone else. */
let denied: VaultConfig
let group: { group: string; vaults: string }
let groupVaults: VaultConfig[]
let backup: RunResult

interface VaultResult {
  vault: string
  url: string
  complete: boolean
  backedUp: number
  failed: number
  artifactId?: number
  backupPath?: string
  error?: string
}

const errorLines = (r: RunResult) => r.stdout.split('\n').filter(l => l.startsWith('::error::'))
const byName = (name: string) => testbed.layout.vaults.find(v => v.name === name)!
const nameOf = (url: string) => new URL(url).hostname.split('.')[0]

beforeAll(async () => {
  testbed = await startTestbed({ layout: fleetLayout() })
  app = testbed.layout.tenants[0].apps[0]
  home = testbed.layout.tenants[0].subscriptions![0].subscriptionId
  const homeVaults = testbed.layout.vaults.filter(v => v.subscriptionId === home)
  // Home vaults inherit Key Vault Administrator, except those on access policies naming someone else.
  const refuses = (v: VaultConfig) => !!v.accessPolicies?.every(p => p.objectId !== app.objectId)

  // The discover job: the home subscription, in groups of about five vaults.
  const discover = await runAction({
    env: testbed.env,
    inputs: {
      operation: 'discover',
      subscriptions: home,
      'max-jobs': String(Math.ceil(homeVaults.length / 5))
    }
  })
  expect(errorLines(discover)).toEqual([])
  const matrix = JSON.parse(discover.outputs.matrix) as { include: Array<{ group: string; vaults: string }> }
  const vaultsOf = (g: { vaults: string }) => g.vaults.split('\n').map(url => byName(nameOf(url)))
  // A group where exactly one vault refuses the identity.
  group = matrix.include.find(g => vaultsOf(g).filter(refuses).length === 1)!
  groupVaults = vaultsOf(group)
  denied = groupVaults.find(refuses)!
  expect(groupVaults.length).toBeGreaterThanOrEqual(3)
  for (const vault of groupVaults) {
    testbed.keyvault.vault(vault.name).seedSecret('app-password', 'fleet-canary-value')
    testbed.keyvault.vault(vault.name).seedSecret('api-key', 'fleet-canary-value')
  }

  // One matrix job: its group's vaults, two at a time.
  backup = await runAction({
    env: { ...testbed.env, ...testbed.github.runEnv(RUN_ID) },
    inputs: { vault: group.vaults, 'vault-concurrency': '2' }
  })
}, 120_000)
afterAll(() => testbed?.stop())

describe('a matrix job backs up its group of vaults', () => {
  const ok = () => groupVaults.filter(v => v !== denied)

  it('fails the step with one error naming the vault that refused, the others backed up', () => {
    expect(backup.exitCode).toBe(1)
    const errors = errorLines(backup)
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatch(
      new RegExp(`^::error::1 of ${groupVaults.length} vaults could not be backed up:`)
    )
    expect(errors[0]).toContain(`vault '${denied.name}': Permission denied`)
    expect(errors[0]).toMatch(/access polic/i)
    expect(backup.log).not.toContain('fleet-canary-value')
  })

  it('uploads one artifact per vault backed up, named after the vault', () => {
    const names = testbed.github
      .artifacts()
      .filter(a => a.runId === RUN_ID)
      .map(a => a.name)
    expect(names.sort()).toEqual(
      ok()
        .map(v => `keyvault-backup-${v.name}`)
        .sort()
    )
  })

  it('sums the vaults in the outputs and gives each vault its figures in results', () => {
    const results = JSON.parse(backup.outputs.results) as VaultResult[]
    expect(results.map(r => r.vault)).toEqual(groupVaults.map(v => v.name))
    for (const result of results) {
      if (result.vault === denied.name) {
        expect(result).toMatchObject({ complete: false, backedUp: 0, failed: 1 })
        expect(result.error).toMatch(/access polic/i)
        expect(result.artifactId).toBeUndefined()
      } else {
        expect(result).toMatchObject({ complete: true, backedUp: 2, failed: 0 })
        expect(result.artifactId).toEqual(expect.any(Number))
      }
    }
    expect(backup.outputs['backed-up']).toBe(String(2 * ok().length))
    // The vault that could not be backed up counts once.
    expect(backup.outputs.failed).toBe('1')
    expect(backup.outputs.complete).toBe('false')
    // With several vaults, the one-vault outputs stay empty rather than name one of them.
    expect(backup.outputs['artifact-id']).toBe('')
    expect(backup.outputs['manifest-sha256']).toBe('')
  })

  it('has one summary row per vault', () => {
    const rows = backup.summary
      .split('\n')
      .filter(line => line.startsWith('| ') && !line.startsWith('| Vault'))
    for (const vault of groupVaults)
      expect(rows.filter(r => r.startsWith(`| ${vault.name} |`))).toHaveLength(1)
  })

  it("records in each manifest the vault's subscription, resource group, location and geography", () => {
    const results = JSON.parse(backup.outputs.results) as VaultResult[]
    for (const vault of ok()) {
      const path = results.find(r => r.vault === vault.name)!.backupPath!
      const manifest = JSON.parse(readFileSync(join(path, 'manifest.json'), 'utf8'))
      expect(manifest.source).toEqual({
        vaultUrl: `https://${vault.name}.vault.azure.net`,
        vaultName: vault.name,
        cloud: 'AzureCloud',
        tenantId: testbed.layout.tenants[0].tenantId,
        subscriptionId: home,
        resourceGroup: vault.resourceGroup,
        location: vault.location,
        geography: vault.geography
      })
    }
  })
})

describe("restore checks the target's place before any write", () => {
  let source: VaultConfig
  const restore = async (target: string) => {
    testbed.keyvault.clearLog()
    const result = await runAction({
      env: testbed.env,
      inputs: {
        operation: 'restore',
        vault: target,
        'artifact-name': `keyvault-backup-${source.name}`,
        'run-id': RUN_ID,
        'github-token': testbed.env.GITHUB_TOKEN
      }
    })
    const writes = testbed.keyvault.requestLog.filter(e => e.vault === target && WRITES.has(e.method))
    return { result, writes }
  }
  /** A vault made now, next to the source or elsewhere, where the first app administers the data plane. */
  const target = (name: string, place: Partial<VaultConfig>, armReader: boolean) =>
    testbed.keyvault.addVault({
      name,
      subscriptionId: source.subscriptionId,
      location: source.location,
      geography: source.geography,
      resourceGroup: 'rg-restore-targets',
      softDeleteRetentionDays: 90,
      purgeProtection: false,
      accessModel: 'rbac',
      roleAssignments: [
        { principalId: app.objectId, role: 'Key Vault Administrator' },
        ...(armReader ? [{ principalId: app.objectId, role: 'Reader' }] : [])
      ],
      ...place
    })

  beforeAll(() => {
    source = groupVaults.find(v => v !== denied)!
  })

  it('refuses another subscription (Reader on the target) with both named, and writes nothing', async () => {
    await target('other-sub-target', { subscriptionId: '5f1c0000-0000-4000-8000-00000000e001' }, true)
    const { result, writes } = await restore('other-sub-target')
    expect(result.exitCode).toBe(1)
    expect(errorLines(result)).toEqual([
      expect.stringContaining(
        `The target vault 'other-sub-target' is in subscription 5f1c0000-0000-4000-8000-00000000e001, the backup's vault '${source.name}' in subscription ${home}`
      )
    ])
    expect(errorLines(result)[0]).toContain("use 'operation: copy'")
    expect(writes).toEqual([])
  }, 60_000)

  it('refuses another geography with both named, and writes nothing', async () => {
    const far = source.geography === 'Japan' ? 'westeurope' : 'japaneast'
    await target('far-target', { location: far, geography: far === 'japaneast' ? 'Japan' : 'Europe' }, true)
    const { result, writes } = await restore('far-target')
    expect(result.exitCode).toBe(1)
    expect(errorLines(result)).toEqual([
      expect.stringContaining(`The target vault 'far-target' is in geography`)
    ])
    expect(errorLines(result)[0]).toContain(`the backup's vault '${source.name}' in ${source.geography}`)
    expect(writes).toEqual([])
  }, 60_000)

  it('restores into a vault of the same subscription and geography', async () => {
    await target('same-world-target', {}, true)
    const { result } = await restore('same-world-target')
    expect(errorLines(result)).toEqual([])
    expect(result.outputs.restored).toBe('2')
  }, 60_000)

  it('without Reader on the target, says so once and leaves the subscription to the service', async () => {
    await target('hidden-sub-target', { subscriptionId: '5f1c0000-0000-4000-8000-00000000e002' }, false)
    const { result, writes } = await restore('hidden-sub-target')
    expect(result.exitCode).toBe(1)
    expect(result.log.match(/The target's subscription could not be read/g)).toHaveLength(1)
    expect(errorLines(result)).toEqual([
      expect.stringMatching(/same Azure subscription AND the same Azure geography.*'operation: copy'/)
    ])
    // The service refused the blobs already in flight (two at once); nothing was written.
    expect(writes.length).toBeGreaterThan(0)
    expect(writes.every(w => w.operation === 'RestoreSecret' && w.status === 400)).toBe(true)
    expect(testbed.keyvault.vault('hidden-sub-target').state().secrets.active).toEqual([])
  }, 60_000)
})
