/**
 * A second tenant, `partner`: its own app (trusting the same GitHub subject, issuer and audience), its
 * own subscription and a vault in another geography. Tokens of one tenant are refused by the other's
 * vault with the service's AKV10032; the layout schema holds several tenants and keeps the single-tenant
 * form valid; RBAC assignments at subscription scope reach the data plane.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SecretClient } from '@azure/keyvault-secrets'
import { checkLayout, defaultLayout, loadLayout, type LayoutInput } from '../../testbed/config.js'
import { startTestbed, type Testbed } from '../../testbed/index.js'
import { httpsJson, runFixture, tokenFor } from './support.js'

describe('tenants', () => {
  let testbed: Testbed
  const partner = () => testbed.directory.tenant('partner')!

  beforeAll(async () => {
    testbed = await startTestbed()
    testbed.keyvault.vault('partner').seedSecret('partner-api-key', 'canary-partner')
  })
  afterAll(() => testbed.stop())

  it('prints the partner tenant, app and vault in the environment contract', () => {
    expect(testbed.env).toMatchObject({
      AZURE_TENANT_ID: testbed.layout.tenantId,
      AZURE_TENANT_ID_PARTNER: partner().tenantId,
      AZURE_CLIENT_ID_PARTNER: partner().apps[0].clientId,
      KEYVAULT_PARTNER_URL: 'https://partner.vault.azure.net',
      KEYVAULT_PARTNER_LOCAL_URL: testbed.keyvault.vault('partner').localUrl
    })
    expect(partner().tenantId).not.toBe(testbed.layout.tenantId)
    const vault = testbed.layout.vaults.find(v => v.name === 'partner')!
    const prod = testbed.layout.vaults.find(v => v.name === 'prod')!
    expect(vault.subscriptionId).not.toBe(prod.subscriptionId)
    expect(vault.geography).not.toBe(prod.geography)
  })

  it("signs the partner's app in with the same GitHub token subject (production path)", async () => {
    const result = await runFixture(
      testbed,
      'sdk-client.mjs',
      ['assertion', 'https://partner.vault.azure.net'],
      {
        AZURE_TENANT_ID: partner().tenantId,
        AZURE_CLIENT_ID: partner().apps[0].clientId
      }
    )
    expect(result).toMatchObject({ ok: true, names: ['partner-api-key'] })
  })

  it("stops the first app's SDK client at the partner vault: the challenge names another tenant", async () => {
    const result = await runFixture(
      testbed,
      'sdk-client.mjs',
      ['assertion', 'https://partner.vault.azure.net'],
      {
        AZURE_TENANT_ID: testbed.layout.tenantId,
        AZURE_CLIENT_ID: testbed.layout.apps[0].clientId
      }
    )
    // @azure/identity refuses to fetch a token for a tenant it was not configured for.
    expect(result.ok).toBe(false)
    expect(result.message).toContain(partner().tenantId)
  })

  it.each([
    ['the first app at the partner vault', undefined, 'partner'],
    ["the partner's app at prod", 'partner', 'prod']
  ])('refuses %s with 401 AKV10032', async (_name, from, vault) => {
    const token = await tokenFor(testbed, from, 'https://vault.azure.net/.default')
    const res = await httpsJson(
      `${testbed.keyvault.vault(vault).localUrl}/secrets?api-version=7.4`,
      testbed.tls.caPem,
      {
        headers: { authorization: `Bearer ${token}` }
      }
    )
    const expected = vault === 'partner' ? partner().tenantId : testbed.layout.tenantId
    const found = from ? partner().tenantId : testbed.layout.tenantId
    expect(res.status).toBe(401)
    expect(res.body).toEqual({
      error: {
        code: 'Unauthorized',
        message: `AKV10032: Invalid issuer. Expected one of https://sts.windows.net/${expected}/, found https://sts.windows.net/${found}/.`
      }
    })
    expect(res.headers['www-authenticate']).toBe(
      `Bearer authorization="https://login.microsoftonline.com/${expected}", resource="https://vault.azure.net"`
    )
  })

  it("gives the partner's app Key Vault Administrator on partner and the first app nothing there", () => {
    const vault = testbed.layout.vaults.find(v => v.name === 'partner')!
    expect(vault.roleAssignments).toEqual([
      { principalId: partner().apps[0].objectId, role: 'Key Vault Administrator' }
    ])
    const first = testbed.layout.apps[0].objectId
    expect(testbed.directory.assignmentsOn(vault).some(a => a.principalId === first)).toBe(false)
  })
})

describe('the layout schema', () => {
  const legacy = {
    tenantId: '72f988bf-0000-4000-8000-00000000a001',
    apps: [{ clientId: 'c1', objectId: 'o1', clientSecret: 's' }],
    github: {
      repository: 'octo-org/octo-repo',
      subject: 'repo:octo-org/octo-repo:ref:refs/heads/main',
      runId: '1'
    },
    vaults: [{ name: 'solo', subscriptionId: 'sub-1', location: 'westeurope', geography: 'Europe' }]
  }

  it('keeps the single-tenant form valid: its tenant becomes the default and only tenant', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'kvb-layout-')), 'legacy.json')
    writeFileSync(path, JSON.stringify(legacy))
    const layout = loadLayout(path)
    expect(layout.tenants).toEqual([{ tenantId: legacy.tenantId, apps: legacy.apps }])
    expect(layout.tenantId).toBe(legacy.tenantId)
    expect(layout.apps).toEqual(legacy.apps)
  })

  it('normalizes idempotently, and top-level apps replace the default tenant apps', () => {
    const layout = defaultLayout()
    expect(checkLayout(layout)).toEqual(layout)
    const apps = [{ clientId: 'c9', objectId: 'o9' }]
    const changed = checkLayout({ ...layout, apps })
    expect(changed.tenants[0].apps).toBe(apps)
    expect(changed.tenants).toHaveLength(layout.tenants.length)
  })

  it.each([
    [
      'a vault naming an unknown tenant',
      { vaults: [{ ...legacy.vaults[0], tenant: 'nobody' }] },
      /tenant 'nobody' is not in the layout/
    ],
    [
      'a vault in the wrong cloud',
      { vaults: [{ ...legacy.vaults[0], cloud: 'AzureChinaCloud' }] },
      /cloud AzureChinaCloud is not its tenant's/
    ],
    [
      'a subscription in two tenants',
      {
        tenants: [
          { tenantId: 't2', name: 'two', apps: [], subscriptions: [{ subscriptionId: 'sub-1' }] },
          { tenantId: 't3', name: 'three', apps: [], subscriptions: [{ subscriptionId: 'sub-1' }] }
        ]
      },
      /subscription sub-1 belongs to two tenants/
    ],
    [
      'two vaults of one name',
      { vaults: [legacy.vaults[0], { ...legacy.vaults[0], name: 'SOLO' }] },
      /is used twice/
    ],
    [
      'an unknown cloud',
      { tenants: [{ tenantId: 't2', cloud: 'AzureGermanCloud', apps: [] }] },
      /cloud must be one of/
    ]
  ])('refuses %s', (_name, patch, message) => {
    expect(() => checkLayout({ ...legacy, ...patch } as LayoutInput)).toThrow(message)
  })
})

describe('RBAC inherited from the subscription', () => {
  let testbed: Testbed

  beforeAll(async () => {
    const layout = defaultLayout()
    const sub = layout.tenants[0].subscriptions![0]
    const app = layout.apps[0].objectId
    testbed = await startTestbed({
      layout: {
        ...layout,
        tenants: [
          {
            ...layout.tenants[0],
            subscriptions: [
              {
                ...sub,
                roleAssignments: [{ principalId: app, role: 'Reader' }],
                resourceGroups: [
                  {
                    name: 'rg-shared',
                    roleAssignments: [{ principalId: app, role: 'Key Vault Secrets Officer' }]
                  }
                ]
              }
            ]
          },
          ...layout.tenants.slice(1)
        ],
        vaults: [
          {
            name: 'inherits',
            subscriptionId: sub.subscriptionId,
            location: 'westeurope',
            geography: 'Europe',
            resourceGroup: 'rg-shared'
          },
          { name: 'bare', subscriptionId: sub.subscriptionId, location: 'westeurope', geography: 'Europe' }
        ]
      }
    })
    testbed.keyvault.vault('inherits').seedSecret('from-group', 'x')
    testbed.keyvault.vault('bare').seedSecret('nothing', 'x')
  })
  afterAll(() => testbed.stop())

  it('lets a role at resource-group scope reach the vault data plane, and nothing else does', async () => {
    const client = (vault: string) =>
      new SecretClient(testbed.keyvault.vault(vault).localUrl, testbed.credential(), testbed.sdkOptions())
    const names: string[] = []
    for await (const item of client('inherits').listPropertiesOfSecrets()) names.push(item.name)
    expect(names).toEqual(['from-group'])
    const error = await client('bare')
      .listPropertiesOfSecrets()
      .next()
      .then(
        () => undefined,
        (e: { statusCode?: number }) => e
      )
    expect(error?.statusCode).toBe(403)
    const token = await tokenFor(testbed, undefined, 'https://vault.azure.net/.default')
    const raw = await httpsJson(
      `${testbed.keyvault.vault('bare').localUrl}/secrets?api-version=7.4`,
      testbed.tls.caPem,
      {
        headers: { authorization: `Bearer ${token}` }
      }
    )
    expect(raw.body.error.innererror).toEqual({ code: 'ForbiddenByRbac' })
    expect(raw.body.error.message).toContain(
      `Resource: '/subscriptions/${testbed.layout.vaults[0].subscriptionId}/resourcegroups/testbed/providers/microsoft.keyvault/vaults/bare/secrets'`
    )
  })
})
