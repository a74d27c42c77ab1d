import { KeyVaultManagementClient, type Vault } from '@azure/arm-keyvault'
import { SubscriptionClient, type Subscription } from '@azure/arm-resources-subscriptions'
import type { TokenCredential } from '@azure/identity'
import type { CloudSettings } from '../core/cloud.js'
import type { FleetVault } from '../core/fleet.js'
import type { Page } from '../core/paging.js'
import { pageLinkPolicy, readPage } from './paging.js'
import { keepAliveProxyAgent } from './proxy-agent.js'

/** A subscription the identity can list. */
export interface ArmSubscription {
  subscriptionId: string
  displayName: string
  tenantId?: string
  state?: string
}

/**
 * Resource Manager as discovery reads it: one page per call, so the caller retries a failed page
 * alone (under its RateController) and resumes at the page's continuation token.
 */
export interface ManagementPlane {
  /** One page of the subscriptions the identity can see (`Subscriptions_List`). */
  subscriptions(continuationToken?: string): Promise<Page<ArmSubscription>>
  /** One page of a subscription's vaults the identity may read (`Vaults_ListBySubscription`). */
  vaults(subscriptionId: string, continuationToken?: string): Promise<Page<FleetVault>>
}

export interface ManagementOptions {
  /** `keyvault-backup/<version>`, before the SDK's own User-Agent. */
  userAgent: string
}

/**
 * The management plane of `cloud` through the official clients, signed in with `credential` (the
 * run's credential of the identity: it keeps one token per scope, shared with the data plane). The
 * endpoint and token scope are the cloud's for both clients: SubscriptionClient would otherwise ask
 * for a public-cloud token whatever its endpoint.
 */
export function createManagementPlane(
  cloud: CloudSettings,
  credential: TokenCredential,
  settings: ManagementOptions
): ManagementPlane {
  const agent = keepAliveProxyAgent()
  const options = {
    endpoint: cloud.managementEndpoint,
    credentials: { scopes: [`${cloud.managementEndpoint}/.default`] },
    // Retries go through our RateController (ARM answers 429 with Retry-After): one retry layer.
    retryOptions: { maxRetries: 0 },
    userAgentOptions: { userAgentPrefix: settings.userAgent },
    ...(agent && { agent }),
    // Lets readPage tell the last page from one whose link the SDK did not hand back.
    additionalPolicies: [{ policy: pageLinkPolicy, position: 'perCall' as const }]
  }
  const subscriptionClient = new SubscriptionClient(credential, options)
  const vaultClients = new Map<string, KeyVaultManagementClient>()
  const vaultClient = (subscriptionId: string): KeyVaultManagementClient => {
    let client = vaultClients.get(subscriptionId)
    if (!client) {
      client = new KeyVaultManagementClient(credential, subscriptionId, options)
      vaultClients.set(subscriptionId, client)
    }
    return client
  }
  return {
    async subscriptions(continuationToken) {
      const page = await readPage<Subscription>(
        s => subscriptionClient.subscriptions.list().byPage(s),
        continuationToken
      )
      return mapPage(page, toSubscription)
    },
    async vaults(subscriptionId, continuationToken) {
      const page = await readPage<Vault>(
        s => vaultClient(subscriptionId).vaults.listBySubscription().byPage(s),
        continuationToken
      )
      return mapPage(page, vault => toFleetVault(vault, subscriptionId, cloud))
    }
  }
}

const mapPage = <T, U>(page: Page<T>, map: (t: T) => U): Page<U> => ({
  items: page.items.map(map),
  ...(page.continuationToken && { continuationToken: page.continuationToken })
})

function toSubscription(s: Subscription): ArmSubscription {
  return {
    subscriptionId: s.subscriptionId ?? '',
    displayName: s.displayName ?? '',
    ...(s.tenantId && { tenantId: s.tenantId }),
    ...(s.state && { state: s.state })
  }
}

/** `/subscriptions/{sub}/resourceGroups/{rg}/providers/...` -> `rg`. */
export function resourceGroupOf(id: string): string {
  return /\/resourceGroups\/([^/]+)/i.exec(id)?.[1] ?? ''
}

/**
 * A listed vault as plain data. Resource Manager leaves `enablePurgeProtection` and
 * `enableRbacAuthorization` out unless they are true (recorded answers do), and soft delete is on
 * unless it says otherwise. The URL is the vault's origin, without the trailing `/` of `vaultUri`.
 */
export function toFleetVault(vault: Vault, subscriptionId: string, cloud: CloudSettings): FleetVault {
  const p = vault.properties
  const name = vault.name ?? ''
  let url = `https://${name.toLowerCase()}.${cloud.vaultSuffix}`
  try {
    if (p?.vaultUri) url = new URL(p.vaultUri).origin
  } catch {
    // A malformed vaultUri: the name in the cloud's suffix is the vault's address.
  }
  const id = vault.id ?? ''
  return {
    name,
    url,
    id,
    subscriptionId,
    resourceGroup: resourceGroupOf(id),
    location: vault.location ?? '',
    tenantId: p?.tenantId ?? '',
    tags: { ...(vault.tags ?? {}) },
    softDelete: p?.enableSoftDelete !== false,
    purgeProtection: p?.enablePurgeProtection === true,
    permissionModel: p?.enableRbacAuthorization === true ? 'rbac' : 'access-policy'
  }
}
