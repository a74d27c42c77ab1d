/**
 * Sovereign clouds end to end: vaults in AzureUSGovernment and AzureChinaCloud under their real host
 * names, authorities, GitHub audiences and Key Vault resources, judged by the official clients on the
 * production path (only HTTPS_PROXY, NO_PROXY and NODE_EXTRA_CA_CERTS set), and the service's refusals of
 * tokens for the wrong cloud, resource or tenant.
 */
import { ClientAssertionCredential } from '@azure/identity'
import { startTestbed, type Testbed } from '../../testbed/index.js'
import { httpsJson, runFixture, tokenFor } from './support.js'

describe('sovereign clouds', () => {
  let testbed: Testbed
  const tenant = (name: string) => testbed.directory.tenant(name)!

  beforeAll(async () => {
    testbed = await startTestbed()
    testbed.keyvault.vault('usgov').seedSecret('gov-db-password', 'canary-gov', { versions: 2 })
    testbed.keyvault.vault('china').seedSecret('cn-db-password', 'canary-cn')
  })
  afterAll(() => testbed.stop())

  // MSAL swaps login.chinacloudapi.cn for its preferred network login.partner.microsoftonline.cn.
  it.each([
    [
      'usgov',
      'https://login.microsoftonline.us',
      'https://usgov.vault.usgovcloudapi.net',
      'gov-db-password',
      ['login.microsoftonline.us', 'usgov.vault.usgovcloudapi.net']
    ],
    [
      'china',
      'https://login.chinacloudapi.cn',
      'https://china.vault.azure.cn',
      'cn-db-password',
      ['login.partner.microsoftonline.cn', 'china.vault.azure.cn']
    ]
  ])(
    'signs in to %s with ClientAssertionCredential (authorityHost %s) and backs up a secret at %s',
    async (name, authorityHost, vaultUrl, secret, expectedHosts) => {
      const t = tenant(name)
      const audience = t.apps[0].federatedCredentials![0].audiences[0]
      testbed.proxy.log.length = 0
      const result = await runFixture(testbed, 'cloud-client.mjs', [
        authorityHost,
        t.tenantId,
        t.apps[0].clientId,
        audience,
        vaultUrl,
        secret
      ])
      expect(result).toMatchObject({
        ok: true,
        names: [secret],
        tag: 'AzureKeyVaultSecretBackupV1.microsoft.com'
      })
      // Nothing went to a public-cloud host (no instance discovery at login.microsoftonline.com).
      expect(new Set(testbed.proxy.log.map(entry => entry.host))).toEqual(new Set(expectedHosts))
      expect(testbed.proxy.log.every(entry => entry.target !== 'refused')).toBe(true)
    }
  )

  it('env names the sovereign tenants, apps, authorities and vaults', () => {
    expect(testbed.env).toMatchObject({
      AZURE_TENANT_ID_USGOV: tenant('usgov').tenantId,
      AZURE_CLIENT_ID_USGOV: tenant('usgov').apps[0].clientId,
      AZURE_AUTHORITY_HOST_USGOV: 'https://login.microsoftonline.us',
      AZURE_ENVIRONMENT_USGOV: 'AzureUSGovernment',
      KEYVAULT_USGOV_URL: 'https://usgov.vault.usgovcloudapi.net',
      AZURE_TENANT_ID_CHINA: tenant('china').tenantId,
      AZURE_AUTHORITY_HOST_CHINA: 'https://login.chinacloudapi.cn',
      AZURE_ENVIRONMENT_CHINA: 'AzureChinaCloud',
      KEYVAULT_CHINA_URL: 'https://china.vault.azure.cn'
    })
    expect(testbed.env.KEYVAULT_USGOV_LOCAL_URL).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
  })

  it.each([
    ['usgov', 'https://login.microsoftonline.us', 'https://vault.usgovcloudapi.net'],
    ['china', 'https://login.chinacloudapi.cn', 'https://vault.azure.cn']
  ])("challenges for %s's authority and Key Vault resource", async (name, authority, resource) => {
    const res = await httpsJson(
      `${testbed.keyvault.vault(name).localUrl}/secrets?api-version=7.4`,
      testbed.tls.caPem
    )
    expect(res.status).toBe(401)
    expect(res.headers['www-authenticate']).toBe(
      `Bearer authorization="${authority}/${tenant(name).tenantId}", resource="${resource}"`
    )
  })

  it('serves a vault only under its own cloud suffix', async () => {
    expect(await testbed.keyvault.portForHost('usgov.vault.usgovcloudapi.net')).toBe(
      testbed.keyvault.vault('usgov').port
    )
    expect(await testbed.keyvault.portForHost('usgov.vault.azure.net')).toBeUndefined()
    expect(await testbed.keyvault.portForHost('prod.vault.azure.cn')).toBeUndefined()
    expect(await testbed.keyvault.portForHost('china.vault.azure.cn')).toBe(
      testbed.keyvault.vault('china').port
    )
  })

  describe('refuses tokens as the service does', () => {
    const list = async (vault: string, token: string) =>
      httpsJson(`${testbed.keyvault.vault(vault).localUrl}/secrets?api-version=7.4`, testbed.tls.caPem, {
        headers: { authorization: `Bearer ${token}` }
      })

    it('a public-cloud token at a US Gov vault: AKV10022 (wrong audience)', async () => {
      const res = await list('usgov', await tokenFor(testbed, undefined, 'https://vault.azure.net/.default'))
      expect(res.status).toBe(401)
      expect(res.body.error).toEqual({
        code: 'Unauthorized',
        message:
          'AKV10022: Invalid audience. Expected https://vault.usgovcloudapi.net, found: https://vault.azure.net.'
      })
    })

    it('a US Gov token for the management resource, or for the China vault resource: AKV10022', async () => {
      const management = await list(
        'usgov',
        await tokenFor(testbed, 'usgov', 'https://management.usgovcloudapi.net//.default')
      )
      expect(management.body.error.message).toBe(
        'AKV10022: Invalid audience. Expected https://vault.usgovcloudapi.net, found: https://management.usgovcloudapi.net/.'
      )
      const china = await list(
        'china',
        await tokenFor(testbed, 'usgov', 'https://vault.usgovcloudapi.net/.default')
      )
      expect(china.body.error.message).toBe(
        'AKV10022: Invalid audience. Expected https://vault.azure.cn, found: https://vault.usgovcloudapi.net.'
      )
    })

    it('a China token of another tenant: AKV10032 with the China issuer', async () => {
      // The default tenant lives in the public cloud; the loopback Entra still issues it a token for the
      // China vault resource, which carries the public issuer and the default tenant.
      const token = await tokenFor(testbed, undefined, 'https://vault.azure.cn/.default')
      const res = await list('china', token)
      const china = tenant('china').tenantId
      expect(res.body.error.message).toBe(
        `AKV10032: Invalid issuer. Expected one of https://sts.chinacloudapi.cn/${china}/, found https://sts.windows.net/${testbed.layout.tenantId}/.`
      )
      const own = await list('china', await tokenFor(testbed, 'china', 'https://vault.azure.cn/.default'))
      expect(own.status).toBe(200)
    })
  })

  it('refuses a GitHub token with the public audience for the US Gov app (AADSTS70021)', async () => {
    const t = tenant('usgov')
    const e = testbed.env
    const getToken = async (audience: string): Promise<string> => {
      const res = await fetch(`${e.ACTIONS_ID_TOKEN_REQUEST_URL}&audience=${encodeURIComponent(audience)}`, {
        headers: { authorization: `Bearer ${e.ACTIONS_ID_TOKEN_REQUEST_TOKEN}` }
      })
      return ((await res.json()) as { value: string }).value
    }
    const options = {
      authorityHost: testbed.entra.url,
      disableInstanceDiscovery: true,
      tlsOptions: { ca: testbed.tls.caPem }
    }
    const wrong = new ClientAssertionCredential(
      t.tenantId,
      t.apps[0].clientId,
      () => getToken('api://AzureADTokenExchange'),
      options
    )
    await expect(wrong.getToken('https://vault.usgovcloudapi.net/.default')).rejects.toThrow(
      /AADSTS70021: .*Assertion Audience: 'api:\/\/AzureADTokenExchange'/
    )
    const right = new ClientAssertionCredential(
      t.tenantId,
      t.apps[0].clientId,
      () => getToken('api://AzureADTokenExchangeUSGov'),
      options
    )
    await expect(right.getToken('https://vault.usgovcloudapi.net/.default')).resolves.toHaveProperty('token')
  })

  it("refuses a US Gov tenant's token request on the public login host (AADSTS900439)", async () => {
    const t = tenant('usgov')
    const res = await httpsJson(`${testbed.entra.url}/${t.tenantId}/oauth2/v2.0/token`, testbed.tls.caPem, {
      method: 'POST',
      headers: { host: 'login.microsoftonline.com', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: t.apps[0].clientId,
        client_secret: t.apps[0].clientSecret!,
        scope: 'https://vault.usgovcloudapi.net/.default'
      }).toString()
    })
    expect(res.status).toBe(400)
    expect(res.body.error_codes).toEqual([900439])
  })
})
