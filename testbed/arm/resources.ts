/**
 * The shapes Resource Manager answers with: subscriptions, tenants, vaults (the full Microsoft.KeyVault
 * object of Vaults_ListBySubscription / Vaults_Get, and the short generic-resource item of Vaults_List),
 * and ARM's paging with `$skiptoken`.
 */
import { createHash } from 'node:crypto'
import type { DirectorySubscription, DirectoryVault } from '../directory.js'
import type { TenantConfig } from '../config.js'

export const VAULT_TYPE = 'Microsoft.KeyVault/vaults'

/** A stable number from a name, for deterministic variety (dates, optional flags). */
function hashOf(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32BE(0)
}

export function subscriptionJson(sub: DirectorySubscription): Record<string, unknown> {
  const id = sub.config.subscriptionId
  return {
    id: `/subscriptions/${id}`,
    authorizationSource: 'RoleBased',
    managedByTenants: [],
    subscriptionId: id,
    tenantId: sub.tenant.tenantId,
    displayName: sub.config.displayName ?? `Subscription ${id.slice(0, 8)}`,
    state: sub.config.state ?? 'Enabled',
    subscriptionPolicies: {
      locationPlacementId: 'Public_2014-09-01',
      quotaId: 'PayAsYouGo_2014-09-01',
      spendingLimit: 'Off'
    }
  }
}

export function tenantJson(tenant: TenantConfig): Record<string, unknown> {
  const domain = tenant.defaultDomain ?? `tenant${tenant.tenantId.slice(0, 8)}.onmicrosoft.com`
  return {
    id: `/tenants/${tenant.tenantId}`,
    tenantId: tenant.tenantId,
    countryCode: 'US',
    displayName: tenant.displayName ?? tenant.name ?? 'Test Bed',
    domains: [domain],
    tenantCategory: 'Home',
    defaultDomain: domain,
    tenantType: 'AAD'
  }
}

/**
 * The full vault object, shaped like the recorded ListBySubscription answer: optional booleans
 * (`enablePurgeProtection`, `enableRbacAuthorization`, some `enabledFor*`) are omitted rather than false,
 * `sku.name` keeps the casing the layout gives.
 */
export function vaultJson(vault: DirectoryVault): Record<string, unknown> {
  const { config, tenant, cloud } = vault
  const hash = hashOf(config.name)
  const created = new Date(
    Date.UTC(2023, 0, 1) + (hash % 900) * 86_400_000 + (hash % 86_400) * 1000
  ).toISOString()
  const rbac = (config.accessModel ?? 'rbac') === 'rbac'
  const properties: Record<string, unknown> = {
    sku: { family: 'A', name: config.sku ?? 'standard' },
    tenantId: tenant.tenantId,
    accessPolicies: rbac
      ? []
      : (config.accessPolicies ?? []).map(p => ({
          tenantId: tenant.tenantId,
          objectId: p.objectId,
          permissions: {
            keys: p.permissions.keys ?? [],
            secrets: p.permissions.secrets ?? [],
            certificates: p.permissions.certificates ?? []
          }
        })),
    enabledForDeployment: false,
    // Real answers omit these two on some vaults (the recorded listing does).
    ...(hash % 2 === 0 ? { enabledForDiskEncryption: false, enabledForTemplateDeployment: false } : {}),
    enableSoftDelete: true,
    softDeleteRetentionInDays: config.softDeleteRetentionDays ?? 90,
    ...(rbac ? { enableRbacAuthorization: true } : {}),
    ...(config.purgeProtection ? { enablePurgeProtection: true } : {}),
    vaultUri: `https://${config.name}.${cloud.vaultSuffix}/`,
    ...(config.networkAcls
      ? {
          networkAcls: {
            bypass: 'AzureServices',
            defaultAction: config.networkAcls.defaultAction,
            ipRules: (config.networkAcls.ipRules ?? []).map(value => ({ value })),
            virtualNetworkRules: []
          }
        }
      : {}),
    provisioningState: 'Succeeded',
    publicNetworkAccess: 'Enabled'
  }
  const creator = `admin@${tenant.defaultDomain ?? 'testbed.onmicrosoft.com'}`
  return {
    id: vault.resourceId,
    name: config.name,
    type: VAULT_TYPE,
    location: config.location,
    tags: { ...(config.tags ?? {}) },
    systemData: {
      createdBy: creator,
      createdByType: 'User',
      createdAt: created,
      lastModifiedBy: creator,
      lastModifiedByType: 'User',
      lastModifiedAt: created
    },
    properties
  }
}

/** The generic resource item of `GET /subscriptions/{sub}/resources` (Vaults_List). */
export function resourceJson(vault: DirectoryVault): Record<string, unknown> {
  return {
    id: vault.resourceId,
    name: vault.config.name,
    type: VAULT_TYPE,
    location: vault.config.location,
    tags: { ...(vault.config.tags ?? {}) }
  }
}

const orderKey = (v: DirectoryVault): string =>
  `${v.resourceGroup.toLowerCase()}|${v.config.name.toLowerCase()}`

/** `$skiptoken` of ARM vault listings: base64 of `<resource group>|<last vault name>` (as recorded). */
export const skipToken = (v: DirectoryVault): string =>
  Buffer.from(`${v.resourceGroup}|${v.config.name}`).toString('base64')

/**
 * One page of a vault listing, in (resource group, name) order, after `$skiptoken`. A non-empty page
 * always carries a nextLink, even a short last one (the recorded answer does); the page after the last
 * vault is `{"value": []}` without one.
 */
export function page(
  vaults: DirectoryVault[],
  skiptoken: string | null,
  size: number
): { items: DirectoryVault[]; next?: string } {
  const sorted = [...vaults].sort((a, b) =>
    orderKey(a) < orderKey(b) ? -1 : orderKey(a) > orderKey(b) ? 1 : 0
  )
  let start = 0
  if (skiptoken) {
    const after = Buffer.from(skiptoken, 'base64').toString('utf8').toLowerCase()
    start = sorted.findIndex(v => orderKey(v) > after)
    if (start < 0) start = sorted.length
  }
  const items = sorted.slice(start, start + size)
  return { items, next: items.length ? skipToken(items[items.length - 1]) : undefined }
}
