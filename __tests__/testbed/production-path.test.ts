/**
 * The production path: official clients with default options (challenge verification and instance
 * discovery on) reach https://prod.vault.azure.net, login.microsoftonline.com and management.azure.com
 * through the test bed's proxy, with only HTTPS_PROXY, NO_PROXY and NODE_EXTRA_CA_CERTS set.
 */
import { execFile } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { startTestbed, type Testbed } from '../../testbed/index.js'

const script = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'sdk-client.mjs')

interface ClientResult {
  ok: boolean
  names?: string[]
  message?: string
  assertions: number
}

describe('production path through the proxy', () => {
  let testbed: Testbed

  async function runClient(scenario: string, vaultUrl: string, extra: Record<string, string> = {}) {
    const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...testbed.env, ...extra }
    delete (env as Record<string, string>).AZURE_AUTHORITY_HOST // no authority override: the default host
    const { stdout } = await promisify(execFile)(process.execPath, [script, scenario, vaultUrl], { env })
    return JSON.parse(stdout.trim().split('\n').pop()!) as ClientResult
  }

  beforeAll(async () => {
    testbed = await startTestbed()
    testbed.keyvault.vault('prod').seedSecret('db-password', 'canary-value-1', { versions: 2 })
  })
  afterAll(() => testbed.stop())

  it('lists secrets at https://prod.vault.azure.net with a client secret', async () => {
    const result = await runClient('secret', 'https://prod.vault.azure.net', {
      TEST_CLIENT_SECRET: testbed.layout.apps[0].clientSecret!
    })
    expect(result).toMatchObject({ ok: true, names: ['db-password'] })
    const hosts = new Set(testbed.proxy.log.map(entry => entry.host))
    expect(hosts).toEqual(new Set(['login.microsoftonline.com', 'prod.vault.azure.net']))
  })

  it('signs in with a GitHub OIDC token through ClientAssertionCredential', async () => {
    const result = await runClient('assertion', 'https://prod.vault.azure.net')
    expect(result).toMatchObject({ ok: true, names: ['db-password'] })
    expect(result.assertions).toBeGreaterThanOrEqual(1)
  })

  it('gives the AADSTS70021 text when the subject does not match', async () => {
    const subject = testbed.github.subject
    testbed.github.subject = 'repo:octo-org/octo-repo:pull_request'
    try {
      const result = await runClient('assertion', 'https://prod.vault.azure.net')
      expect(result.ok).toBe(false)
      expect(result.message).toContain('AADSTS70021')
      expect(result.message).toContain("Assertion Subject: 'repo:octo-org/octo-repo:pull_request'")
    } finally {
      testbed.github.subject = subject
    }
  })

  it('refreshes an expired access token', async () => {
    testbed.entra.accessTokenLifetimeSeconds = 1
    try {
      const before = testbed.entra.tokenLog.length
      const result = await runClient('refresh', 'https://prod.vault.azure.net', { TEST_WAIT_MS: '2500' })
      expect(result.ok).toBe(true)
      expect(testbed.entra.tokenLog.length - before).toBeGreaterThanOrEqual(2)
      expect(result.assertions).toBeGreaterThanOrEqual(2)
    } finally {
      testbed.entra.accessTokenLifetimeSeconds = 3599
    }
  })

  it('discovers the vaults through management.azure.com with the official management clients', async () => {
    const arm = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'arm-client.mjs')
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      HTTPS_PROXY: testbed.env.HTTPS_PROXY,
      NO_PROXY: testbed.env.NO_PROXY,
      NODE_EXTRA_CA_CERTS: testbed.env.NODE_EXTRA_CA_CERTS,
      ACTIONS_ID_TOKEN_REQUEST_URL: testbed.env.ACTIONS_ID_TOKEN_REQUEST_URL,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: testbed.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN
    }
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [arm, testbed.env.AZURE_TENANT_ID, testbed.env.AZURE_CLIENT_ID],
      { env }
    )
    const result = JSON.parse(stdout.trim().split('\n').pop()!)
    const subscription = testbed.layout.vaults.find(v => v.name === 'prod')!.subscriptionId
    expect(result).toEqual({
      ok: true,
      errors: {},
      vaults: {
        [subscription]: ['elsewhere', 'prod', 'protected', 'staging'].map(name => [
          name,
          `https://${name}.vault.azure.net/`
        ])
      }
    })
    expect(testbed.arm.requestLog.map(e => e.host)).toContain('management.azure.com')
  })

  it('refuses a host that is not in the map', async () => {
    const result = await runClient('secret', 'https://example.com', {
      TEST_CLIENT_SECRET: testbed.layout.apps[0].clientSecret!
    })
    expect(result.ok).toBe(false)
    expect(testbed.proxy.log).toContainEqual(
      expect.objectContaining({ host: 'example.com', target: 'refused' })
    )
  })
})
