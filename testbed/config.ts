/**
 * The test bed's layout: tenants (each in one cloud, with its app registrations and subscriptions), the
 * GitHub identity and the vaults. `npm run testbed` reads it from a JSON file (see testbed/README.md);
 * tests build it in code from `defaultLayout()` or `fleetLayout()` (fleet.ts).
 *
 * Two shapes are accepted: the single-tenant form (top-level `tenantId` and `apps`) and the multi-tenant
 * form (`tenants`, the first being the default). `normalizeLayout` turns either into a `TestbedLayout`,
 * whose top-level `tenantId` and `apps` always describe the default tenant.
 */

import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { CLOUD_NAMES, type CloudName } from './clouds.js'
import type { VaultBehaviour } from './keyvault/behaviour.js'

export type { CloudName } from './clouds.js'
export type ObjectType = 'secrets' | 'keys' | 'certificates'

/** Access-policy permissions, as in the Azure portal (lower case): e.g. `get list backup restore`. */
export interface AccessPolicy {
  objectId: string
  permissions: Partial<Record<ObjectType, string[]>>
}

/**
 * An Azure RBAC role assignment. `role` is a built-in role name: the Key Vault data roles ('Key Vault
 * Administrator', 'Key Vault Secrets Officer', 'Key Vault Secrets User', 'Key Vault Crypto Officer',
 * 'Key Vault Certificates Officer', 'Key Vault Reader') or the management roles ('Reader', 'Contributor',
 * 'Owner', 'Key Vault Contributor'); a custom role lists `actions` (management plane, e.g.
 * 'Microsoft.KeyVault/vaults/read') and/or `dataActions` (data plane, e.g.
 * 'Microsoft.KeyVault/vaults/secrets/backup/action'). Wildcards `*` are allowed as in Azure. An assignment
 * applies to its scope and everything below it (subscription > resource group > vault).
 */
export interface RoleAssignment {
  principalId: string
  role?: string
  actions?: string[]
  dataActions?: string[]
}

export interface VaultConfig {
  /** The vault name: `https://<name>.<the cloud's vault suffix>` through the proxy. */
  name: string
  subscriptionId: string
  /** Azure region, e.g. `westeurope`; shown in 403 messages and in the ARM view. */
  location: string
  /** Azure geography; a backup blob restores only within the same subscription and geography. */
  geography: string
  /**
   * The vault's tenant: a tenant's `name` or `tenantId`. Default: the tenant that declares the
   * subscription, else the first tenant of the vault's `cloud`, else the default tenant.
   */
  tenant?: string
  /** The vault's cloud; it must be its tenant's (default: the tenant's). */
  cloud?: CloudName
  /** The resource group in the ARM view and in RBAC scopes (default `testbed`). */
  resourceGroup?: string
  /** Resource tags in the ARM view. */
  tags?: Record<string, string>
  /** `sku.name` in the ARM view, with the casing it is given (default `standard`; real answers vary). */
  sku?: string
  /** 7-90, default 90. */
  softDeleteRetentionDays?: number
  /** Default false. Under purge protection nothing can be purged before retention ends. */
  purgeProtection?: boolean
  /** Default 'rbac'. */
  accessModel?: 'rbac' | 'accessPolicy'
  accessPolicies?: AccessPolicy[]
  /** Role assignments at the vault's scope (management and data plane). */
  roleAssignments?: RoleAssignment[]
  /**
   * The vault firewall. Absent: every address is allowed. With `defaultAction: 'Deny'` only callers whose
   * address (the `clientAddress` behaviour) matches an `ipRules` entry (IPv4 address or CIDR) get in;
   * others get 403 ForbiddenByFirewall.
   */
  networkAcls?: { defaultAction: 'Allow' | 'Deny'; ipRules?: string[] }
  /** Overrides the layout's behaviour for this vault (latency, throttle, faults, windows). */
  behaviour?: Partial<VaultBehaviour>
}

export interface FederatedCredential {
  issuer: string
  subject: string
  audiences: string[]
}

export interface AppRegistration {
  clientId: string
  /** The service principal's object id, the `oid` of its tokens; permissions are granted to it. */
  objectId: string
  clientSecret?: string
  federatedCredentials?: FederatedCredential[]
}

export interface ResourceGroupConfig {
  name: string
  /** Role assignments at the resource group's scope. */
  roleAssignments?: RoleAssignment[]
}

export interface SubscriptionConfig {
  subscriptionId: string
  displayName?: string
  /** Default 'Enabled'. */
  state?: 'Enabled' | 'Warned' | 'PastDue' | 'Disabled'
  /** Role assignments at the subscription's scope. */
  roleAssignments?: RoleAssignment[]
  resourceGroups?: ResourceGroupConfig[]
}

export interface TenantConfig {
  tenantId: string
  /**
   * A short name: vaults name their tenant with it, and `npm run testbed` prints
   * `AZURE_TENANT_ID_<NAME>` and `AZURE_CLIENT_ID_<NAME>` for every tenant but the default.
   */
  name?: string
  /** Default 'AzureCloud'. */
  cloud?: CloudName
  displayName?: string
  /** e.g. `contoso.onmicrosoft.com`. */
  defaultDomain?: string
  apps: AppRegistration[]
  /**
   * The tenant's subscriptions. A subscription a vault names but no tenant declares belongs to the
   * vault's tenant, with no role assignments of its own.
   */
  subscriptions?: SubscriptionConfig[]
}

/** Behaviour of the fake Resource Manager (all mutable at run time through `testbed.arm.behaviour`). */
export interface ArmBehaviour {
  /**
   * ARM's token bucket per subscription and caller for reads (the tenant-level listings have one per
   * tenant and caller). Real: 250 tokens, 25 per second.
   */
  throttle: { reads: number; refillPerSecond: number }
  /** Items per page of the vault listings (the real page size is UNCONFIRMED; `$top` lowers it). */
  pageSize: number
  /** Milliseconds before each answer (default 0; the benchmark sets a realistic figure). */
  latencyMs?: number
}

/** A layout as written in a file: either `tenantId` + `apps`, or `tenants`, or both. */
export interface LayoutInput {
  tenantId?: string
  apps?: AppRegistration[]
  tenants?: TenantConfig[]
  github: {
    repository: string
    /** The `sub` claim of the OIDC tokens the fake GitHub issues. */
    subject: string
    runId: string
  }
  vaults: VaultConfig[]
  /** Behaviour of every vault; defaults are the real service's (see keyvault/behaviour.ts). */
  behaviour?: Partial<VaultBehaviour>
  /** Behaviour of the fake Resource Manager. */
  arm?: Partial<ArmBehaviour>
  /**
   * Start each vault's HTTPS server on the first connection to its host name instead of at start-up
   * (default false; the fleet layouts set it). Lazily served vaults get no `KEYVAULT_*` variables.
   */
  lazyVaults?: boolean
  /** Lifetime of Entra access tokens (default 3599 s) and of GitHub OIDC tokens (default 300 s). */
  accessTokenLifetimeSeconds?: number
  oidcTokenLifetimeSeconds?: number
}

/** A normalized layout: `tenants[0]` is the default tenant, and `tenantId` / `apps` are its. */
export interface TestbedLayout extends LayoutInput {
  tenantId: string
  apps: AppRegistration[]
  tenants: TenantConfig[]
}

export const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com'
export const DEFAULT_AUDIENCE = 'api://AzureADTokenExchange'
export const DEFAULT_RESOURCE_GROUP = 'testbed'
export const DEFAULT_LAYOUT_PATH = join(dirname(fileURLToPath(import.meta.url)), 'layout.json')

/**
 * Brings either layout shape to the normalized one. Top-level `tenantId` + `apps` name the default
 * tenant: a tenant of `tenants` with that id moves first (its apps replaced by top-level `apps` when given),
 * otherwise a new tenant is put first. Idempotent.
 */
export function normalizeLayout(input: LayoutInput): TestbedLayout {
  const tenants = normalizeTenants(input)
  const first = tenants[0]
  return { ...input, tenants, tenantId: first?.tenantId, apps: first?.apps ?? [] } as TestbedLayout
}

/** The tenants of either layout shape, the default first (see `normalizeLayout`). */
export function normalizeTenants(input: Pick<LayoutInput, 'tenantId' | 'apps' | 'tenants'>): TenantConfig[] {
  const tenants = (input.tenants ?? []).map(t => ({ ...t }))
  if (typeof input.tenantId === 'string') {
    const id = input.tenantId.toLowerCase()
    const index = tenants.findIndex(t => t.tenantId.toLowerCase() === id)
    const tenant = index >= 0 ? tenants.splice(index, 1)[0] : { tenantId: input.tenantId, apps: [] }
    if (input.apps) tenant.apps = input.apps
    tenants.unshift(tenant)
  }
  return tenants
}

const TENANT_NAME = /^[A-Za-z][A-Za-z0-9_]*$/
const VAULT_NAME = /^[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$/

/** The tenant a vault belongs to (see `VaultConfig.tenant`); undefined when its `tenant` names none. */
export function tenantOfVault(layout: TestbedLayout, vault: VaultConfig): TenantConfig | undefined {
  if (vault.tenant) return findTenant(layout, vault.tenant)
  const declaring = layout.tenants.find(t =>
    (t.subscriptions ?? []).some(s => s.subscriptionId.toLowerCase() === vault.subscriptionId.toLowerCase())
  )
  if (declaring) return declaring
  if (vault.cloud) return layout.tenants.find(t => cloudOfTenant(t) === vault.cloud) ?? layout.tenants[0]
  return layout.tenants[0]
}

/** A tenant by its `name` (case-insensitive) or `tenantId`. */
export function findTenant(
  layout: Pick<TestbedLayout, 'tenants'>,
  nameOrId: string
): TenantConfig | undefined {
  const key = nameOrId.toLowerCase()
  return layout.tenants.find(t => t.tenantId.toLowerCase() === key || t.name?.toLowerCase() === key)
}

export const cloudOfTenant = (tenant: TenantConfig): CloudName => tenant.cloud ?? 'AzureCloud'

/** Lists what is wrong with a normalized layout (empty when it is valid). */
export function layoutProblems(layout: TestbedLayout): string[] {
  const problems: string[] = []
  if (!Array.isArray(layout.tenants) || layout.tenants.length === 0) {
    problems.push('a layout needs tenantId and apps, or tenants')
  }
  const ids = new Set<string>()
  const names = new Set<string>()
  const subscriptions = new Map<string, string>()
  for (const [i, tenant] of (layout.tenants ?? []).entries()) {
    const label = tenant.name ?? tenant.tenantId ?? `tenants[${i}]`
    if (typeof tenant.tenantId !== 'string' || !tenant.tenantId)
      problems.push(`tenant ${label}: tenantId must be a string`)
    else if (ids.has(tenant.tenantId.toLowerCase()))
      problems.push(`tenant ${label}: tenantId ${tenant.tenantId} is used twice`)
    else ids.add(tenant.tenantId.toLowerCase())
    if (tenant.name !== undefined) {
      if (!TENANT_NAME.test(tenant.name)) problems.push(`tenant ${label}: name must be letters, digits and _`)
      else if (names.has(tenant.name.toLowerCase())) problems.push(`tenant name ${tenant.name} is used twice`)
      names.add(tenant.name.toLowerCase())
    }
    if (tenant.cloud !== undefined && !CLOUD_NAMES.includes(tenant.cloud)) {
      problems.push(`tenant ${label}: cloud must be one of ${CLOUD_NAMES.join(', ')}`)
    }
    if (!Array.isArray(tenant.apps)) problems.push(`tenant ${label}: apps must be a list`)
    else if (i === 0 && tenant.apps.length === 0) problems.push('apps must list at least one app')
    for (const sub of tenant.subscriptions ?? []) {
      const key = String(sub.subscriptionId).toLowerCase()
      if (subscriptions.has(key)) problems.push(`subscription ${sub.subscriptionId} belongs to two tenants`)
      subscriptions.set(key, tenant.tenantId)
    }
  }
  if (!layout.github?.repository?.includes('/')) problems.push('github.repository must be owner/name')
  if (!Array.isArray(layout.vaults)) problems.push('vaults must be a list')
  const vaultNames = new Set<string>()
  for (const vault of layout.vaults ?? []) {
    if (!VAULT_NAME.test(vault.name ?? '')) {
      problems.push(`vault name '${vault.name}' must be 3-24 letters, digits and dashes`)
    } else if (vaultNames.has(vault.name.toLowerCase())) {
      problems.push(`vault name '${vault.name}' is used twice (names are unique across the test bed)`)
    }
    vaultNames.add(String(vault.name).toLowerCase())
    const days = vault.softDeleteRetentionDays ?? 90
    if (days < 7 || days > 90) problems.push(`vault '${vault.name}': softDeleteRetentionDays must be 7-90`)
    if (!vault.subscriptionId || !vault.geography) {
      problems.push(`vault '${vault.name}': subscriptionId and geography are required`)
      continue
    }
    if (!layout.tenants?.length) continue
    const tenant = tenantOfVault(layout, vault)
    if (!tenant) {
      problems.push(`vault '${vault.name}': tenant '${vault.tenant}' is not in the layout`)
      continue
    }
    if (vault.cloud && vault.cloud !== cloudOfTenant(tenant)) {
      problems.push(
        `vault '${vault.name}': cloud ${vault.cloud} is not its tenant's (${cloudOfTenant(tenant)})`
      )
    }
    const owner = subscriptions.get(vault.subscriptionId.toLowerCase())
    if (owner && owner.toLowerCase() !== tenant.tenantId.toLowerCase()) {
      problems.push(`vault '${vault.name}': subscription ${vault.subscriptionId} belongs to another tenant`)
    }
  }
  return problems
}

/** Normalizes and checks a layout; throws one error listing every problem. */
export function checkLayout(input: LayoutInput, source = 'layout'): TestbedLayout {
  const layout = normalizeLayout(input)
  const problems = layoutProblems(layout)
  if (problems.length) throw new Error(`Invalid test bed layout ${source}:\n- ${problems.join('\n- ')}`)
  return layout
}

/** Reads and checks a layout file (JSON, schema in testbed/README.md). */
export function loadLayout(path: string): TestbedLayout {
  return checkLayout(JSON.parse(readFileSync(path, 'utf8')) as LayoutInput, path)
}

/**
 * The default layout (testbed/layout.json). Default tenant: prod and staging (one world), protected
 * (purge protection), elsewhere (another geography). Tenant `partner`: vault partner (its own app).
 * Tenants `usgov` and `china`: vaults usgov and china in the sovereign clouds.
 */
export function defaultLayout(): TestbedLayout {
  return loadLayout(DEFAULT_LAYOUT_PATH)
}
