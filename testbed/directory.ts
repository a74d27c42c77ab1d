/**
 * The layout seen as a directory: tenants with their cloud and apps, subscriptions with their tenant and
 * role assignments, and vaults placed in tenant, cloud, subscription and resource group. Entra, the vault
 * emulator and the fake Resource Manager all answer from one directory, so the three agree.
 */
import { CLOUDS, type Cloud } from './clouds.js'
import {
  cloudOfTenant,
  DEFAULT_RESOURCE_GROUP,
  findTenant,
  tenantOfVault,
  type AppRegistration,
  type RoleAssignment,
  type SubscriptionConfig,
  type TenantConfig,
  type TestbedLayout,
  type VaultConfig
} from './config.js'

export interface DirectorySubscription {
  config: SubscriptionConfig
  tenant: TenantConfig
  cloud: Cloud
}

export interface DirectoryVault {
  config: VaultConfig
  tenant: TenantConfig
  cloud: Cloud
  resourceGroup: string
  /** `/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.KeyVault/vaults/{name}` */
  resourceId: string
}

const same = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase()

export class Directory {
  /**
   * @param vaultConfigs the vaults as they are now (vaults created at run time through the control server
   *   join the directory); defaults to the layout's.
   * @param vaultCount how many there are, cheaply (vaults are only ever added).
   */
  constructor(
    readonly layout: TestbedLayout,
    private readonly vaultConfigs: () => readonly VaultConfig[] = () => layout.vaults,
    private readonly vaultCount: () => number = () => vaultConfigs().length
  ) {}

  get tenants(): readonly TenantConfig[] {
    return this.layout.tenants
  }

  get defaultTenant(): TenantConfig {
    return this.layout.tenants[0]
  }

  /** A tenant by `name` or `tenantId`. */
  tenant(nameOrId: string): TenantConfig | undefined {
    return findTenant(this.layout, nameOrId)
  }

  cloudOf(tenant: TenantConfig): Cloud {
    return CLOUDS[cloudOfTenant(tenant)]
  }

  /** An app registered in the tenant. */
  app(tenant: TenantConfig, clientId: string): AppRegistration | undefined {
    return tenant.apps.find(a => same(a.clientId, clientId))
  }

  /** The tenant a vault belongs to (the default tenant when its `tenant` names none: the layout check refuses that). */
  vaultTenant(config: VaultConfig): TenantConfig {
    return tenantOfVault(this.layout, config) ?? this.defaultTenant
  }

  /** Places a vault: tenant, cloud, resource group and ARM id. */
  place(config: VaultConfig): DirectoryVault {
    const tenant = this.vaultTenant(config)
    const resourceGroup = config.resourceGroup ?? DEFAULT_RESOURCE_GROUP
    return {
      config,
      tenant,
      cloud: this.cloudOf(tenant),
      resourceGroup,
      resourceId: `/subscriptions/${config.subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.KeyVault/vaults/${config.name}`
    }
  }

  vaults(): DirectoryVault[] {
    return this.vaultConfigs().map(v => this.place(v))
  }

  private cache?: { vaultCount: number; subscriptions: Map<string, DirectorySubscription> }

  /** Every subscription: those the tenants declare, then those only vaults name (in the vault's tenant). */
  subscriptions(): DirectorySubscription[] {
    return [...this.subscriptionMap().values()]
  }

  /** Subscriptions by lower-case id, rebuilt when vaults are added (they are never removed). */
  private subscriptionMap(): Map<string, DirectorySubscription> {
    const vaultCount = this.vaultCount()
    if (this.cache?.vaultCount === vaultCount) return this.cache.subscriptions
    const found = new Map<string, DirectorySubscription>()
    for (const tenant of this.tenants) {
      for (const config of tenant.subscriptions ?? []) {
        found.set(config.subscriptionId.toLowerCase(), { config, tenant, cloud: this.cloudOf(tenant) })
      }
    }
    for (const vault of this.vaultConfigs()) {
      const key = vault.subscriptionId.toLowerCase()
      if (found.has(key)) continue
      const tenant = this.vaultTenant(vault)
      found.set(key, {
        config: { subscriptionId: vault.subscriptionId },
        tenant,
        cloud: this.cloudOf(tenant)
      })
    }
    this.cache = { vaultCount, subscriptions: found }
    return found
  }

  subscription(subscriptionId: string): DirectorySubscription | undefined {
    return this.subscriptionMap().get(subscriptionId.toLowerCase())
  }

  /** Role assignments at the subscription scope and at the vault's resource group scope. */
  inheritedAssignments(config: VaultConfig): RoleAssignment[] {
    const sub = this.subscription(config.subscriptionId)?.config
    if (!sub) return []
    const group = config.resourceGroup ?? DEFAULT_RESOURCE_GROUP
    const rg = (sub.resourceGroups ?? []).find(g => same(g.name, group))
    return [...(sub.roleAssignments ?? []), ...(rg?.roleAssignments ?? [])]
  }

  /** Every assignment that applies to the vault: subscription, resource group and vault scope. */
  assignmentsOn(config: VaultConfig): RoleAssignment[] {
    return [...this.inheritedAssignments(config), ...(config.roleAssignments ?? [])]
  }

  /** Every assignment anywhere in the subscription (its scope, its resource groups, its vaults). */
  assignmentsWithin(subscriptionId: string): RoleAssignment[] {
    const sub = this.subscription(subscriptionId)?.config
    const vaults = this.vaultConfigs().filter(v => same(v.subscriptionId, subscriptionId))
    return [
      ...(sub?.roleAssignments ?? []),
      ...(sub?.resourceGroups ?? []).flatMap(g => g.roleAssignments ?? []),
      ...vaults.flatMap(v => v.roleAssignments ?? [])
    ]
  }

  /** Resource groups that exist in a subscription: declared ones and those vaults name. */
  resourceGroups(subscriptionId: string): string[] {
    const names = new Map<string, string>()
    for (const g of this.subscription(subscriptionId)?.config.resourceGroups ?? [])
      names.set(g.name.toLowerCase(), g.name)
    for (const v of this.vaultConfigs()) {
      const name = v.resourceGroup ?? DEFAULT_RESOURCE_GROUP
      if (same(v.subscriptionId, subscriptionId) && !names.has(name.toLowerCase()))
        names.set(name.toLowerCase(), name)
    }
    return [...names.values()]
  }
}
