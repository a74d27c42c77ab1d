import { errorMessage } from '../../core/errors.js'
import { explainNetwork, explainSignIn } from '../../core/explain.js'
import type { Identity } from '../../core/identity.js'
import { escapeLog } from '../../core/text.js'

/**
 * Resource Manager's refusals in words a user can act on, after the shared explainer's sign-in and
 * network cases. (Its ARM cases belong in core/explain.ts; they live here until that file takes them.)
 */

/** Where a management call failed. */
export interface ManagementScene {
  identity: Identity
  /** The subscription being read, when the call was for one. */
  subscriptionId?: string
}

interface ErrorShape {
  statusCode?: number
  code?: string
}

const shape = (error: unknown): ErrorShape =>
  (typeof error === 'object' && error !== null ? error : {}) as ErrorShape

const firstLine = (error: unknown): string => escapeLog(errorMessage(error).split(/\r?\n/)[0])

/** The management permission discovery needs, and the built-in role that grants it. */
export const VAULTS_READ = 'Microsoft.KeyVault/vaults/read'

/** Explains a failed Resource Manager call: one line naming the cause and the fix. */
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
