import type { CloudSettings } from './cloud.js'

/** How the step signs in: the `auth` input; `default` is the CLI's DefaultAzureCredential. */
export type AuthMethod = 'oidc' | 'azure-cli' | 'managed-identity' | 'default'

/** Who signs in where: the `auth`, `client-id`, `tenant-id`, `audience` and `environment` inputs. */
export interface Identity {
  method: AuthMethod
  cloud: CloudSettings
  clientId?: string
  tenantId?: string
  /** The GitHub token audience (OIDC only). */
  audience: string
}

/** Identities with equal settings are one identity: one credential, one sign-in. */
export function identityKey(identity: Identity): string {
  const { method, cloud, clientId, tenantId, audience } = identity
  return JSON.stringify([method, cloud.name, clientId?.toLowerCase(), tenantId?.toLowerCase(), audience])
}
