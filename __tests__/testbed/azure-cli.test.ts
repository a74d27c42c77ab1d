/**
 * The Azure CLI (Debian's azure-cli) as a second, independent client of the test bed: it signs in
 * through the proxy with a client secret and with a federated token, then lists and backs up secrets
 * with `az rest` (Debian's `az keyvault secret` commands are broken; see testbed/README.md).
 * Without `az` on the PATH the suite is skipped, saying so and how to install it.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { startTestbed, type Testbed } from '../../testbed/index.js'
import { azEnvironment, azLoginArgs } from '../../testbed/azure-cli.js'
import { AZ_SKIP_REASON, azPath } from './azure-cli-present.js'

const run = promisify(execFile)

if (!azPath) console.warn(`azure-cli.test.ts: skipped: ${AZ_SKIP_REASON}`)
const describeWithAz = azPath ? describe : describe.skip

describeWithAz(`the Azure CLI against the test bed${azPath ? '' : ` (skipped: ${AZ_SKIP_REASON})`}`, () => {
  let testbed: Testbed

  async function az(configDir: string, ...args: string[]) {
    const env = azEnvironment(testbed, configDir)
    const { stdout } = await run('az', args, { env, timeout: 60_000 })
    return stdout
  }

  const login = (dir: string, credential: string[]) =>
    az(dir, ...azLoginArgs(testbed, '--allow-no-subscriptions', ...credential))

  const rest = (dir: string, method: string, url: string) =>
    az(dir, 'rest', '--method', method, '--url', url, '--resource', 'https://vault.azure.net')

  beforeAll(async () => {
    testbed = await startTestbed()
    const prod = testbed.keyvault.vault('prod')
    prod.seedSecret('db-password', 'canary-az-value', { versions: 3, tags: { app: 'billing' } })
    prod.seedSecret('api-key', 'canary-az-value-2')
  })
  afterAll(() => testbed.stop())

  it('signs in with a secret, lists and backs up secrets with az rest', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvb-az-'))
    await login(dir, ['-p', testbed.layout.apps[0].clientSecret!])
    const list = JSON.parse(await rest(dir, 'get', 'https://prod.vault.azure.net/secrets?api-version=7.4'))
    expect(list.value.map((item: { id: string }) => item.id).sort()).toEqual([
      'https://prod.vault.azure.net/secrets/api-key',
      'https://prod.vault.azure.net/secrets/db-password'
    ])
    const backup = JSON.parse(
      await rest(dir, 'post', 'https://prod.vault.azure.net/secrets/db-password/backup?api-version=7.4')
    )
    const blob = Buffer.from(backup.value, 'base64url')
    expect(blob.subarray(1, 1 + blob[0]).toString('ascii')).toBe('AzureKeyVaultSecretBackupV1.microsoft.com')
    expect(blob.toString('latin1')).not.toContain('canary-az-value')
  }, 90_000)

  it('signs in with a GitHub OIDC token (--federated-token)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvb-az-'))
    const response = await fetch(
      `${testbed.env.ACTIONS_ID_TOKEN_REQUEST_URL}&audience=api://AzureADTokenExchange`,
      {
        headers: { authorization: `Bearer ${testbed.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN}` }
      }
    )
    const { value } = (await response.json()) as { value: string }
    await login(dir, ['--federated-token', value])
    const list = JSON.parse(await rest(dir, 'get', 'https://prod.vault.azure.net/secrets?api-version=7.4'))
    expect(list.value).toHaveLength(2)
    const hosts = new Set(testbed.proxy.log.map(entry => entry.host))
    expect(hosts).toContain('login.microsoftonline.com')
    expect(hosts).toContain('prod.vault.azure.net')
  }, 90_000)
})
