/**
 * Sovereign clouds end to end: backup and restore with `environment: AzureUSGovernment` (and
 * `AzureChinaCloud`) and `vault: <name>`, defaults otherwise. The built action signs in at the
 * cloud's own authority with the cloud's GitHub audience, reaches `<name>.vault.usgovcloudapi.net`
 * (`.vault.azure.cn`) through the proxy under their real host names, and a token of the public
 * cloud is refused there as the service does.
 */
import { runAction, type RunResult } from '../../testbed/harness.js'
import { startTestbed, type Testbed } from '../../testbed/index.js'

let testbed: Testbed

beforeAll(async () => {
  testbed = await startTestbed({ behaviour: { deleteWindowMs: [20, 40], purgeWindowMs: [20, 40] } })
}, 60_000)
afterAll(() => testbed?.stop())

const errorLines = (r: RunResult) => r.stdout.split('\n').filter(l => l.startsWith('::error::'))

describe.each([
  ['AzureUSGovernment', 'usgov', 'USGOV', 'login.microsoftonline.us', 'vault.usgovcloudapi.net'],
  ['AzureChinaCloud', 'china', 'CHINA', 'login.partner.microsoftonline.cn', 'vault.azure.cn']
])('%s', (environment, vault, key, authority, suffix) => {
  let backup: RunResult
  let restore: RunResult
  // The step's defaults come from the runner's AZURE_CLIENT_ID / AZURE_TENANT_ID, set to the cloud's app.
  const env = () => ({
    ...testbed.env,
    AZURE_CLIENT_ID: testbed.env[`AZURE_CLIENT_ID_${key}`],
    AZURE_TENANT_ID: testbed.env[`AZURE_TENANT_ID_${key}`]
  })

  beforeAll(async () => {
    const home = testbed.keyvault.vault(vault)
    home.seedSecret('cloud-secret', 'sovereign-canary', { versions: 2 })
    home.seedKey('cloud-key', { kty: 'EC' })
    home.seedCertificate('cloud-tls')
    await testbed.keyvault.addVault({ ...home.config, name: `${vault}-copy` })
    const proxied = testbed.proxy.log.length
    backup = await runAction({ env: env(), inputs: { vault, environment, upload: 'false' } })
    restore = await runAction({
      env: env(),
      inputs: {
        operation: 'restore',
        vault: `${vault}-copy`,
        environment,
        path: backup.outputs['backup-path']
      }
    })
    hosts = [...new Set(testbed.proxy.log.slice(proxied).map(e => e.host))]
  }, 60_000)
  let hosts: string[]

  it('backs up the vault, signing in at the cloud authority with its audience', () => {
    expect(errorLines(backup)).toEqual([])
    expect(backup.outputs).toMatchObject({ complete: 'true', 'backed-up': '3', failed: '0' })
    expect(hosts).toEqual(expect.arrayContaining([authority, `${vault}.${suffix}`]))
    expect(hosts.some(h => h.endsWith('.vault.azure.net') || h === 'login.microsoftonline.com')).toBe(false)
  })

  it('restores the backup into another vault of the cloud', () => {
    expect(errorLines(restore)).toEqual([])
    expect(restore.outputs).toMatchObject({ restored: '3', failed: '0' })
    const state = testbed.keyvault.vault(`${vault}-copy`).state()
    expect(state.secrets.active.filter(s => !s.managed).map(s => [s.name, s.versions.length])).toEqual([
      ['cloud-secret', 2]
    ])
  })

  it("refuses the public cloud's sign-in there, with one error that names the cloud", async () => {
    const result = await runAction({
      env: testbed.env,
      inputs: { vault: `https://${vault}.${suffix}`, upload: 'false' }
    })
    expect(result.exitCode).toBe(1)
    expect(errorLines(result)).toHaveLength(1)
    expect(errorLines(result)[0]).toMatch(/tenant|AKV10022|environment/)
  }, 60_000)
})
