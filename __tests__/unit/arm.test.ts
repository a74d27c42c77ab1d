/**
 * The management-plane adapter against the test bed's fake Resource Manager, reached as production
 * reaches it: the real management host names through HTTPS_PROXY with our keep-alive proxy agent, the
 * test CA added to Node's default trust (what NODE_EXTRA_CA_CERTS does for a fresh process), and
 * retries through our RateController with the test bed's clock.
 */
import { ClientSecretCredential } from '@azure/identity'
import { getCACertificates, setDefaultCACertificates } from 'node:tls'
import { createManagementPlane, type ManagementPlane } from '../../src/adapters/arm.js'
import { CLOUDS, type CloudSettings } from '../../src/core/cloud.js'
import type { FleetVault } from '../../src/core/fleet.js'
import { readAllPages } from '../../src/core/paging.js'
import { RateController } from '../../src/core/rate.js'
import { explainManagement } from '../../src/core/explain.js'
import { fleetLayout } from '../../testbed/fleet.js'
import { startTestbed, type Testbed } from '../../testbed/index.js'

const USER_AGENT = 'keyvault-backup/test'
const originalCAs = getCACertificates('default')
const savedEnv = { HTTPS_PROXY: process.env.HTTPS_PROXY, NO_PROXY: process.env.NO_PROXY }

/** Routes this process through the test bed's proxy and trusts its CA, as a runner with NODE_EXTRA_CA_CERTS would. */
function useProductionPath(testbed: Testbed): void {
  process.env.HTTPS_PROXY = testbed.env.HTTPS_PROXY
  process.env.NO_PROXY = testbed.env.NO_PROXY
  setDefaultCACertificates([...originalCAs, testbed.tls.caPem])
}

function restoreEnvironment(): void {
  for (const [name, value] of Object.entries(savedEnv)) {
    if (value === undefined) delete process.env[name]
    else process.env[name] = value
  }
  setDefaultCACertificates(originalCAs)
}

/** A tenant's first app signing in at its cloud's real authority, through the proxy like everything else. */
function credentialOf(testbed: Testbed, tenant?: string): ClientSecretCredential {
  const t = tenant ? testbed.directory.tenant(tenant)! : testbed.directory.defaultTenant
  return new ClientSecretCredential(t.tenantId, t.apps[0].clientId, t.apps[0].clientSecret!, {
    authorityHost: testbed.directory.cloudOf(t).authorityHost
  })
}

/** A rate controller on the test bed's clock: its sleeps advance that clock (and refill ARM's buckets). */
function rateOn(testbed: Testbed, sleeps: number[] = []): RateController {
  return new RateController({
    concurrency: 4,
    clock: testbed.clock,
    sleep: async ms => {
      sleeps.push(ms)
      testbed.clock.advance(ms)
    },
    random: () => 0.5
  })
}

const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a failure')
    },
    (error: { statusCode?: number; code?: string; message: string }) => error
  )

describe('the management plane over a fleet', () => {
  let testbed: Testbed
  let plane: ManagementPlane
  let oid: string

  beforeAll(async () => {
    testbed = await startTestbed({ layout: fleetLayout() })
    useProductionPath(testbed)
    plane = createManagementPlane(CLOUDS.AzureCloud, credentialOf(testbed), { userAgent: USER_AGENT })
    oid = testbed.layout.apps[0].objectId
  })
  afterAll(async () => {
    restoreEnvironment()
    await testbed?.stop()
  })
  beforeEach(() => {
    testbed.arm.behaviour = { throttle: { reads: 250, refillPerSecond: 25 }, pageSize: 25 }
    testbed.arm.refillThrottle()
    testbed.arm.clearLog()
  })

  it('lists the subscriptions and, page by page, the vaults the identity may read, at management.azure.com through the proxy', async () => {
    const expected = testbed.arm.view(oid)
    const rate = rateOn(testbed)
    const tunnelsBefore = testbed.proxy.log.filter(e => e.host === 'management.azure.com').length
    const subs = await readAllPages(rate, token => plane.subscriptions(token))
    expect(subs.map(s => s.subscriptionId).sort()).toEqual([...expected.subscriptions].sort())
    expect(subs.every(s => s.displayName && s.tenantId === testbed.layout.tenantId)).toBe(true)

    let pages = 0
    for (const id of Object.keys(expected.vaults)) {
      const vaults = await readAllPages(rate, async token => {
        pages++
        return plane.vaults(id, token)
      })
      expect(vaults.map(v => v.name).sort()).toEqual(expected.vaults[id])
      expect(new Set(vaults.map(v => v.id)).size).toBe(vaults.length)
    }
    // 25 a page, and the fake answers a short last page with a nextLink to an empty one (as recorded).
    const expectedPages = Object.values(expected.vaults).reduce(
      (n, names) => n + Math.ceil(names.length / 25) + 1,
      0
    )
    expect(pages).toBe(expectedPages)
    const log = testbed.arm.requestLog
    expect(log.length).toBeGreaterThan(pages)
    expect(new Set(log.map(e => e.host))).toEqual(new Set(['management.azure.com']))
    expect(log.every(e => e.status === 200 && e.principal === oid)).toBe(true)
    // One keep-alive tunnel serves many requests (the SDK's own proxy policy opens one per request).
    const tunnels = testbed.proxy.log.filter(e => e.host === 'management.azure.com').length - tunnelsBefore
    expect(tunnels).toBeGreaterThanOrEqual(0)
    expect(tunnels).toBeLessThan(log.length / 4)
  })

  it('maps each vault to plain data: origin URL, resource group, location, tenant and settings as the layout has them', async () => {
    const sub = testbed.arm.view(oid).subscriptions.find(s => testbed.arm.view(oid).vaults[s]?.length)!
    const vaults: FleetVault[] = await readAllPages(rateOn(testbed), token => plane.vaults(sub, token))
    for (const v of vaults) {
      const config = testbed.layout.vaults.find(c => c.name === v.name)!
      expect(v).toEqual({
        name: config.name,
        url: `https://${config.name.toLowerCase()}.vault.azure.net`,
        id: expect.stringMatching(
          new RegExp(
            `^/subscriptions/${sub}/resourceGroups/${config.resourceGroup}/providers/Microsoft.KeyVault/vaults/${config.name}$`,
            'i'
          )
        ),
        subscriptionId: sub,
        resourceGroup: config.resourceGroup,
        location: config.location,
        tenantId: testbed.layout.tenantId,
        tags: config.tags ?? {},
        softDelete: true,
        purgeProtection: config.purgeProtection === true,
        permissionModel: (config.accessModel ?? 'rbac') === 'rbac' ? 'rbac' : 'access-policy'
      })
    }
    expect(vaults.some(v => v.permissionModel === 'access-policy')).toBe(true)
    expect(vaults.some(v => v.purgeProtection)).toBe(true)
  })

  it('answers a subscription it may not read with 403 AuthorizationFailed, explained with the role to grant', async () => {
    const [forbidden] = testbed.arm.view(oid).forbidden
    const error = await failureOf(readAllPages(rateOn(testbed), token => plane.vaults(forbidden, token)))
    expect(error).toMatchObject({ statusCode: 403, code: 'AuthorizationFailed' })
    const reason = explainManagement(error, {
      identity: identity(CLOUDS.AzureCloud),
      subscriptionId: forbidden
    })
    expect(reason).toContain("'Reader'")
    expect(reason).toContain('Microsoft.KeyVault/vaults/read')
    expect(reason).toContain(`/subscriptions/${forbidden}`)
    // Not retried: one request.
    expect(testbed.arm.requestLog).toHaveLength(1)
  })

  it('retries 429s after their Retry-After through the RateController, each page alone, and finishes the listing', async () => {
    const sub = Object.entries(testbed.arm.view(oid).vaults).sort((a, b) => b[1].length - a[1].length)[0]
    testbed.arm.behaviour = { throttle: { reads: 3, refillPerSecond: 1 }, pageSize: 10 }
    const sleeps: number[] = []
    const rate = rateOn(testbed, sleeps)
    const vaults = await readAllPages(rate, token => plane.vaults(sub[0], token))
    expect(vaults.map(v => v.name).sort()).toEqual(sub[1])
    const throttled = testbed.arm.requestLog.filter(e => e.status === 429)
    expect(throttled.length).toBeGreaterThan(0)
    expect(rate.stats.throttled).toBe(throttled.length)
    // Every wait is the server's Retry-After (whole seconds), never the SDK's own retry.
    expect(sleeps.length).toBe(throttled.length)
    for (const ms of sleeps) expect(ms % 1000).toBe(0)
    const ok = testbed.arm.requestLog.filter(e => e.status === 200)
    expect(ok.length).toBe(Math.ceil(sub[1].length / 10) + 1)
  })

  it("refuses another tenant's subscription with 401 InvalidAuthenticationTokenTenant, explained with its tenant", async () => {
    const partner = testbed.directory.tenant('partner')!
    const theirs = partner.subscriptions![0].subscriptionId
    const error = await failureOf(plane.vaults(theirs))
    expect(error).toMatchObject({ statusCode: 401, code: 'InvalidAuthenticationTokenTenant' })
    const reason = explainManagement(error, { identity: identity(CLOUDS.AzureCloud), subscriptionId: theirs })
    expect(reason).toContain(`belongs to tenant '${partner.tenantId}'`)
    expect(reason).toContain(`signs in to tenant '${testbed.layout.tenantId}'`)
  })
})

describe('the management plane in each cloud', () => {
  let testbed: Testbed

  beforeAll(async () => {
    testbed = await startTestbed()
    useProductionPath(testbed)
  })
  afterAll(async () => {
    restoreEnvironment()
    await testbed?.stop()
  })

  it.each([
    ['AzureCloud', undefined, 'management.azure.com', 'prod', 'https://prod.vault.azure.net'],
    [
      'AzureUSGovernment',
      'usgov',
      'management.usgovcloudapi.net',
      'usgov',
      'https://usgov.vault.usgovcloudapi.net'
    ],
    ['AzureChinaCloud', 'china', 'management.chinacloudapi.cn', 'china', 'https://china.vault.azure.cn']
  ] as const)(
    '%s: its own Resource Manager host and token scope, for both clients',
    async (cloudName, tenant, host, vaultName, url) => {
      testbed.arm.clearLog()
      const cloud: CloudSettings = CLOUDS[cloudName]
      const plane = createManagementPlane(cloud, credentialOf(testbed, tenant), { userAgent: USER_AGENT })
      const rate = rateOn(testbed)
      const subs = await readAllPages(rate, token => plane.subscriptions(token))
      expect(subs).toHaveLength(1)
      const vaults = await readAllPages(rate, token => plane.vaults(subs[0].subscriptionId, token))
      expect(vaults.find(v => v.name === vaultName)?.url).toBe(url)
      // A token for another cloud's Resource Manager would be refused with 401 InvalidAuthenticationTokenAudience.
      expect(testbed.arm.requestLog.map(e => `${e.host} ${e.status}`)).toEqual(
        testbed.arm.requestLog.map(() => `${host} 200`)
      )
    }
  )
})

function identity(cloud: CloudSettings) {
  return {
    method: 'oidc' as const,
    cloud,
    clientId: 'a11c0000-0000-4000-8000-00000000c001',
    tenantId: '72f988bf-0000-4000-8000-00000000a001',
    audience: cloud.defaultAudience
  }
}
