/**
 * Bearer-token checks and the two permission models of Key Vault: access policies (permission names
 * per object type) and Azure RBAC (data actions, built-in roles, custom roles with `*` wildcards).
 */
import type { JsonWebKey } from 'node:crypto'
import { verifyJwt, type JwtClaims } from '../jwt.js'
import type { ObjectType, VaultConfig } from '../config.js'
import { KvError } from './errors.js'

export const VAULT_RESOURCE = 'https://vault.azure.net'

export interface Principal {
  oid: string
  appid: string
  tid: string
  claims: JwtClaims
}

/** The WWW-Authenticate challenge every 401 carries. */
export function challengeHeader(authorityHost: string, tenantId: string): string {
  return `Bearer authorization="${authorityHost.replace(/\/+$/, '')}/${tenantId}", resource="${VAULT_RESOURCE}"`
}

function unauthorized(message: string, challenge: string): KvError {
  return new KvError(401, 'Unauthorized', message, undefined, { 'www-authenticate': challenge })
}

/**
 * Checks the Authorization header; returns the caller or throws a 401 KvError with the challenge.
 * Tokens are checked against real time (clients cache tokens on real time).
 */
export function authenticate(
  authorization: string | undefined,
  jwks: JsonWebKey[],
  tenantId: string,
  challenge: string
): Principal {
  const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')
  if (!match) throw unauthorized('AKV10000: Request is missing a Bearer or PoP token.', challenge)
  let claims: JwtClaims
  try {
    claims = verifyJwt(match[1], jwks)
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    if (reason.includes('expired')) throw unauthorized('AKV10022: Token is expired.', challenge)
    throw unauthorized(`AKV10016: Bearer token is invalid: ${reason}.`, challenge)
  }
  const auds = (Array.isArray(claims.aud) ? claims.aud : [claims.aud]).map(a =>
    String(a ?? '').replace(/\/+$/, '')
  )
  if (!auds.includes(VAULT_RESOURCE)) {
    throw unauthorized(
      `AKV10022: Invalid audience. Expected ${VAULT_RESOURCE}, found: ${String(claims.aud)}.`,
      challenge
    )
  }
  if (claims.tid !== tenantId) {
    throw unauthorized(
      `AKV10032: Invalid issuer. Expected one of https://sts.windows.net/${tenantId}/, found: https://sts.windows.net/${String(claims.tid)}/.`,
      challenge
    )
  }
  return {
    oid: String(claims.oid ?? claims.sub ?? 'unknown'),
    appid: String(claims.appid ?? claims.azp ?? ''),
    tid: tenantId,
    claims
  }
}

/** What an operation needs: an access-policy permission and an RBAC data action. */
export interface Requirement {
  type: ObjectType
  permission: string
  /** Data action below `Microsoft.KeyVault/vaults/`, e.g. `secrets/backup/action`. */
  action: string
}

const ACTION_PREFIX = 'Microsoft.KeyVault/vaults/'

/** Built-in roles' data actions (role definitions as published by Azure). */
export const BUILT_IN_ROLES: Record<string, string[]> = {
  'Key Vault Administrator': ['Microsoft.KeyVault/vaults/*'],
  'Key Vault Secrets Officer': ['Microsoft.KeyVault/vaults/secrets/*'],
  'Key Vault Secrets User': [
    'Microsoft.KeyVault/vaults/secrets/getSecret/action',
    'Microsoft.KeyVault/vaults/secrets/readMetadata/action'
  ],
  'Key Vault Crypto Officer': [
    'Microsoft.KeyVault/vaults/keys/*',
    'Microsoft.KeyVault/vaults/keyrotationpolicies/*'
  ],
  // Azure's Certificates Officer also manages issuers and contacts; the certificate's own key and
  // secret come with the certificate operations, which need no keys/* or secrets/* action.
  'Key Vault Certificates Officer': [
    'Microsoft.KeyVault/vaults/certificatecas/*',
    'Microsoft.KeyVault/vaults/certificates/*',
    'Microsoft.KeyVault/vaults/certificatecontacts/write'
  ],
  'Key Vault Reader': [
    'Microsoft.KeyVault/vaults/*/read',
    'Microsoft.KeyVault/vaults/secrets/readMetadata/action'
  ]
}

function globMatch(pattern: string, value: string): boolean {
  const re = new RegExp(
    '^' +
      pattern
        .split('*')
        .map(s => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*') +
      '$',
    'i'
  )
  return re.test(value)
}

/** Throws the service's 403 when the caller lacks what the operation needs. */
export function authorize(
  config: VaultConfig,
  principal: Principal,
  need: Requirement,
  resourcePath: string
): void {
  const caller = `appid=${principal.appid};oid=${principal.oid};iss=https://sts.windows.net/${principal.tid}/`
  if ((config.accessModel ?? 'rbac') === 'accessPolicy') {
    const granted = (config.accessPolicies ?? [])
      .filter(p => p.objectId === principal.oid)
      .flatMap(p => p.permissions[need.type] ?? [])
      .map(p => p.toLowerCase())
    if (granted.includes(need.permission) || granted.includes('all')) return
    const typeWord = need.type
    throw new KvError(
      403,
      'Forbidden',
      `The user, group or application '${caller}' does not have ${typeWord} ${need.permission} permission on key vault '${config.name};location=${config.location}'. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125287`,
      'AccessDenied'
    )
  }
  const action = ACTION_PREFIX + need.action
  const patterns = (config.roleAssignments ?? [])
    .filter(r => r.principalId === principal.oid)
    .flatMap(r => [...(r.role ? (BUILT_IN_ROLES[r.role] ?? []) : []), ...(r.dataActions ?? [])])
  if (patterns.some(p => globMatch(p, action))) return
  const resource = `/subscriptions/${config.subscriptionId}/resourcegroups/testbed/providers/microsoft.keyvault/vaults/${config.name}${resourcePath}`
  throw new KvError(
    403,
    'Forbidden',
    `Caller is not authorized to perform action on resource.\r\nIf role assignments, deny assignments or role definitions were changed recently, please observe propagation time.\r\nCaller: ${caller}\r\nAction: '${action}'\r\nResource: '${resource.toLowerCase()}'\r\nAssignment: (not found)\r\nDenyAssignmentId: null\r\nDecisionReason: null \r\nVault: ${config.name};location=${config.location}\r\n`,
    'ForbiddenByRbac'
  )
}
