/**
 * Bearer-token checks and the two permission models of Key Vault: access policies (permission names
 * per object type) and Azure RBAC (data actions, built-in roles, custom roles with `*` wildcards,
 * assignments inherited from the vault's subscription and resource group).
 */
import type { JsonWebKey } from 'node:crypto'
import { CLOUDS, type Cloud } from '../clouds.js'
import { verifyJwt, type JwtClaims } from '../jwt.js'
import { DEFAULT_RESOURCE_GROUP, type ObjectType, type RoleAssignment, type VaultConfig } from '../config.js'
import { allowsDataAction } from '../rbac.js'
import { KvError } from './errors.js'

/** The public cloud's Key Vault resource. */
export const VAULT_RESOURCE = CLOUDS.AzureCloud.vaultResource

export interface Principal {
  oid: string
  appid: string
  tid: string
  /** The token's issuer, e.g. `https://sts.windows.net/<tenant>/`. */
  issuer: string
  claims: JwtClaims
}

/** What a vault accepts and how it challenges: its tenant and its cloud's resource and issuer. */
export interface VaultAudience {
  tenantId: string
  /** The `aud` a token must carry (a trailing `/` is tolerated): the cloud's Key Vault resource. */
  resource: string
  /** The issuer a token must carry: `<the cloud's sts>/<tenant>/`. */
  issuer: string
  /** The `WWW-Authenticate` value of every 401. */
  challenge: string
}

/** The WWW-Authenticate challenge every 401 carries. */
export function challengeHeader(authorityHost: string, tenantId: string, resource = VAULT_RESOURCE): string {
  return `Bearer authorization="${authorityHost.replace(/\/+$/, '')}/${tenantId}", resource="${resource}"`
}

/**
 * A vault's audience in `cloud` for `tenantId`. `authorityHost` overrides the challenge's authority (the
 * SDKs read only the tenant from it; az ignores it).
 */
export function vaultAudience(
  tenantId: string,
  cloud: Cloud = CLOUDS.AzureCloud,
  authorityHost?: string
): VaultAudience {
  return {
    tenantId,
    resource: cloud.vaultResource,
    issuer: `${cloud.stsIssuer}/${tenantId}/`,
    challenge: challengeHeader(authorityHost ?? cloud.challengeAuthority, tenantId, cloud.vaultResource)
  }
}

function unauthorized(message: string, challenge: string): KvError {
  return new KvError(401, 'Unauthorized', message, undefined, { 'www-authenticate': challenge })
}

/**
 * Checks the Authorization header; returns the caller or throws a 401 KvError with the challenge:
 * AKV10000 without a token, AKV10022 for another resource (or cloud), AKV10032 for another tenant.
 * Tokens are checked against real time (clients cache tokens on real time).
 */
export function authenticate(
  authorization: string | undefined,
  jwks: JsonWebKey[],
  audience: VaultAudience
): Principal {
  const { challenge } = audience
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
  if (!auds.includes(audience.resource)) {
    throw unauthorized(
      `AKV10022: Invalid audience. Expected ${audience.resource}, found: ${String(claims.aud)}.`,
      challenge
    )
  }
  // Real tokens' iss and tid agree; a token whose tid alone differs reads as issued by that tenant.
  const issuer = String(claims.iss ?? '')
  const sameIssuer = issuer.toLowerCase() === audience.issuer.toLowerCase()
  const sameTenant = String(claims.tid ?? '').toLowerCase() === audience.tenantId.toLowerCase()
  if (!sameIssuer || !sameTenant) {
    const found = sameIssuer ? audience.issuer.replace(audience.tenantId, String(claims.tid)) : issuer
    throw unauthorized(
      `AKV10032: Invalid issuer. Expected one of ${audience.issuer}, found ${found}.`,
      challenge
    )
  }
  return {
    oid: String(claims.oid ?? claims.sub ?? 'unknown'),
    appid: String(claims.appid ?? claims.azp ?? ''),
    tid: audience.tenantId,
    issuer,
    claims
  }
}

const inherited = new WeakMap<VaultConfig, () => readonly RoleAssignment[]>()

/**
 * Lets a vault's RBAC check see the role assignments of its subscription and resource group (the
 * emulator registers each vault's config; data actions of those roles apply to the vault as in Azure).
 */
export function inheritRoleAssignments(
  config: VaultConfig,
  assignments: () => readonly RoleAssignment[]
): void {
  inherited.set(config, assignments)
}

/** What an operation needs: an access-policy permission and an RBAC data action. */
export interface Requirement {
  type: ObjectType
  permission: string
  /** Data action below `Microsoft.KeyVault/vaults/`, e.g. `secrets/backup/action`. */
  action: string
}

const ACTION_PREFIX = 'Microsoft.KeyVault/vaults/'

/** Throws the service's 403 when the caller lacks what the operation needs. */
export function authorize(
  config: VaultConfig,
  principal: Principal,
  need: Requirement,
  resourcePath: string
): void {
  const caller = `appid=${principal.appid};oid=${principal.oid};iss=${principal.issuer}`
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
  const assignments = [...(inherited.get(config)?.() ?? []), ...(config.roleAssignments ?? [])]
  if (allowsDataAction(assignments, principal.oid, action)) return
  const group = config.resourceGroup ?? DEFAULT_RESOURCE_GROUP
  const resource = `/subscriptions/${config.subscriptionId}/resourcegroups/${group}/providers/microsoft.keyvault/vaults/${config.name}${resourcePath}`
  throw new KvError(
    403,
    'Forbidden',
    `Caller is not authorized to perform action on resource.\r\nIf role assignments, deny assignments or role definitions were changed recently, please observe propagation time.\r\nCaller: ${caller}\r\nAction: '${action}'\r\nResource: '${resource.toLowerCase()}'\r\nAssignment: (not found)\r\nDenyAssignmentId: null\r\nDecisionReason: null \r\nVault: ${config.name};location=${config.location}\r\n`,
    'ForbiddenByRbac'
  )
}

/** Whether `oid` holds the data action on the vault (RBAC vaults) or the permission (access-policy vaults). */
export function mayPerform(config: VaultConfig, oid: string, need: Requirement): boolean {
  try {
    authorize(config, { oid, appid: '', tid: '', issuer: '', claims: {} }, need, '')
    return true
  } catch {
    return false
  }
}
