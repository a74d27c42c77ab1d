/**
 * The test bed's layout: tenant, app registrations, GitHub identity and vaults. `npm run testbed`
 * reads it from a JSON file (see testbed/README.md); tests build it in code from `defaultLayout()`.
 */

export type ObjectType = 'secrets' | 'keys' | 'certificates'

/** Access-policy permissions, as in the Azure portal (lower case): e.g. `get list backup restore`. */
export interface AccessPolicy {
  objectId: string
  permissions: Partial<Record<ObjectType, string[]>>
}

/**
 * An RBAC role assignment. `role` is a built-in role name ('Key Vault Administrator',
 * 'Key Vault Secrets Officer', 'Key Vault Crypto Officer', 'Key Vault Certificates Officer',
 * 'Key Vault Reader'); `dataActions` lists data actions directly (a custom role), e.g.
 * 'Microsoft.KeyVault/vaults/secrets/backup/action'. Wildcards `*` are allowed as in Azure.
 */
export interface RoleAssignment {
  principalId: string
  role?: string
  dataActions?: string[]
}

export interface VaultConfig {
  /** The vault name: `https://<name>.vault.azure.net` through the proxy. */
  name: string
  subscriptionId: string
  /** Azure region, e.g. `westeurope`; shown in 403 messages. */
  location: string
  /** Azure geography; a backup blob restores only within the same subscription and geography. */
  geography: string
  /** 7-90, default 90. */
  softDeleteRetentionDays?: number
  /** Default false. Under purge protection nothing can be purged before retention ends. */
  purgeProtection?: boolean
  /** Default 'rbac'. */
  accessModel?: 'rbac' | 'accessPolicy'
  accessPolicies?: AccessPolicy[]
  roleAssignments?: RoleAssignment[]
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

export interface TestbedLayout {
  tenantId: string
  apps: AppRegistration[]
  github: {
    repository: string
    /** The `sub` claim of the OIDC tokens the fake GitHub issues. */
    subject: string
    runId: string
  }
  vaults: VaultConfig[]
}

export const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com'
export const DEFAULT_AUDIENCE = 'api://AzureADTokenExchange'

/** The default layout: prod and staging (same world), protected (purge protection), elsewhere (another geography). */
export function defaultLayout(): TestbedLayout {
  const tenantId = '72f988bf-0000-4000-8000-00000000a001'
  const subscriptionId = '5f1c0000-0000-4000-8000-00000000b001'
  const app: AppRegistration = {
    clientId: 'a11c0000-0000-4000-8000-00000000c001',
    objectId: 'a11c0000-0000-4000-8000-00000000d001',
    clientSecret: 'test-bed-client-secret',
    federatedCredentials: [
      {
        issuer: GITHUB_ISSUER,
        subject: 'repo:octo-org/octo-repo:ref:refs/heads/main',
        audiences: [DEFAULT_AUDIENCE]
      }
    ]
  }
  const admin: RoleAssignment[] = [{ principalId: app.objectId, role: 'Key Vault Administrator' }]
  const vault = (name: string, extra: Partial<VaultConfig> = {}): VaultConfig => ({
    name,
    subscriptionId,
    location: 'westeurope',
    geography: 'Europe',
    softDeleteRetentionDays: 90,
    purgeProtection: false,
    accessModel: 'rbac',
    roleAssignments: admin,
    ...extra
  })
  return {
    tenantId,
    apps: [app],
    github: {
      repository: 'octo-org/octo-repo',
      subject: 'repo:octo-org/octo-repo:ref:refs/heads/main',
      runId: '1001'
    },
    vaults: [
      vault('prod'),
      vault('staging'),
      vault('protected', { purgeProtection: true }),
      vault('elsewhere', { location: 'eastus', geography: 'United States' })
    ]
  }
}
