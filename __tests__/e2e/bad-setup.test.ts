/**
 * The first minutes with the action, end to end: each set-up mistake (id-token permission,
 * federated credential, client, tenant, audience, vault name, TLS, proxy, another tenant's vault,
 * a missing role, the vault firewall) ends the step with exactly one error that names the cause and
 * the fix, and no per-item or per-type noise: for backup, restore and each side of a copy.
 */
import { runAction, type RunResult } from '../../testbed/harness.js'
import { startTestbed, type Testbed } from '../../testbed/index.js'

let testbed: Testbed
let backupFolder: string

const TENANT = '72f988bf-0000-4000-8000-00000000a001'
const PARTNER_TENANT = '9b5c0000-0000-4000-8000-00000000a002'
const UNKNOWN = '0b0b0b0b-0000-4000-8000-000000000000'

type Variant = 'backup' | 'restore' | 'copy source' | 'copy target'

interface Row {
  title: string
  /** The vault that is wrong (when the mistake is about a vault). */
  vault?: string
  /** Sign-in inputs, by the source's names (a copy's target side prefixes them with target-). */
  identity?: Record<string, string>
  extraEnv?: Record<string, string | undefined>
  /** Another run's environment (e.g. a branch the federated credential does not trust). */
  runEnv?: () => Record<string, string>
  /** The one error line, for the source side (`names` turns input names into the side's). */
  error: (names: (input: string) => string) => RegExp
  /** Mistakes of the environment fail the source first; they have no target-side row. */
  sourceOnly?: boolean
}

const ROWS: Row[] = [
  {
    title: 'the job may not request an OIDC token',
    extraEnv: { ACTIONS_ID_TOKEN_REQUEST_URL: undefined, ACTIONS_ID_TOKEN_REQUEST_TOKEN: undefined },
    error: () =>
      /^auth 'oidc' needs a GitHub OIDC token, but this job may not request one: add 'permissions: id-token: write'/,
    sourceOnly: true
  },
  {
    title: 'the federated credential does not trust this branch',
    runEnv: () => testbed.github.runEnv('9001', { headBranch: 'feature' }),
    error: () =>
      /^Sign-in failed: Microsoft Entra found no federated credential .*\(AADSTS70021\)\. The GitHub token presented issuer 'https:\/\/token\.actions\.githubusercontent\.com', subject 'repo:octo-org\/octo-repo:ref:refs\/heads\/feature'.*Subject identifier 'repo:octo-org\/octo-repo:ref:refs\/heads\/feature'/,
    sourceOnly: true
  },
  {
    title: 'an unknown client id',
    identity: { 'client-id': UNKNOWN },
    error: n =>
      new RegExp(
        `^Sign-in failed: no application with client id '${UNKNOWN}' exists in tenant '${TENANT}' \\(AADSTS700016\\)\\. Set '${n('client-id')}' to the Application \\(client\\) ID`
      )
  },
  {
    title: 'a tenant id that is not the vault’s',
    identity: { 'tenant-id': UNKNOWN },
    error: n =>
      new RegExp(
        `^vault '[a-z-]+' belongs to tenant '${TENANT}', but this step signs in to tenant '${UNKNOWN}'\\. Set '${n('tenant-id')}' to '${TENANT}' and '${n('client-id')}' to an app registered in that tenant`
      )
  },
  {
    title: 'the wrong audience',
    identity: { audience: 'api://AzureADTokenExchangeUSGov' },
    error: n =>
      new RegExp(
        `\\(AADSTS70021\\).*audience 'api://AzureADTokenExchangeUSGov'.*differs from AzureCloud's default 'api://AzureADTokenExchange': check the '${n('audience')}' input`
      )
  },
  {
    title: 'a vault name that does not resolve',
    vault: 'nosuchvault',
    error: n =>
      new RegExp(
        `^vault 'nosuchvault' not found in AzureCloud \\(nosuchvault\\.vault\\.azure\\.net does not resolve\\): check the name, or '${n('environment')}' for another cloud`
      )
  },
  {
    title: 'a certificate the runner does not trust (TLS)',
    extraEnv: { NODE_EXTRA_CA_CERTS: undefined },
    error: () =>
      /^TLS to [a-z-]+\.vault\.azure\.net failed \(SELF_SIGNED_CERT_IN_CHAIN\): the certificate it presented is not trusted\. .*NODE_EXTRA_CA_CERTS/,
    sourceOnly: true
  },
  {
    title: 'a proxy that does not answer',
    extraEnv: { HTTPS_PROXY: 'http://127.0.0.1:9' },
    error: () => /^Cannot reach the proxy http:\/\/127\.0\.0\.1:9 \(HTTPS_PROXY\): connection refused/,
    sourceOnly: true
  },
  {
    title: "a vault of another tenant (the service's AKV10032)",
    vault: 'partner',
    error: n =>
      new RegExp(
        `^vault 'partner' belongs to tenant '${PARTNER_TENANT}', but this step signs in to tenant '${TENANT}'\\. Set '${n('tenant-id')}' to '${PARTNER_TENANT}'`
      )
  },
  {
    title: 'no role on the vault (403 on the first call)',
    vault: 'noaccess',
    error: () =>
      /^Permission denied: the identity lacks the data action 'Microsoft\.KeyVault\/vaults\/secrets\/readMetadata\/action' on this vault\. Grant the role 'Key Vault Secrets Officer' \(or 'Key Vault Administrator'\).*Service said: Caller is not authorized/
  },
  {
    title: "the vault's firewall (403 ForbiddenByFirewall)",
    vault: 'walled',
    error: () =>
      /^vault 'walled' refused the runner's address 20\.42\.73\.160 \(403 ForbiddenByFirewall\): add it to the vault's firewall \(az keyvault network-rule add --name walled --ip-address 20\.42\.73\.160\/32/
  }
]

function inputsOf(row: Row, variant: Variant): Record<string, string> {
  const vault = row.vault ?? 'prod'
  const prefixed = (inputs: Record<string, string> = {}) =>
    Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`target-${k}`, v]))
  switch (variant) {
    case 'backup':
      return { vault, upload: 'false', ...row.identity }
    case 'restore':
      return { operation: 'restore', vault, path: backupFolder, ...row.identity }
    case 'copy source':
      return { operation: 'copy', vault, 'target-vault': 'staging', ...row.identity }
    case 'copy target':
      return {
        operation: 'copy',
        vault: 'prod',
        'target-vault': row.vault ?? 'staging',
        ...prefixed(row.identity)
      }
  }
}

const cases = ROWS.flatMap(row =>
  (['backup', 'restore', 'copy source', 'copy target'] as const)
    .filter(variant => variant !== 'copy target' || !row.sourceOnly)
    .map(variant => ({ row, variant }))
)
const results = new Map<string, RunResult>()
const key = (row: Row, variant: Variant) => `${variant}: ${row.title}`

/** Runs `work` over `items`, `limit` at a time. */
async function pool<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(
    Array.from({ length: limit }, async () => {
      for (let i = next++; i < items.length; i = next++) await work(items[i])
    })
  )
}

beforeAll(async () => {
  testbed = await startTestbed()
  testbed.keyvault.vault('prod').seedSecret('present', 'value-never-read')
  const prod = testbed.layout.vaults.find(v => v.name === 'prod')!
  await testbed.keyvault.addVault({ ...prod, name: 'noaccess', roleAssignments: [] })
  await testbed.keyvault.addVault({
    ...prod,
    name: 'walled',
    networkAcls: { defaultAction: 'Deny', ipRules: ['10.0.0.0/8'] }
  })
  const backup = await runAction({ env: testbed.env, inputs: { vault: 'prod', upload: 'false' } })
  expect(backup.exitCode).toBe(0)
  backupFolder = backup.outputs['backup-path']
  await pool(cases, 4, async ({ row, variant }) => {
    const env = { ...testbed.env, ...(row.runEnv?.() ?? {}) }
    results.set(
      key(row, variant),
      await runAction({ env, extraEnv: row.extraEnv ?? {}, inputs: inputsOf(row, variant) })
    )
  })
}, 180_000)
afterAll(() => testbed?.stop())

/** The ::error:: lines as the user reads them. */
const errors = (result: RunResult) =>
  result.stdout
    .split('\n')
    .filter(line => line.startsWith('::error::'))
    .map(line => line.slice('::error::'.length).replace(/%0A/g, '\n').replace(/%25/g, '%'))

describe.each(cases.map(c => [key(c.row, c.variant), c] as const))('%s', (_, { row, variant }) => {
  it('ends the step with one error naming the cause and the fix, and nothing else', () => {
    const result = results.get(key(row, variant))!
    const names = (input: string) => (variant === 'copy target' ? `target-${input}` : input)
    expect(result.exitCode).toBe(1)
    expect(errors(result)).toEqual([expect.stringMatching(row.error(names))])
    // No per-type or per-item noise: no warning, no "items failed", no stack.
    expect(result.stdout.split('\n').filter(line => line.startsWith('::warning::'))).toEqual([])
    expect(result.log).not.toMatch(/items failed|listing \w+ failed|\n\s+at /)
    // Nothing was written anywhere.
    expect(
      testbed.keyvault.requestLog.filter(
        e => !['GET'].includes(e.method) && e.status < 400 && e.vault !== 'prod'
      )
    ).toEqual([])
  })
})

describe('a copy whose two sides are both wrong', () => {
  it("reports the source's mistake alone, although both sides connect at once", async () => {
    const result = await runAction({
      env: testbed.env,
      inputs: { operation: 'copy', vault: 'noaccess', 'target-vault': 'walled' }
    })
    expect(result.exitCode).toBe(1)
    expect(errors(result)).toEqual([expect.stringMatching(/^Permission denied: .*Key Vault Secrets Officer/)])
    expect(result.log).not.toContain('ForbiddenByFirewall')
  })
})
