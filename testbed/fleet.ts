/**
 * Fleet layouts: many vaults, generated in code, for discovery through Resource Manager. Vaults are
 * served lazily (a vault's HTTPS server starts on the first connection to its host name), so a fleet of
 * 2,000 costs little until its data plane is used.
 *
 * The default tenant and its first app are the default layout's (`AZURE_TENANT_ID`, `AZURE_CLIENT_ID`);
 * the second tenant is the default layout's `partner`. What the first app sees in the default tenant's
 * subscriptions, in order (the last ones exist when there are enough subscriptions):
 *   - Reader on the subscription: every vault listed (the first also carries Key Vault Administrator at
 *     subscription scope, inherited by its vaults' data plane);
 *   - Reader on half the resource groups only: the subscription lists only their vaults;
 *   - a data role on one vault and no read anywhere: the subscription is listed, its vault listing 403s;
 *   - nothing at all: the subscription is not listed.
 * In the fully readable subscriptions most vaults grant a Key Vault data role, a few (every 37th) none,
 * and every 11th uses access policies. Other tenants' vaults belong to their own first app only.
 */
import {
  DEFAULT_AUDIENCE,
  defaultLayout,
  GITHUB_ISSUER,
  type AccessPolicy,
  type RoleAssignment,
  type SubscriptionConfig,
  type TenantConfig,
  type TestbedLayout,
  type VaultConfig
} from './config.js'

export interface FleetOptions {
  /** Default 600. */
  vaults?: number
  /** Default 5 (at least one per tenant). */
  subscriptions?: number
  /** Default 2. */
  tenants?: number
  /** Seeds the choices (names, regions, roles); default 1. */
  seed?: number
}

/** How the first app of the default tenant is placed in each subscription of that tenant. */
export type FleetAccess = 'reader' | 'resourceGroups' | 'dataOnly' | 'none'

const TEAMS = [
  'billing',
  'orders',
  'search',
  'identity',
  'payments',
  'catalog',
  'shipping',
  'ledger',
  'reports',
  'gateway',
  'mobile',
  'web',
  'data',
  'ml',
  'infra',
  'audit'
]
const ENVS = ['prod', 'stg', 'dev', 'qa', 'test']
const REGIONS: Array<{ location: string; geography: string; short: string }> = [
  { location: 'westeurope', geography: 'Europe', short: 'weu' },
  { location: 'northeurope', geography: 'Europe', short: 'neu' },
  { location: 'eastus', geography: 'United States', short: 'eus' },
  { location: 'eastus2', geography: 'United States', short: 'eus2' },
  { location: 'westus2', geography: 'United States', short: 'wus2' },
  { location: 'uksouth', geography: 'United Kingdom', short: 'uks' },
  { location: 'australiaeast', geography: 'Australia', short: 'aue' },
  { location: 'japaneast', geography: 'Japan', short: 'jpe' },
  { location: 'canadacentral', geography: 'Canada', short: 'cac' },
  { location: 'southeastasia', geography: 'Asia Pacific', short: 'sea' },
  { location: 'francecentral', geography: 'France', short: 'frc' },
  { location: 'germanywestcentral', geography: 'Germany', short: 'gwc' }
]

/** mulberry32: small, seeded, reproducible. */
function random(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const guid = (prefix: string, n: number): string =>
  `${prefix}-0000-4000-8000-${n.toString(16).padStart(12, '0')}`

/** The first app's access in each of the default tenant's `count` subscriptions (see the file comment). */
export function fleetAccessPlan(count: number): FleetAccess[] {
  const plan: FleetAccess[] = Array.from({ length: count }, () => 'reader')
  if (count >= 4) plan[count - 1] = 'none'
  if (count >= 3) plan[count >= 4 ? count - 2 : count - 1] = 'dataOnly'
  if (count >= 2) plan[count >= 4 ? count - 3 : count >= 3 ? count - 2 : count - 1] = 'resourceGroups'
  return plan
}

/** A fleet layout (see the file comment): e.g. `fleetLayout()` or `fleetLayout({ vaults: 2000, subscriptions: 10 })`. */
export function fleetLayout(options: FleetOptions = {}): TestbedLayout {
  const vaultCount = options.vaults ?? 600
  const tenantCount = Math.max(1, options.tenants ?? 2)
  const subscriptionCount = Math.max(tenantCount, options.subscriptions ?? 5)
  const rand = random(options.seed ?? 1)
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]
  const base = defaultLayout()
  const partner = base.tenants.find(t => t.name === 'partner')!

  // Tenants: the default layout's default tenant and partner, then generated ones.
  const tenants: TenantConfig[] = Array.from({ length: tenantCount }, (_, t) => {
    const source = t === 0 ? base.tenants[0] : t === 1 ? partner : undefined
    const app = source?.apps[0] ?? {
      clientId: guid('a11c0000', 0xc000 + t + 1),
      objectId: guid('a11c0000', 0xd000 + t + 1),
      clientSecret: `test-bed-fleet-secret-${t + 1}`,
      federatedCredentials: [
        { issuer: GITHUB_ISSUER, subject: base.github.subject, audiences: [DEFAULT_AUDIENCE] }
      ]
    }
    return {
      tenantId: source?.tenantId ?? guid('9b5c0000', 0xa000 + t + 1),
      ...(t > 0 ? { name: source?.name ?? `fleet${t + 1}` } : {}),
      displayName: source?.displayName ?? `Fleet tenant ${t + 1}`,
      defaultDomain: source?.defaultDomain ?? `fleet${t + 1}.onmicrosoft.com`,
      apps: [app],
      subscriptions: []
    }
  })

  // Subscriptions: the other tenants get a few each from the end, the default tenant the rest.
  const perOther = Math.max(1, Math.floor(subscriptionCount / (2 * tenantCount)))
  const owners: number[] = Array.from({ length: subscriptionCount }, (_, i) => {
    const fromEnd = subscriptionCount - 1 - i
    const other = tenantCount - 1 - Math.floor(fromEnd / perOther)
    return fromEnd < perOther * (tenantCount - 1) ? other : 0
  })
  const defaultSubs = owners.filter(o => o === 0).length
  const plan = fleetAccessPlan(defaultSubs)
  const subscriptions = owners.map((owner, i) => {
    const config: SubscriptionConfig = {
      subscriptionId: guid('5f1c0000', 0xf000 + i + 1),
      displayName: `${owner === 0 ? 'Contoso' : tenants[owner].displayName} ${['Production', 'Shared', 'Sandbox', 'Platform', 'Analytics'][i % 5]} ${i + 1}`,
      roleAssignments: [],
      resourceGroups: []
    }
    tenants[owner].subscriptions!.push(config)
    const access = owner === 0 ? plan[owners.slice(0, i).filter(o => o === 0).length] : undefined
    return { config, owner, access }
  })

  const firstApp = tenants[0].apps[0].objectId
  for (const [t, tenant] of tenants.entries()) {
    const oid = tenant.apps[0].objectId
    for (const sub of subscriptions.filter(s => s.owner === t)) {
      if (t > 0) sub.config.roleAssignments!.push({ principalId: oid, role: 'Reader' })
      if (t > 0) sub.config.roleAssignments!.push({ principalId: oid, role: 'Key Vault Administrator' })
      if (sub.access === 'reader') sub.config.roleAssignments!.push({ principalId: firstApp, role: 'Reader' })
    }
  }
  const firstReader = subscriptions.find(s => s.access === 'reader')
  firstReader?.config.roleAssignments!.push({ principalId: firstApp, role: 'Key Vault Administrator' })

  // Vaults, spread over the subscriptions with uneven weights.
  const weights = subscriptions.map((_, i) => 1 + ((i * 7) % 5) / 4)
  const total = weights.reduce((a, b) => a + b, 0)
  const counts = weights.map(w => Math.floor((vaultCount * w) / total))
  for (let i = 0; counts.reduce((a, b) => a + b, 0) < vaultCount; i++) counts[i % counts.length]++
  const names = new Set<string>()
  const groupStyle = (team: string): number => TEAMS.indexOf(team) % 3
  const vaults: VaultConfig[] = []
  let k = 0
  for (const [i, sub] of subscriptions.entries()) {
    const tenant = tenants[sub.owner]
    const oid = tenant.apps[0].objectId
    const groups = new Set<string>()
    const dataOnlyTarget = vaults.length
    for (let n = 0; n < counts[i]; n++, k++) {
      const team = pick(TEAMS)
      const env = pick(ENVS)
      const region = pick(REGIONS)
      const style = Math.floor(rand() * 4)
      let name =
        style === 0
          ? `kv-${team}-${env}-${region.short}`
          : style === 1
            ? `${team}-${env}-kv`
            : style === 2
              ? `${team}${env}${region.short}`
              : `kv${team}${env}`
      name = unique(name.slice(0, 21), names)
      const resourceGroup = [
        `rg-${team}-${env}`,
        `${team}-${env}-rg`,
        `RG-${team.toUpperCase()}-${env.toUpperCase()}`
      ][groupStyle(team)]
      groups.add(resourceGroup)
      const tags: Record<string, string> =
        k % 9 === 0 ? {} : { env, team, costCenter: `cc-${1000 + TEAMS.indexOf(team)}` }
      if (k % 5 === 0 && k % 9 !== 0) tags.owner = `${team}-owners@contoso.com`
      const accessPolicy = k % 11 === 5
      const vault: VaultConfig = {
        name,
        subscriptionId: sub.config.subscriptionId,
        location: region.location,
        geography: region.geography,
        resourceGroup,
        tags,
        sku: k % 20 === 0 ? 'premium' : k % 3 === 0 ? 'Standard' : 'standard',
        softDeleteRetentionDays: k % 13 === 0 ? 7 : k % 7 === 0 ? 30 : 90,
        purgeProtection: k % 5 === 2,
        accessModel: accessPolicy ? 'accessPolicy' : 'rbac',
        ...(sub.owner > 0 ? { tenant: tenant.name } : {})
      }
      const owner = sub.owner === 0 ? firstApp : oid
      if (accessPolicy) {
        const policy: AccessPolicy = {
          objectId: k % 22 === 5 ? guid('0bad0000', k) : owner,
          permissions: {
            secrets: ['get', 'list', 'backup', 'restore'],
            keys: ['get', 'list', 'backup', 'restore'],
            certificates: ['get', 'list', 'backup', 'restore']
          }
        }
        vault.accessPolicies = [policy]
      } else if (
        (sub.access === 'reader' || sub.access === 'resourceGroups') &&
        sub !== firstReader &&
        k % 37 !== 0
      ) {
        const role =
          rand() < 0.75
            ? 'Key Vault Administrator'
            : rand() < 0.6
              ? 'Key Vault Secrets Officer'
              : 'Key Vault Reader'
        vault.roleAssignments = [{ principalId: firstApp, role }]
      }
      vaults.push(vault)
    }
    if (sub.access === 'resourceGroups') {
      const sorted = [...groups].sort()
      sub.config.resourceGroups = sorted
        .filter((_, g) => g % 2 === 0)
        .map(name => ({
          name,
          roleAssignments: [{ principalId: firstApp, role: 'Reader' } as RoleAssignment]
        }))
    }
    if (sub.access === 'dataOnly' && vaults.length > dataOnlyTarget) {
      const target = vaults[dataOnlyTarget]
      target.accessModel = 'rbac'
      delete target.accessPolicies
      target.roleAssignments = [{ principalId: firstApp, role: 'Key Vault Secrets User' }]
    }
  }

  return {
    tenantId: tenants[0].tenantId,
    apps: tenants[0].apps,
    tenants,
    github: { ...base.github },
    vaults,
    lazyVaults: true
  }
}

/** `name`, or `name` with a number that makes it unused (vault names are unique across the test bed). */
function unique(name: string, taken: Set<string>): string {
  const clean = name.replace(/-+$/, '')
  let candidate = clean.length >= 3 ? clean : `${clean}kv`
  for (let n = 2; taken.has(candidate.toLowerCase()); n++) candidate = `${clean}${n}`.slice(0, 24)
  taken.add(candidate.toLowerCase())
  return candidate
}
