/**
 * The fake Azure Resource Manager, judged by the official management clients
 * (@azure/arm-resources-subscriptions SubscriptionClient, @azure/arm-keyvault KeyVaultManagementClient)
 * through the proxy at the real management hosts, signed in as production does (public authority,
 * instance discovery on). Also: paging, the vault shape, RBAC, throttling, token checks, the request log.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { KeyVaultManagementClient, type Vault } from '@azure/arm-keyvault'
import { SubscriptionClient } from '@azure/arm-resources-subscriptions'
import { ClientSecretCredential } from '@azure/identity'
import { startTestbed, type Testbed } from '../../testbed/index.js'
import { azEnvironment, azLoginArgs } from '../../testbed/azure-cli.js'
import { azPath, withAz } from './azure-cli-present.js'
import { httpsJson, tokenFor, viaProxy } from './support.js'

const collect = async <T>(items: AsyncIterable<T>): Promise<T[]> => {
  const all: T[] = []
  for await (const item of items) all.push(item)
  return all
}

const failure = async (
  promise: Promise<unknown>
): Promise<{ statusCode?: number; code?: string; message: string }> =>
  promise.then(
    () => {
      throw new Error('expected a failure')
    },
    (error: { statusCode?: number; code?: string; message: string }) => error
  )

describe('Resource Manager', () => {
  let testbed: Testbed
  const SUB = '5f1c0000-0000-4000-8000-00000000b001'

  /** A credential of a tenant's first app, signing in at the cloud's real authority through the proxy. */
  const credential = (tenant?: string) => {
    const t = tenant ? testbed.directory.tenant(tenant)! : testbed.directory.defaultTenant
    const authorityHost = testbed.directory.cloudOf(t).authorityHost
    return new ClientSecretCredential(t.tenantId, t.apps[0].clientId, t.apps[0].clientSecret!, {
      authorityHost,
      ...viaProxy(testbed)
    })
  }
  const vaultsClient = (subscriptionId = SUB, tenant?: string) =>
    new KeyVaultManagementClient(credential(tenant), subscriptionId, viaProxy(testbed))
  const raw = async (path: string, token: string, host = 'management.azure.com') =>
    httpsJson(`${testbed.arm.url}${path}`, testbed.tls.caPem, {
      headers: { host, authorization: `Bearer ${token}` }
    })
  const managementToken = (tenant?: string) =>
    tokenFor(testbed, tenant, 'https://management.azure.com/.default')

  beforeAll(async () => {
    testbed = await startTestbed()
  })
  afterAll(() => testbed.stop())
  beforeEach(() => {
    testbed.arm.behaviour = { throttle: { reads: 250, refillPerSecond: 25 }, pageSize: 25 }
    testbed.arm.refillThrottle()
    testbed.arm.clearLog()
  })

  it('lists only the subscriptions the caller has a role in, in its own tenant', async () => {
    const subs = await collect(new SubscriptionClient(credential(), viaProxy(testbed)).subscriptions.list())
    expect(subs).toEqual([
      expect.objectContaining({
        id: `/subscriptions/${SUB}`,
        subscriptionId: SUB,
        tenantId: testbed.layout.tenantId,
        displayName: 'Test Bed',
        state: 'Enabled'
      })
    ])
    const partner = await collect(
      new SubscriptionClient(credential('partner'), viaProxy(testbed)).subscriptions.list()
    )
    expect(partner.map(s => s.subscriptionId)).toEqual(['5f1c0000-0000-4000-8000-00000000b002'])
    const hosts = new Set(testbed.proxy.log.map(e => e.host))
    expect(hosts).toContain('management.azure.com')
    expect(hosts).toContain('login.microsoftonline.com')
  })

  it('lists the vaults of a subscription with the real shape', async () => {
    const vaults = await collect(vaultsClient().vaults.listBySubscription())
    expect(vaults.map(v => v.name).sort()).toEqual(['elsewhere', 'prod', 'protected', 'staging'])
    const byName = (name: string) => vaults.find(v => v.name === name)!
    expect(byName('prod')).toMatchObject({
      id: `/subscriptions/${SUB}/resourceGroups/testbed/providers/Microsoft.KeyVault/vaults/prod`,
      type: 'Microsoft.KeyVault/vaults',
      location: 'westeurope',
      tags: { env: 'prod' },
      properties: {
        tenantId: testbed.layout.tenantId,
        vaultUri: 'https://prod.vault.azure.net/',
        enableSoftDelete: true,
        softDeleteRetentionInDays: 90,
        enableRbacAuthorization: true,
        sku: { family: 'A', name: 'standard' }
      }
    })
    expect(byName('prod').properties.enablePurgeProtection).toBeUndefined()
    expect(byName('protected').properties).toMatchObject({
      enablePurgeProtection: true,
      sku: { name: 'Standard' }
    })
    expect(byName('elsewhere').location).toBe('eastus')

    // The wire: optional booleans omitted rather than false, and a nextLink even on a short page.
    const page = await raw(
      `/subscriptions/${SUB}/providers/Microsoft.KeyVault/vaults?api-version=2023-07-01`,
      await managementToken()
    )
    expect(page.status).toBe(200)
    const prod = page.body.value.find((v: Vault) => v.name === 'prod')
    expect('enablePurgeProtection' in prod.properties).toBe(false)
    expect(page.body.nextLink).toMatch(
      new RegExp(
        `^https://management\\.azure\\.com/subscriptions/${SUB}/providers/Microsoft\\.KeyVault/vaults\\?api-version=2023-07-01&\\$skiptoken=`
      )
    )
    expect(page.headers['x-ms-ratelimit-remaining-subscription-reads']).toMatch(/^\d+$/)
  })

  it('pages with $skiptoken and follows nextLink to an empty last page', async () => {
    testbed.arm.behaviour.pageSize = 3
    const vaults = await collect(vaultsClient().vaults.listBySubscription())
    expect(vaults).toHaveLength(4)
    const calls = testbed.arm.requestLog.filter(e => e.operation === 'Vaults_ListBySubscription')
    expect(calls.map(e => e.status)).toEqual([200, 200, 200])
    const token = await managementToken()
    const first = await raw(
      `/subscriptions/${SUB}/providers/Microsoft.KeyVault/vaults?api-version=2023-07-01`,
      token
    )
    const second = await raw(
      new URL(first.body.nextLink).pathname + new URL(first.body.nextLink).search,
      token
    )
    expect(second.body.value).toHaveLength(1)
    expect(second.body.nextLink).toContain('$skiptoken=')
    const third = await raw(
      new URL(second.body.nextLink).pathname + new URL(second.body.nextLink).search,
      token
    )
    expect(third.body).toEqual({ value: [] })
    const top = await raw(
      `/subscriptions/${SUB}/providers/Microsoft.KeyVault/vaults?api-version=2023-07-01&$top=2`,
      token
    )
    expect(top.body.value).toHaveLength(2)
  })

  it('gets a vault, lists the generic resources, and answers 404 as ARM does', async () => {
    const client = vaultsClient()
    const vault = await client.vaults.get('testbed', 'staging')
    expect(vault.properties.vaultUri).toBe('https://staging.vault.azure.net/')
    const resources = await collect(client.vaults.list())
    expect(resources.map(r => r.name).sort()).toEqual(['elsewhere', 'prod', 'protected', 'staging'])
    expect(resources[0]).toEqual({
      id: expect.stringMatching(/^\/subscriptions\/.+\/providers\/Microsoft\.KeyVault\/vaults\//),
      name: expect.any(String),
      type: 'Microsoft.KeyVault/vaults',
      location: expect.any(String),
      tags: expect.any(Object)
    })
    const missing = await failure(client.vaults.get('testbed', 'nope'))
    expect(missing).toMatchObject({ statusCode: 404, code: 'ResourceNotFound' })
    expect(missing.message).toBe(
      "The Resource 'Microsoft.KeyVault/vaults/nope' under resource group 'testbed' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix"
    )
    const group = await failure(client.vaults.get('no-such-rg', 'prod'))
    expect(group).toMatchObject({ statusCode: 404, code: 'ResourceGroupNotFound' })
  })

  it('answers a caller without vaults/read with 403 AuthorizationFailed', async () => {
    // Take the first app's Reader away: it keeps Key Vault Administrator on each vault, a data role only.
    const oid = testbed.layout.apps[0].objectId
    const sub = testbed.directory.subscription(SUB)!.config
    const saved = sub.roleAssignments
    sub.roleAssignments = []
    try {
      const error = await failure(collect(vaultsClient().vaults.listBySubscription()))
      expect(error).toMatchObject({ statusCode: 403, code: 'AuthorizationFailed' })
      const res = await raw(
        `/subscriptions/${SUB}/providers/Microsoft.KeyVault/vaults?api-version=2023-07-01`,
        await managementToken()
      )
      expect(res.body.error.message).toBe(
        `The client '${oid}' with object id '${oid}' does not have authorization to perform action ` +
          `'Microsoft.KeyVault/vaults/read' over scope '/subscriptions/${SUB}' or the scope is invalid. ` +
          'If access was recently granted, please refresh your credentials.'
      )
      // Key Vault Administrator on the vaults (their data role) still lists the subscription.
      const subs = await raw('/subscriptions?api-version=2022-12-01', await managementToken())
      expect(subs.body.value.map((s: { subscriptionId: string }) => s.subscriptionId)).toEqual([SUB])
      const get = await raw(
        `/subscriptions/${SUB}/resourceGroups/testbed/providers/Microsoft.KeyVault/vaults/prod?api-version=2023-07-01`,
        await managementToken()
      )
      expect(get.body.error.message).toContain(
        `over scope '/subscriptions/${SUB}/resourceGroups/testbed/providers/Microsoft.KeyVault/vaults/prod'`
      )
    } finally {
      sub.roleAssignments = saved
    }
  })

  it('throttles reads with a token bucket: the remaining reads header, then 429 with Retry-After', async () => {
    testbed.arm.behaviour.throttle = { reads: 2, refillPerSecond: 0 }
    const token = await managementToken()
    const path = `/subscriptions/${SUB}/providers/Microsoft.KeyVault/vaults?api-version=2023-07-01`
    const a = await raw(path, token)
    const b = await raw(path, token)
    const c = await raw(path, token)
    expect([a.status, b.status, c.status]).toEqual([200, 200, 429])
    expect([a, b].map(r => r.headers['x-ms-ratelimit-remaining-subscription-reads'])).toEqual(['1', '0'])
    expect(c.headers['retry-after']).toBe('1')
    expect(c.body.error).toEqual({
      code: 'SubscriptionRequestsThrottled',
      message:
        `Number of 'read' requests for subscription '${SUB}' actor '${testbed.layout.apps[0].objectId}' exceeded. ` +
        "Please try again after '1' seconds after additional tokens are available. Refer to " +
        'https://aka.ms/arm-throttling for additional information.'
    })
    // Tenant-level reads have their own bucket.
    expect(
      (await raw('/subscriptions?api-version=2022-12-01', token)).headers[
        'x-ms-ratelimit-remaining-tenant-reads'
      ]
    ).toBe('1')
    // The clock refills the bucket.
    testbed.arm.behaviour.throttle.refillPerSecond = 1
    testbed.clock.advance(5_000)
    expect((await raw(path, token)).status).toBe(200)
  })

  it('checks the token: missing, for another resource, of another tenant', async () => {
    const path = `/subscriptions/${SUB}/providers/Microsoft.KeyVault/vaults?api-version=2023-07-01`
    const none = await httpsJson(`${testbed.arm.url}${path}`, testbed.tls.caPem, {
      headers: { host: 'management.azure.com' }
    })
    expect(none.status).toBe(401)
    expect(none.body.error.code).toBe('AuthenticationFailed')
    const vaultToken = await raw(path, await tokenFor(testbed, undefined, 'https://vault.azure.net/.default'))
    expect(vaultToken.body.error.code).toBe('InvalidAuthenticationTokenAudience')
    const classic = await raw(
      path,
      await tokenFor(testbed, undefined, 'https://management.core.windows.net//.default')
    )
    expect(classic.status).toBe(200)
    const partner = testbed.directory.tenant('partner')!.tenantId
    const foreign = await raw(path, await managementToken('partner'))
    expect(foreign.status).toBe(401)
    expect(foreign.body.error.code).toBe('InvalidAuthenticationTokenTenant')
    expect(foreign.body.error.message).toMatch(
      new RegExp(
        `^The access token is from the wrong issuer 'https://sts\\.windows\\.net/${partner}/'\\. It must match the tenant ` +
          `'https://sts\\.windows\\.net/${testbed.layout.tenantId}/' associated with this subscription\\.`
      )
    )
    const noVersion = await raw(
      `/subscriptions/${SUB}/providers/Microsoft.KeyVault/vaults`,
      await managementToken()
    )
    expect(noVersion.body.error.code).toBe('MissingApiVersionParameter')
  })

  it.each([
    [
      'usgov',
      'AZURE_US_GOVERNMENT',
      'https://management.usgovcloudapi.net/.default',
      'https://usgov.vault.usgovcloudapi.net/'
    ],
    [
      'china',
      'AZURE_CHINA_CLOUD',
      'https://management.chinacloudapi.cn/.default',
      'https://china.vault.azure.cn/'
    ]
  ] as const)(
    'serves the %s cloud at its own management host',
    async (name, cloudSetting, scope, vaultUri) => {
      const tenant = testbed.directory.tenant(name)!
      const subscriptionId = tenant.subscriptions![0].subscriptionId
      const subs = await collect(
        new SubscriptionClient(credential(name), {
          cloudSetting,
          credentials: { scopes: [scope] },
          ...viaProxy(testbed)
        } as ConstructorParameters<typeof SubscriptionClient>[1]).subscriptions.list()
      )
      expect(subs.map(s => s.subscriptionId)).toEqual([subscriptionId])
      const client = new KeyVaultManagementClient(credential(name), subscriptionId, {
        cloudSetting,
        ...viaProxy(testbed)
      })
      const vaults = await collect(client.vaults.listBySubscription())
      expect(vaults.map(v => [v.name, v.properties.vaultUri, v.properties.tenantId])).toEqual([
        [name, vaultUri, tenant.tenantId]
      ])
      const host = new URL(scope).host
      expect(
        testbed.arm.requestLog.filter(e => e.host === host && e.status === 200).length
      ).toBeGreaterThanOrEqual(2)
    }
  )

  const itWithAz = azPath ? it : it.skip
  itWithAz(
    withAz(
      'arm.test.ts',
      'answers the Azure CLI: az login lists the subscription, az keyvault list the vaults'
    ),
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'kvb-az-arm-'))
      const env = azEnvironment(testbed, dir)
      const az = async (...args: string[]) =>
        JSON.parse(
          (await promisify(execFile)('az', [...args, '-o', 'json'], { env, timeout: 60_000 })).stdout
        )
      const accounts = await az(...azLoginArgs(testbed, '-p', testbed.layout.apps[0].clientSecret!))
      expect(accounts).toEqual([expect.objectContaining({ id: SUB, name: 'Test Bed', state: 'Enabled' })])
      const vaults = await az('keyvault', 'list')
      expect(vaults.map((v: { name: string; resourceGroup: string }) => [v.name, v.resourceGroup])).toEqual(
        ['elsewhere', 'prod', 'protected', 'staging'].map(name => [name, 'testbed'])
      )
      expect(testbed.arm.requestLog.map(e => e.operation)).toEqual(
        expect.arrayContaining(['Subscriptions_List', 'Vaults_List'])
      )
    },
    90_000
  )

  it('logs every call with method, path, principal and status', async () => {
    await collect(vaultsClient().vaults.listBySubscription())
    expect(testbed.arm.requestLog).toContainEqual(
      expect.objectContaining({
        host: 'management.azure.com',
        method: 'GET',
        path: `/subscriptions/${SUB}/providers/Microsoft.KeyVault/vaults`,
        principal: testbed.layout.apps[0].objectId,
        status: 200,
        operation: 'Vaults_ListBySubscription'
      })
    )
  })
})
