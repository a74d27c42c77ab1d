/**
 * Least privilege as the service judges it: the built action backs up and restores with exactly
 * the permissions the README documents (its role JSON and its per-policy table), on both
 * permission models, and the emulator asks for what the real service asks for (the deleted view's
 * single items need `get`, which no documented role grants). Where a documented role is too
 * small, the code or the README is wrong, never this test.
 */
import { CertificateClient } from '@azure/keyvault-certificates'
import { KeyClient } from '@azure/keyvault-keys'
import { SecretClient } from '@azure/keyvault-secrets'
import { readFileSync } from 'node:fs'
import type { AccessPolicy, RoleAssignment, VaultConfig } from '../../testbed/config.js'
import { runAction, type RunResult } from '../../testbed/harness.js'
import { startTestbed, type Testbed } from '../../testbed/index.js'
import type { EmulatedVault } from '../../testbed/keyvault/emulator.js'

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
const TYPES = ['secrets', 'keys', 'certificates'] as const

/** The DataActions of the README's role JSON named `name`. */
function documentedRole(name: string): string[] {
  const block = [...README.matchAll(/```json\n([\s\S]*?)```/g)]
    .map(m => JSON.parse(m[1]) as { Name?: string; DataActions?: string[] })
    .find(role => role.Name === name)
  if (!block?.DataActions) throw new Error(`README has no role JSON named '${name}'`)
  return block.DataActions
}

type Policy = 'skip' | 'recover' | 'replace' | 'purge'

/** What the README's table adds to the restore role for each policy, per object type. */
const ADDED: Record<Policy, { rbac: string[]; accessPolicy: string[] }> = {
  skip: { rbac: [], accessPolicy: [] },
  recover: { rbac: ['recover/action'], accessPolicy: ['recover'] },
  replace: { rbac: ['delete', 'purge/action'], accessPolicy: ['delete', 'purge'] },
  purge: { rbac: ['purge/action'], accessPolicy: ['purge'] }
}
const INPUTS: Record<Policy, Record<string, string>> = {
  skip: {},
  recover: { 'if-deleted': 'recover' },
  replace: { 'if-exists': 'replace' },
  purge: { 'if-deleted': 'purge' }
}

let testbed: Testbed
let oid: string

beforeAll(async () => {
  testbed = await startTestbed({ behaviour: { deleteWindowMs: [20, 40], purgeWindowMs: [20, 40] } })
  oid = testbed.layout.apps[0].objectId
}, 60_000)
afterAll(() => testbed?.stop())

function roleOf(dataActions: string[]): RoleAssignment[] {
  return [{ principalId: oid, dataActions }]
}

function policiesOf(permissions: string[] | AccessPolicy['permissions']): AccessPolicy[] {
  const byType = Array.isArray(permissions)
    ? Object.fromEntries(TYPES.map(t => [t, permissions]))
    : permissions
  return [{ objectId: oid, permissions: byType }]
}

/** A vault of one model, first with full rights (to prepare it), then with `grant` only. */
async function vaultWith(
  name: string,
  model: 'rbac' | 'accessPolicy'
): Promise<{
  vault: EmulatedVault
  grant(rbac: string[], accessPolicy: string[] | AccessPolicy['permissions']): void
}> {
  const prod = testbed.layout.vaults.find(v => v.name === 'prod')!
  const config: VaultConfig = {
    ...prod,
    name,
    accessModel: model,
    roleAssignments: [{ principalId: oid, role: 'Key Vault Administrator' }],
    accessPolicies: policiesOf(['all'])
  }
  const vault = await testbed.keyvault.addVault(config)
  return {
    vault,
    grant: (rbac: string[], accessPolicy: string[] | AccessPolicy['permissions']) => {
      vault.config.roleAssignments = roleOf(rbac)
      vault.config.accessPolicies = policiesOf(accessPolicy)
    }
  }
}

function clients(vault: EmulatedVault) {
  const args = [vault.localUrl, testbed.credential(), testbed.sdkOptions()] as const
  return {
    secrets: new SecretClient(...args),
    keys: new KeyClient(...args),
    certificates: new CertificateClient(...args)
  }
}

/** Soft-deletes the three items and waits until the deleted listing shows them. */
async function softDeleteAll(vault: EmulatedVault): Promise<void> {
  const sdk = clients(vault)
  await sdk.secrets.beginDeleteSecret('lp-secret')
  await sdk.keys.beginDeleteKey('lp-key')
  await sdk.certificates.beginDeleteCertificate('lp-cert')
  for (let i = 0; i < 200; i++) {
    const state = vault.state()
    if (TYPES.every(t => state[t].deleted.length === 1)) return
    await new Promise(r => setTimeout(r, 10))
  }
  throw new Error('the deletes never showed in the deleted listing')
}

function seedItems(vault: EmulatedVault): void {
  vault.seedSecret('lp-secret', 'least-privilege-canary', { versions: 2 })
  vault.seedKey('lp-key', { kty: 'EC' })
  vault.seedCertificate('lp-cert')
}

const errorLines = (r: RunResult) => r.stdout.split('\n').filter(l => l.startsWith('::error::'))

describe.each(['rbac', 'accessPolicy'] as const)('the documented permissions on a %s vault', model => {
  let backup: RunResult

  beforeAll(async () => {
    const { vault, grant } = await vaultWith(`lp-src-${model === 'rbac' ? 'r' : 'a'}`, model)
    seedItems(vault)
    grant(documentedRole('Key Vault Backup Operator'), ['list', 'backup'])
    backup = await runAction({ env: testbed.env, inputs: { vault: vault.name, upload: 'false' } })
  }, 60_000)

  it('back up the whole vault with the backup role, reading no value', () => {
    expect(errorLines(backup)).toEqual([])
    expect(backup.outputs).toMatchObject({ complete: 'true', 'backed-up': '3', failed: '0' })
  })

  it.each(['skip', 'recover', 'replace', 'purge'] as const)(
    "restore with if-exists/if-deleted '%s' with the restore role and the table's additions",
    async policy => {
      const { vault, grant } = await vaultWith(`lp-${policy}-${model === 'rbac' ? 'r' : 'a'}`, model)
      if (policy === 'replace') seedItems(vault)
      if (policy === 'recover' || policy === 'purge') {
        seedItems(vault)
        await softDeleteAll(vault)
      }
      const restoreRole = documentedRole('Key Vault Restore Operator')
      grant(
        [
          ...restoreRole,
          ...TYPES.flatMap(t => ADDED[policy].rbac.map(a => `Microsoft.KeyVault/vaults/${t}/${a}`))
        ],
        ['list', 'restore', ...ADDED[policy].accessPolicy]
      )
      const result = await runAction({
        env: testbed.env,
        inputs: {
          operation: 'restore',
          vault: vault.name,
          path: backup.outputs['backup-path'],
          ...INPUTS[policy]
        }
      })
      expect(errorLines(result)).toEqual([])
      const done = policy === 'recover' ? { recovered: '3' } : { restored: '3' }
      expect(result.outputs).toMatchObject({ ...done, failed: '0' })
      const state = vault.state()
      expect(TYPES.map(t => state[t].active.filter(i => !i.managed).map(i => i.name))).toEqual([
        ['lp-secret'],
        ['lp-key'],
        ['lp-cert']
      ])
    },
    60_000
  )
})

describe.each(['rbac', 'accessPolicy'] as const)('copy with the documented roles on %s vaults', model => {
  it('copies secrets and certificates, every version, and finds them equal the second time', async () => {
    const suffix = model === 'rbac' ? 'r' : 'a'
    const from = await vaultWith(`lp-copy-src-${suffix}`, model)
    from.vault.seedSecret('lp-secret', 'copy-least-privilege', { versions: 2 })
    from.vault.seedCertificate('lp-cert')
    from.grant(documentedRole('Key Vault Copy Source'), {
      secrets: ['get', 'list'],
      certificates: ['get', 'list']
    })
    const to = await vaultWith(`lp-copy-dst-${suffix}`, model)
    to.grant(documentedRole('Key Vault Copy Target'), {
      secrets: ['get', 'list', 'set'],
      certificates: ['get', 'list', 'import']
    })
    const inputs = {
      operation: 'copy',
      vault: from.vault.name,
      'target-vault': to.vault.name,
      versions: 'all'
    }
    const first = await runAction({ env: testbed.env, inputs })
    expect(errorLines(first)).toEqual([])
    expect(first.outputs).toMatchObject({ copied: '2', failed: '0' })
    const second = await runAction({ env: testbed.env, inputs })
    expect(errorLines(second)).toEqual([])
    expect(second.outputs).toMatchObject({ copied: '0', unchanged: '2', failed: '0' })
  }, 60_000)
})

test("the README's policy table lists exactly these additions", () => {
  const row = (policy: string) => README.split('\n').find(l => l.startsWith(`| \`${policy}`)) ?? ''
  expect(row('if-deleted: recover')).toMatch(/`\*\/recover\/action`.*`recover`/)
  expect(row('if-exists: replace')).toMatch(/`\*\/delete`, `\*\/purge\/action`.*`delete`, `purge`/)
  expect(row('if-deleted: purge')).toMatch(/`\*\/purge\/action`.*`purge`/)
})
