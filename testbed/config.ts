/**
 * The test bed's layout: tenant, app registrations, GitHub identity and vaults. `npm run testbed`
 * reads it from a JSON file (see testbed/README.md); tests build it in code from `defaultLayout()`.
 */

import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { VaultBehaviour } from './keyvault/behaviour.js'

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
  /** Behaviour of every vault; defaults are the real service's (see keyvault/behaviour.ts). */
  behaviour?: Partial<VaultBehaviour>
  /** Lifetime of Entra access tokens (default 3599 s) and of GitHub OIDC tokens (default 300 s). */
  accessTokenLifetimeSeconds?: number
  oidcTokenLifetimeSeconds?: number
}

export const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com'
export const DEFAULT_AUDIENCE = 'api://AzureADTokenExchange'
export const DEFAULT_LAYOUT_PATH = join(dirname(fileURLToPath(import.meta.url)), 'layout.json')

/** Reads and checks a layout file (JSON, schema in testbed/README.md). */
export function loadLayout(path: string): TestbedLayout {
  const layout = JSON.parse(readFileSync(path, 'utf8')) as TestbedLayout
  const problems: string[] = []
  if (typeof layout.tenantId !== 'string') problems.push('tenantId must be a string')
  if (!Array.isArray(layout.apps) || layout.apps.length === 0)
    problems.push('apps must list at least one app')
  if (!layout.github?.repository?.includes('/')) problems.push('github.repository must be owner/name')
  if (!Array.isArray(layout.vaults)) problems.push('vaults must be a list')
  for (const vault of layout.vaults ?? []) {
    if (!/^[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$/.test(vault.name ?? '')) {
      problems.push(`vault name '${vault.name}' must be 3-24 letters, digits and dashes`)
    }
    const days = vault.softDeleteRetentionDays ?? 90
    if (days < 7 || days > 90) problems.push(`vault '${vault.name}': softDeleteRetentionDays must be 7-90`)
    if (!vault.subscriptionId || !vault.geography) {
      problems.push(`vault '${vault.name}': subscriptionId and geography are required`)
    }
  }
  if (problems.length) throw new Error(`Invalid test bed layout ${path}:\n- ${problems.join('\n- ')}`)
  return layout
}

/** The default layout (testbed/layout.json): prod and staging (one world), protected (purge protection), elsewhere (another geography). */
export function defaultLayout(): TestbedLayout {
  return loadLayout(DEFAULT_LAYOUT_PATH)
}
