/**
 * Fleet layouts: hundreds of vaults over subscriptions and tenants, served lazily, discovered through
 * Resource Manager with the official management clients; what the first app may list and read follows
 * the fleet's plan, and only the vaults whose data plane is used get a server.
 */
import { KeyVaultManagementClient } from '@azure/arm-keyvault'
import { SubscriptionClient } from '@azure/arm-resources-subscriptions'
import { SecretClient } from '@azure/keyvault-secrets'
import { checkLayout } from '../../testbed/config.js'
import { fleetAccessPlan, fleetLayout } from '../../testbed/fleet.js'
import { startTestbed, type Testbed } from '../../testbed/index.js'
import { mayPerform } from '../../testbed/keyvault/auth.js'
import { viaProxy } from './support.js'

const collect = async <T>(items: AsyncIterable<T>): Promise<T[]> => {
  const all: T[] = []
  for await (const item of items) all.push(item)
  return all
}

describe('the fleet layout', () => {
  let testbed: Testbed
  const LIST = { type: 'secrets', permission: 'list', action: 'secrets/readMetadata/action' } as const

  beforeAll(async () => {
    testbed = await startTestbed({ layout: fleetLayout() })
  })
  afterAll(() => testbed.stop())

  it('declares at least 600 varied vaults in 5 subscriptions and 2 tenants, none of them serving yet', () => {
    const { layout } = testbed
    expect(layout.vaults.length).toBeGreaterThanOrEqual(600)
    expect(layout.tenants).toHaveLength(2)
    expect(testbed.directory.subscriptions()).toHaveLength(5)
    const distinct = (values: unknown[]) => new Set(values.map(v => JSON.stringify(v))).size
    expect(distinct(layout.vaults.map(v => v.location))).toBeGreaterThanOrEqual(8)
    expect(distinct(layout.vaults.map(v => v.resourceGroup))).toBeGreaterThanOrEqual(30)
    expect(distinct(layout.vaults.map(v => v.tags))).toBeGreaterThanOrEqual(50)
    expect(distinct(layout.vaults.map(v => v.sku))).toBe(3)
    expect(testbed.keyvault.vaults().filter(v => testbed.keyvault.isListening(v.name))).toEqual([])
    expect(Object.keys(testbed.env).filter(k => k.startsWith('KEYVAULT_'))).toEqual([])
  })

  it('lets the first app discover exactly what its roles allow through Resource Manager', async () => {
    const oid = testbed.layout.apps[0].objectId
    const credential = testbed.credential()
    const expected = testbed.arm.view(oid)
    const subs = await collect(new SubscriptionClient(credential, viaProxy(testbed)).subscriptions.list())
    expect(subs.map(s => s.subscriptionId).sort()).toEqual([...expected.subscriptions].sort())
    // The plan for 4 subscriptions of the default tenant: reader, resourceGroups, dataOnly, none.
    expect(fleetAccessPlan(4)).toEqual(['reader', 'resourceGroups', 'dataOnly', 'none'])
    expect(subs).toHaveLength(3)
    expect(expected.forbidden).toHaveLength(1)

    let listed = 0
    for (const sub of subs) {
      const client = new KeyVaultManagementClient(credential, sub.subscriptionId!, viaProxy(testbed))
      if (expected.forbidden.includes(sub.subscriptionId!)) {
        await expect(collect(client.vaults.listBySubscription())).rejects.toMatchObject({
          statusCode: 403,
          code: 'AuthorizationFailed'
        })
        continue
      }
      const vaults = await collect(client.vaults.listBySubscription())
      expect(vaults.map(v => v.name).sort()).toEqual(expected.vaults[sub.subscriptionId!])
      listed += vaults.length
      const all = testbed.layout.vaults.filter(v => v.subscriptionId === sub.subscriptionId)
      if (vaults.length < all.length) expect(vaults.length).toBeGreaterThan(0) // the resource-group-scoped one
    }
    expect(listed).toBeGreaterThan(100)
    const pages = testbed.arm.requestLog.filter(e => e.operation === 'Vaults_ListBySubscription').length
    expect(pages).toBeGreaterThan(listed / 25)
    // Discovery alone starts no vault server.
    expect(testbed.keyvault.vaults().some(v => testbed.keyvault.isListening(v.name))).toBe(false)
  })

  it('starts a vault server on the first connection to its host name, and enforces its data-plane roles', async () => {
    const oid = testbed.layout.apps[0].objectId
    const listable = testbed.arm.view(oid).vaults
    const visible = new Set(Object.values(listable).flat())
    const readable = testbed.layout.vaults.find(v => visible.has(v.name) && mayPerform(v, oid, LIST))!
    const unreadable = testbed.layout.vaults.find(v => visible.has(v.name) && !mayPerform(v, oid, LIST))!
    expect(unreadable).toBeDefined()
    testbed.keyvault.vault(readable.name).seedSecret('fleet-secret', 'x')

    const client = (name: string) =>
      new SecretClient(`https://${name}.vault.azure.net`, testbed.credential(), viaProxy(testbed))
    const names = (await collect(client(readable.name).listPropertiesOfSecrets())).map(s => s.name)
    expect(names).toEqual(['fleet-secret'])
    await expect(collect(client(unreadable.name).listPropertiesOfSecrets())).rejects.toMatchObject({
      statusCode: 403
    })
    const serving = testbed.keyvault.vaults().filter(v => testbed.keyvault.isListening(v.name))
    expect(serving.map(v => v.name).sort()).toEqual([readable.name, unreadable.name].sort())
    expect(
      testbed.proxy.log.filter(e => e.host.endsWith('.vault.azure.net')).every(e => e.target !== 'refused')
    ).toBe(true)
  })

  it('builds the benchmark fleet of 2,000 vaults in 10 subscriptions', () => {
    const layout = checkLayout(fleetLayout({ vaults: 2000, subscriptions: 10 }))
    expect(layout.vaults).toHaveLength(2000)
    expect(new Set(layout.vaults.map(v => v.subscriptionId)).size).toBe(10)
    expect(new Set(layout.vaults.map(v => v.name.toLowerCase())).size).toBe(2000)
    expect(layout.lazyVaults).toBe(true)
    // Reproducible: the same options give the same fleet.
    expect(fleetLayout({ vaults: 2000, subscriptions: 10 })).toEqual(layout)
  })
})
