import type { VaultTarget } from './cloud.js'
import { errorMessage } from './errors.js'
import type { Identity } from './identity.js'
import { escapeLog } from './text.js'
import type { ItemType } from './types.js'

/**
 * The one explainer of failures: sign-in, network, the vault's own refusals and permissions. The
 * same mistake reads the same in every phase and every operation; each message names the cause
 * and the fix, on one line, and never repeats a token, a value or a query string.
 */

/** The claims of a GitHub assertion that Entra matched (never the token itself). */
export interface AssertionClaims {
  iss?: unknown
  sub?: unknown
  aud?: unknown
  iat?: unknown
  exp?: unknown
}

/** The vault operations we perform; each maps to one data action. */
export type VaultOperation =
  'list' | 'backup' | 'restore' | 'delete' | 'purge' | 'recover' | 'get' | 'set' | 'import' | 'update'

/** Where a failure happened, as far as it is known. */
export interface Scene {
  vault?: VaultTarget
  identity?: Identity
  claims?: AssertionClaims
  type?: ItemType
  operation?: VaultOperation
  /** `client-id` / `tenant-id` input names of this side (a copy's target has its own). */
  inputs?: { clientId: string; tenantId: string; environment: string; audience?: string }
  /** The proxy the runner goes through (HTTPS_PROXY), if any. */
  proxy?: string
}

interface ErrorShape {
  statusCode?: number
  code?: string
  name?: string
  cause?: unknown
}

const DEFAULT_INPUTS = {
  clientId: 'client-id',
  tenantId: 'tenant-id',
  environment: 'environment',
  audience: 'audience'
}

const shape = (error: unknown): ErrorShape =>
  (typeof error === 'object' && error !== null ? error : {}) as ErrorShape

/** The first line of an error's message, safe for a log line. */
const firstLine = (error: unknown): string => escapeLog(errorMessage(error).split(/\r?\n/)[0])

/** Explains any failure; falls back to the service's message with its status. */
export function explain(error: unknown, scene: Scene = {}): string {
  return (
    explainSignIn(error, scene) ??
    explainNetwork(error, scene) ??
    explainVaultRefusal(error, scene) ??
    describeVaultError(error, scene.type, scene.operation ?? 'list')
  )
}

/** Sign-in failures (AADSTS codes, credentials that cannot sign in), or undefined. */
export function explainSignIn(error: unknown, scene: Scene): string | undefined {
  const message = errorMessage(error)
  const { identity, claims } = scene
  const names = scene.inputs ?? DEFAULT_INPUTS
  const clientId = escapeLog(identity?.clientId ?? '(none)')
  const tenantId = escapeLog(identity?.tenantId ?? '(none)')
  const cloud = identity?.cloud.name ?? 'AzureCloud'
  const presented = claims
    ? `The GitHub token presented issuer '${escapeLog(String(claims.iss))}', subject '${escapeLog(String(claims.sub))}' ` +
      `and audience '${escapeLog(String(claims.aud))}'. `
    : ''
  if (message.includes('AADSTS70021')) {
    const audience = identity?.audience ?? 'api://AzureADTokenExchange'
    const wrongAudience =
      identity && claims && String(claims.aud) !== identity.cloud.defaultAudience
        ? ` The audience differs from ${cloud}'s default '${identity.cloud.defaultAudience}': check the '${names.audience ?? 'audience'}' input.`
        : ''
    return (
      `Sign-in failed: Microsoft Entra found no federated credential on app '${clientId}' matching this workflow (AADSTS70021). ${presented}` +
      `On the app registration (Certificates & secrets > Federated credentials) add one with ` +
      `Issuer '${escapeLog(String(claims?.iss ?? 'https://token.actions.githubusercontent.com'))}', ` +
      `Subject identifier '${escapeLog(String(claims?.sub ?? 'repo:OWNER/REPO:ref:refs/heads/BRANCH'))}' and ` +
      `Audience '${escapeLog(audience)}'.${wrongAudience}`
    )
  }
  if (message.includes('AADSTS700016')) {
    return (
      `Sign-in failed: no application with client id '${clientId}' exists in tenant '${tenantId}' (AADSTS700016). ` +
      `Set '${names.clientId}' to the Application (client) ID shown on the app registration's Overview page, ` +
      `and '${names.tenantId}' to the tenant it is registered in.`
    )
  }
  if (/AADSTS90002|AADSTS900023|AADSTS50059/.test(message)) {
    return (
      `Sign-in failed: tenant '${tenantId}' was not found in ${cloud} (${/AADSTS\d+/.exec(message)![0]}). ` +
      `Set '${names.tenantId}' to the Directory (tenant) ID of your Microsoft Entra tenant, or '${names.environment}' ` +
      `if the tenant belongs to another cloud.`
    )
  }
  if (message.includes('AADSTS700024')) {
    return `Sign-in failed: the GitHub assertion was not within its valid time range when Entra checked it (AADSTS700024); check the runner's clock. ${presented}`.trim()
  }
  const foreignTenant = /configured to acquire tokens for tenant ([\w-]+(?:\.[\w-]+)*)/i.exec(message)
  if (foreignTenant) {
    return otherTenant(scene, foreignTenant[1], identity?.tenantId ?? '(none)')
  }
  const aadsts = /AADSTS\d+/.exec(message)
  const name = shape(error).name
  if (
    aadsts ||
    name === 'AuthenticationError' ||
    name === 'CredentialUnavailableError' ||
    name === 'AggregateAuthenticationError'
  ) {
    return `Sign-in failed (auth '${identity?.method ?? 'oidc'}'): ${firstLine(error)}`
  }
  return undefined
}

function otherTenant(scene: Scene, vaultTenant: string, tokenTenant: string): string {
  const names = scene.inputs ?? DEFAULT_INPUTS
  const vault = scene.vault ? `vault '${escapeLog(scene.vault.name)}'` : 'the vault'
  return (
    `${vault} belongs to tenant '${escapeLog(vaultTenant)}', but this step signs in to tenant '${escapeLog(tokenTenant)}'. ` +
    `Set '${names.tenantId}' to '${escapeLog(vaultTenant)}' and '${names.clientId}' to an app registered in that tenant ` +
    `(with a federated credential for this workflow).`
  )
}

const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID'
])

/** Every `code` in an error and its causes (Node puts the socket's code on the innermost one). */
function codes(error: unknown, depth = 0): string[] {
  const s = shape(error)
  const own = typeof s.code === 'string' ? [s.code] : []
  return depth > 4 || !s.cause ? own : [...own, ...codes(s.cause, depth + 1)]
}

/** Failures to reach a host: names that do not resolve, refused tunnels, TLS, proxies. */
export function explainNetwork(error: unknown, scene: Scene): string | undefined {
  const message = errorMessage(error)
  const all = [...codes(error), ...(/\b(E[A-Z_]{4,}|ERR_[A-Z_]+|[A-Z_]{8,})\b/.exec(message) ?? [])]
  const host = (
    /(?:ENOTFOUND|EAI_AGAIN|connect \w+|tunnel to) ([\w.-]+)/.exec(message)?.[1] ?? ''
  ).toLowerCase()
  const vault = scene.vault
  const vaultHost = vault ? new URL(vault.url).hostname : ''
  const cloud = scene.identity?.cloud.name ?? 'AzureCloud'
  const environment = (scene.inputs ?? DEFAULT_INPUTS).environment
  const notFound = vault
    ? `vault '${escapeLog(vault.name)}' not found in ${cloud} (${vaultHost} does not resolve): ` +
      `check the name, or '${environment}' for another cloud`
    : undefined
  if (all.includes('ENOTFOUND') || all.includes('EAI_AGAIN')) {
    if (notFound && (!host || host === vaultHost)) return notFound
    return `${escapeLog(host || 'a host')} does not resolve from this runner: check the network and DNS (${all[0]})`
  }
  if (/tunnel|CONNECT|proxy/i.test(message) && /\b(40[3-7]|502|503)\b/.test(message) && notFound) {
    return `${notFound} (the proxy refused a tunnel to it: ${firstLine(error)})`
  }
  const tls = all.find(code => TLS_CODES.has(code))
  if (tls) {
    return (
      `TLS to ${escapeLog(host || vaultHost || 'the host')} failed (${tls}): the certificate it presented is not trusted. ` +
      `Behind a proxy that inspects TLS, give Node the proxy's CA in NODE_EXTRA_CA_CERTS (a PEM file).`
    )
  }
  if (all.includes('ECONNREFUSED')) {
    const proxy = scene.proxy ? safeUrl(scene.proxy) : undefined
    if (proxy && message.includes(new URL(proxy).host.replace(/^localhost/, '127.0.0.1'))) {
      return `Cannot reach the proxy ${proxy} (HTTPS_PROXY): connection refused. Check that it runs and that HTTPS_PROXY names it.`
    }
    return `Connection refused (${firstLine(error)}): check the vault's address${proxy ? ` and the proxy ${proxy} (HTTPS_PROXY)` : ''}`
  }
  if (all.includes('ETIMEDOUT') || all.includes('ECONNRESET') || all.includes('ENETUNREACH')) {
    return `The network failed on the way to ${escapeLog(vaultHost || 'the host')} (${all.find(c => /^E/.test(c))}): ${firstLine(error)}`
  }
  return undefined
}

/** A URL without its user, password, query or fragment. */
function safeUrl(value: string): string | undefined {
  try {
    const url = new URL(value)
    return `${url.protocol}//${url.host}`
  } catch {
    return undefined
  }
}

/** The vault's own refusals of who or where we are: 401 (tenant, audience) and the firewall's 403. */
export function explainVaultRefusal(error: unknown, scene: Scene): string | undefined {
  const { statusCode } = shape(error)
  const message = errorMessage(error)
  const vault = scene.vault ? `vault '${escapeLog(scene.vault.name)}'` : 'the vault'
  if (statusCode === 401) {
    const issuer =
      /AKV10032.*?Expected one of ([^,]+?sts[^,]*?\/([\w-]+)\/?),.*?found:? \S*?\/([\w-]+)\/?\.?$/s.exec(
        message
      )
    if (issuer) return otherTenant(scene, issuer[2], issuer[3])
    if (message.includes('AKV10022')) {
      const found = /found:? (\S+?)\.?$/.exec(message)?.[1] ?? 'another resource'
      return (
        `${vault} refused the token (AKV10022: ${firstLine(error)}): it was issued for '${escapeLog(found)}'. ` +
        `Check '${(scene.inputs ?? DEFAULT_INPUTS).environment}': the vault and the sign-in must be in the same cloud.`
      )
    }
    return `${vault} refused the sign-in (401): ${firstLine(error)}`
  }
  if (statusCode === 403 && /client address is not authorized|ForbiddenByFirewall|NSP rules/i.test(message)) {
    const address = /Client address:\s*([0-9a-fA-F.:]+)/.exec(message)?.[1]
    const name = scene.vault?.name ?? '<vault>'
    const allow = address
      ? `add it to the vault's firewall (az keyvault network-rule add --name ${escapeLog(name)} --ip-address ${address}/32, and remove it after the job), `
      : `allow the runner's address in the vault's firewall, `
    return (
      `${vault} refused the runner's address${address ? ` ${address}` : ''} (403 ForbiddenByFirewall): ` +
      `${allow}or run the job on a runner inside the vault's allowed networks (a self-hosted runner, or a private endpoint).`
    )
  }
  return undefined
}

// Built-in roles that grant each data action family (besides Key Vault Administrator).
const OFFICER_ROLE: Record<ItemType, string> = {
  secrets: 'Key Vault Secrets Officer',
  keys: 'Key Vault Crypto Officer',
  certificates: 'Key Vault Certificates Officer'
}

const VERB: Record<VaultOperation, (type: ItemType) => string> = {
  list: type => (type === 'secrets' ? 'readMetadata/action' : 'read'),
  get: type => (type === 'secrets' ? 'getSecret/action' : 'read'),
  set: type => (type === 'secrets' ? 'setSecret/action' : 'update/action'),
  update: type => (type === 'secrets' ? 'setSecret/action' : 'update/action'),
  import: () => 'import/action',
  delete: () => 'delete',
  backup: () => 'backup/action',
  restore: () => 'restore/action',
  purge: () => 'purge/action',
  recover: () => 'recover/action'
}

/** The data action an operation needs on an RBAC vault. */
export function requiredDataAction(type: ItemType, operation: VaultOperation): string {
  return `Microsoft.KeyVault/vaults/${type}/${VERB[operation](type)}`
}

/**
 * Explains a failed vault call in words a user can act on. A 403 names the missing data action (or
 * access-policy permission) and the role that grants it, taken from the service's own message when
 * it says (`Action: '...'` on RBAC vaults, `does not have secrets backup permission` on access-policy
 * vaults) and otherwise from the operation we attempted.
 */
export function describeVaultError(
  error: unknown,
  type: ItemType | undefined,
  operation: VaultOperation
): string {
  const { statusCode, code } = shape(error)
  const message = firstLine(error)
  if (statusCode !== 403) {
    const status = statusCode ? ` (${statusCode}${code ? ` ${escapeLog(code)}` : ''})` : ''
    return `${message}${status}`
  }
  if (/associated with a certificate/i.test(message)) {
    return `${message} (403: back up the certificate instead; it covers this item)`
  }
  const policy = /does not have (\w+) (\w+) permission/i.exec(message)
  const family = (policy?.[1] as ItemType | undefined) ?? type ?? 'secrets'
  if (policy) {
    return (
      `Permission denied: the vault's access policy for this identity lacks the '${policy[2]}' permission ` +
      `on ${family}. Add it under the vault's Access policies, or move the vault to RBAC and grant ` +
      `'${OFFICER_ROLE[family] ?? 'Key Vault Administrator'}'. Service said: ${message}`
    )
  }
  const action =
    /Action:\s*'([^']+)'/i.exec(errorMessage(error))?.[1] ?? requiredDataAction(family, operation)
  const actionFamily = (/vaults\/(secrets|keys|certificates)\//.exec(action)?.[1] as ItemType) ?? family
  return (
    `Permission denied: the identity lacks the data action '${escapeLog(action)}' on this vault. Grant the role ` +
    `'${OFFICER_ROLE[actionFamily]}' (or 'Key Vault Administrator'), or a custom role with that data action ` +
    `(see the README's least-privilege roles). Service said: ${message}`
  )
}

/** Where a management call failed. */
export interface ManagementScene {
  identity: Identity
  /** The subscription being read, when the call was for one. */
  subscriptionId?: string
}

/** The management permission discovery needs, and the built-in role that grants it. */
export const VAULTS_READ = 'Microsoft.KeyVault/vaults/read'

/** Explains a failed Resource Manager call (discovery, a vault's resource): one line naming the cause and the fix. */
export function explainManagement(error: unknown, scene: ManagementScene): string {
  const inputs = { clientId: 'client-id', tenantId: 'tenant-id', environment: 'environment' }
  const shared = { identity: scene.identity, inputs }
  const signIn = explainSignIn(error, shared) ?? explainNetwork(error, shared)
  if (signIn) return signIn
  const { statusCode, code } = shape(error)
  const message = errorMessage(error)
  const sub = scene.subscriptionId ? `subscription '${escapeLog(scene.subscriptionId)}'` : 'the subscription'
  const cloud = scene.identity.cloud.name
  const tenant = escapeLog(scene.identity.tenantId ?? '(none)')
  if (statusCode === 403 && code === 'AuthorizationFailed') {
    const action = /perform action '([^']+)'/.exec(message)?.[1] ?? VAULTS_READ
    const scope =
      /over scope '([^']+)'/.exec(message)?.[1] ??
      (scene.subscriptionId ? `/subscriptions/${scene.subscriptionId}` : 'the subscription')
    return (
      `Permission denied: the identity may not list the vaults of ${sub} (403 AuthorizationFailed: it lacks ` +
      `'${escapeLog(action)}' over '${escapeLog(scope)}'). Grant it the 'Reader' role (or a custom role with ` +
      `'${VAULTS_READ}') on the subscription, or on the resource groups to discover; a Key Vault data role ` +
      `alone does not list vaults. A role granted in the last minutes may not apply yet.`
    )
  }
  if (statusCode === 401 && code === 'InvalidAuthenticationTokenTenant') {
    const owner = /authority \(URL\) '[^']*\/([\w.-]+)'/.exec(message)?.[1]
    return (
      `${sub} belongs to ${owner ? `tenant '${escapeLog(owner)}'` : 'another tenant'}, but this step signs in to ` +
      `tenant '${tenant}' (401 InvalidAuthenticationTokenTenant). Discover it in a step with 'tenant-id: ` +
      `${escapeLog(owner ?? '<its tenant>')}' and a 'client-id' registered there, or leave it out of 'subscriptions'.`
    )
  }
  if (statusCode === 401 && code === 'InvalidAuthenticationTokenAudience') {
    return (
      `Resource Manager of ${cloud} refused the token (401 InvalidAuthenticationTokenAudience: ${firstLine(error)}). ` +
      `Check 'environment': the sign-in and Resource Manager must be in the same cloud.`
    )
  }
  if (statusCode === 401) {
    return `Resource Manager refused the sign-in (401${code ? ` ${escapeLog(code)}` : ''}): ${firstLine(error)}`
  }
  if (statusCode === 404 && code === 'SubscriptionNotFound') {
    return (
      `${sub} was not found in ${cloud} (404 SubscriptionNotFound): check the id in 'subscriptions', ` +
      `or 'environment' if it belongs to another cloud.`
    )
  }
  if (statusCode === 429) {
    return `Resource Manager kept throttling the reads of ${sub} after every retry (429${code ? ` ${escapeLog(code)}` : ''}); run discover again later.`
  }
  const status = statusCode ? ` (${statusCode}${code ? ` ${escapeLog(code)}` : ''})` : ''
  return `${firstLine(error)}${status}`
}
