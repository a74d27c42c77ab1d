import { escapeLog } from './text.js'
import type { ItemType } from './types.js'

/** The message of anything thrown, including non-Error values, on one safe line. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message || error.name
  if (typeof error === 'string') return error
  try {
    return JSON.stringify(error) ?? String(error)
  } catch {
    return String(error)
  }
}

// Built-in roles that grant each data action family (besides Key Vault Administrator).
const OFFICER_ROLE: Record<ItemType, string> = {
  secrets: 'Key Vault Secrets Officer',
  keys: 'Key Vault Crypto Officer',
  certificates: 'Key Vault Certificates Officer'
}

/** The vault operations we perform; each maps to one data action. */
export type VaultOperation = 'list' | 'backup' | 'restore' | 'delete' | 'purge' | 'recover'

/** The data action an operation needs on an RBAC vault. */
export function requiredDataAction(type: ItemType, operation: VaultOperation): string {
  const verb =
    operation === 'list'
      ? type === 'secrets'
        ? 'readMetadata/action'
        : 'read'
      : operation === 'delete'
        ? 'delete'
        : `${operation}/action`
  return `Microsoft.KeyVault/vaults/${type}/${verb}`
}

interface ServiceErrorShape {
  statusCode?: number
  code?: string
  message?: string
}

/**
 * Explains a failed vault call in words a user can act on. A 403 names the missing data action (or
 * access-policy permission) and the role that grants it, taken from the service's own message when
 * it says (`Action: '...'` on RBAC vaults, `does not have secrets backup permission` on access-policy
 * vaults) and otherwise from the operation we attempted.
 */
export function describeVaultError(error: unknown, type: ItemType, operation: VaultOperation): string {
  const shape = (typeof error === 'object' && error !== null ? error : {}) as ServiceErrorShape
  const message = escapeLog(errorMessage(error).split('\n')[0])
  if (shape.statusCode !== 403) {
    const status = shape.statusCode ? ` (${shape.statusCode}${shape.code ? ` ${shape.code}` : ''})` : ''
    return `${message}${status}`
  }
  if (/associated with a certificate/i.test(message)) {
    return `${message} (403: back up the certificate instead; it covers this item)`
  }
  const policy = /does not have (\w+) (\w+) permission/i.exec(message)
  if (policy) {
    const [, family, permission] = policy
    return (
      `Permission denied: the vault's access policy for this identity lacks the '${permission}' permission ` +
      `on ${family}. Add it under the vault's Access policies, or move the vault to RBAC and grant ` +
      `'${OFFICER_ROLE[type]}'. Service said: ${message}`
    )
  }
  const action = /Action:\s*'([^']+)'/i.exec(message)?.[1] ?? requiredDataAction(type, operation)
  return (
    `Permission denied: the identity lacks the data action '${action}' on this vault. Grant the role ` +
    `'${OFFICER_ROLE[type]}' (or 'Key Vault Administrator'), or a custom role with that data action ` +
    `(see the README's least-privilege role). Service said: ${message}`
  )
}
