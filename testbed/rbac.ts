/**
 * Azure RBAC as both planes of the test bed use it: the built-in role definitions (actions for Resource
 * Manager, data actions for the vault data plane, as published in Azure's built-in roles reference), `*`
 * wildcards, and assignments inherited down the scopes subscription > resource group > vault.
 */
import type { RoleAssignment } from './config.js'

export interface RoleDefinition {
  actions: string[]
  notActions?: string[]
  dataActions: string[]
}

/** The management actions every Key Vault data role carries (Azure's built-in role definitions). */
const KEY_VAULT_ROLE_ACTIONS = [
  'Microsoft.Authorization/*/read',
  'Microsoft.Insights/alertRules/*',
  'Microsoft.Resources/deployments/*',
  'Microsoft.Resources/subscriptions/resourceGroups/read',
  'Microsoft.Support/*',
  'Microsoft.KeyVault/checkNameAvailability/read',
  'Microsoft.KeyVault/deletedVaults/read',
  'Microsoft.KeyVault/locations/*/read',
  'Microsoft.KeyVault/vaults/*/read',
  'Microsoft.KeyVault/operations/read'
]

/**
 * Built-in roles. Note `Microsoft.KeyVault/vaults/*\/read` (in every Key Vault data role) does not cover
 * `Microsoft.KeyVault/vaults/read` here: `*` stands for at least the text between two slashes. Whether
 * Azure reads it so is UNCONFIRMED; the test bed takes the stricter reading, so listing vaults through
 * Resource Manager needs Reader (or a custom role with `Microsoft.KeyVault/vaults/read`).
 */
export const BUILT_IN_ROLES: Record<string, RoleDefinition> = {
  Owner: { actions: ['*'], dataActions: [] },
  Contributor: {
    actions: ['*'],
    notActions: [
      'Microsoft.Authorization/*/Delete',
      'Microsoft.Authorization/*/Write',
      'Microsoft.Authorization/elevateAccess/Action'
    ],
    dataActions: []
  },
  Reader: { actions: ['*/read'], dataActions: [] },
  'Key Vault Contributor': {
    actions: [
      'Microsoft.Authorization/*/read',
      'Microsoft.Insights/alertRules/*',
      'Microsoft.KeyVault/*',
      'Microsoft.Resources/deployments/*',
      'Microsoft.Resources/subscriptions/resourceGroups/read',
      'Microsoft.Support/*'
    ],
    notActions: [
      'Microsoft.KeyVault/locations/deletedVaults/purge/action',
      'Microsoft.KeyVault/hsmPools/*',
      'Microsoft.KeyVault/managedHsms/*'
    ],
    dataActions: []
  },
  'Key Vault Administrator': {
    actions: KEY_VAULT_ROLE_ACTIONS,
    dataActions: ['Microsoft.KeyVault/vaults/*']
  },
  'Key Vault Secrets Officer': {
    actions: KEY_VAULT_ROLE_ACTIONS,
    dataActions: ['Microsoft.KeyVault/vaults/secrets/*']
  },
  'Key Vault Secrets User': {
    actions: [],
    dataActions: [
      'Microsoft.KeyVault/vaults/secrets/getSecret/action',
      'Microsoft.KeyVault/vaults/secrets/readMetadata/action'
    ]
  },
  'Key Vault Crypto Officer': {
    actions: KEY_VAULT_ROLE_ACTIONS,
    dataActions: ['Microsoft.KeyVault/vaults/keys/*', 'Microsoft.KeyVault/vaults/keyrotationpolicies/*']
  },
  // Azure's Certificates Officer also manages issuers and contacts; the certificate's own key and
  // secret come with the certificate operations, which need no keys/* or secrets/* action.
  'Key Vault Certificates Officer': {
    actions: KEY_VAULT_ROLE_ACTIONS,
    dataActions: [
      'Microsoft.KeyVault/vaults/certificatecas/*',
      'Microsoft.KeyVault/vaults/certificates/*',
      'Microsoft.KeyVault/vaults/certificatecontacts/write'
    ]
  },
  'Key Vault Certificate User': {
    actions: [],
    dataActions: [
      'Microsoft.KeyVault/vaults/certificates/read',
      'Microsoft.KeyVault/vaults/secrets/getSecret/action',
      'Microsoft.KeyVault/vaults/secrets/readMetadata/action',
      'Microsoft.KeyVault/vaults/keys/read'
    ]
  },
  'Key Vault Reader': {
    actions: KEY_VAULT_ROLE_ACTIONS,
    dataActions: ['Microsoft.KeyVault/vaults/*/read', 'Microsoft.KeyVault/vaults/secrets/readMetadata/action']
  }
}

const patterns = new Map<string, RegExp>()

/** Azure's wildcard match, case-insensitive: `*` stands for any text. */
export function globMatch(pattern: string, value: string): boolean {
  let re = patterns.get(pattern)
  if (!re) {
    re = new RegExp(
      '^' +
        pattern
          .split('*')
          .map(s => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
          .join('.*') +
        '$',
      'i'
    )
    patterns.set(pattern, re)
  }
  return re.test(value)
}

/** The actions and data actions one assignment grants (built-in role plus custom lists). */
export function grantsOf(assignment: RoleAssignment): RoleDefinition {
  const role = assignment.role ? BUILT_IN_ROLES[assignment.role] : undefined
  return {
    actions: [...(role?.actions ?? []), ...(assignment.actions ?? [])],
    notActions: role?.notActions ?? [],
    dataActions: [...(role?.dataActions ?? []), ...(assignment.dataActions ?? [])]
  }
}

/** Whether any of `principalId`'s assignments grants the management `action`. */
export function allowsAction(
  assignments: readonly RoleAssignment[],
  principalId: string,
  action: string
): boolean {
  return assignments
    .filter(a => a.principalId.toLowerCase() === principalId.toLowerCase())
    .some(a => {
      const grants = grantsOf(a)
      return (
        grants.actions.some(p => globMatch(p, action)) &&
        !(grants.notActions ?? []).some(p => globMatch(p, action))
      )
    })
}

/** Whether any of `principalId`'s assignments grants the data action (e.g. `Microsoft.KeyVault/vaults/secrets/backup/action`). */
export function allowsDataAction(
  assignments: readonly RoleAssignment[],
  principalId: string,
  dataAction: string
): boolean {
  return assignments
    .filter(a => a.principalId.toLowerCase() === principalId.toLowerCase())
    .some(a => grantsOf(a).dataActions.some(p => globMatch(p, dataAction)))
}
