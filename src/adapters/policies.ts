import type { PipelinePolicy } from '@azure/core-rest-pipeline'
import type { RequestPace } from '../core/pace.js'

/**
 * What a request does to a vault, by method and path. Everything an operation may send falls in
 * one of these; anything else (a poller's read of the object, a single deleted item) is refused.
 */
export type VaultCapability =
  | 'list'
  | 'backup'
  | 'restore'
  | 'delete'
  | 'purge'
  | 'recover'
  /** GET of a secret (its value), a certificate or its policy: copy only. */
  | 'read-values'
  /** Set a secret, import a certificate, update their properties: copy's target only. */
  | 'write'

const C = '(secrets|keys|certificates)'
const NAME = '[^/]+'
const ROUTES: ReadonlyArray<{ capability: VaultCapability; method: string; path: RegExp }> = [
  { capability: 'list', method: 'GET', path: new RegExp(`^/${C}/?$`) },
  { capability: 'list', method: 'GET', path: new RegExp(`^/${C}/${NAME}/versions/?$`) },
  { capability: 'list', method: 'GET', path: new RegExp(`^/deleted${C}/?$`) },
  { capability: 'backup', method: 'POST', path: new RegExp(`^/${C}/${NAME}/backup/?$`) },
  { capability: 'restore', method: 'POST', path: new RegExp(`^/${C}/restore/?$`) },
  { capability: 'delete', method: 'DELETE', path: new RegExp(`^/${C}/${NAME}/?$`) },
  { capability: 'purge', method: 'DELETE', path: new RegExp(`^/deleted${C}/${NAME}/?$`) },
  { capability: 'recover', method: 'POST', path: new RegExp(`^/deleted${C}/${NAME}/recover/?$`) },
  { capability: 'read-values', method: 'GET', path: new RegExp(`^/secrets/${NAME}(/[^/]*)?$`) },
  { capability: 'read-values', method: 'GET', path: new RegExp(`^/certificates/${NAME}(/[^/]*)?$`) },
  { capability: 'write', method: 'PUT', path: new RegExp(`^/secrets/${NAME}/?$`) },
  { capability: 'write', method: 'PATCH', path: new RegExp(`^/(secrets|certificates)/${NAME}(/[^/]*)?$`) },
  { capability: 'write', method: 'POST', path: new RegExp(`^/certificates/${NAME}/import/?$`) }
]

/** The capability a request needs, or undefined for a request no operation of ours sends. */
export function capabilityOf(method: string, pathname: string): VaultCapability | undefined {
  const m = method.toUpperCase()
  return ROUTES.find(r => r.method === m && r.path.test(pathname))?.capability
}

/**
 * A pipeline policy that refuses, before it is sent, any request outside `allowed`. Backup and
 * restore are built without `read-values`, so no code path of theirs can read a secret's value: not
 * the SDK's recover poller (which GETs the secret to see whether it is back, and takes our refusal,
 * shaped as a 404, for "not yet"), not a GET of a deleted secret (whose body carries the value).
 */
export function requestGuard(allowed: readonly VaultCapability[]): PipelinePolicy {
  const allow = new Set(allowed)
  return {
    name: 'keyvaultBackupRequestGuard',
    sendRequest(request, next) {
      const path = new URL(request.url).pathname
      const capability = capabilityOf(request.method, path)
      if (capability && allow.has(capability)) return next(request)
      const error = new Error(
        `keyvault-backup refused to send ${request.method} ${path}: this operation never ${
          capability === 'read-values' ? 'reads a secret value' : 'sends that request'
        }`
      )
      return Promise.reject(Object.assign(error, { statusCode: 404, code: 'RequestRefusedByKeyvaultBackup' }))
    }
  }
}

/**
 * Paces every HTTP request of a vault's clients (placed per retry, after the SDK's challenge
 * policy, so the unauthenticated first request and its resend both count), and tells the pace
 * what each answer was.
 */
export function pacePolicy(pace: RequestPace): PipelinePolicy {
  return {
    name: 'keyvaultBackupPace',
    async sendRequest(request, next) {
      await pace.start()
      const response = await next(request)
      pace.answered(response.status)
      return response
    }
  }
}

/**
 * Notes the region the vault answers from (its `x-ms-keyvault-region` header), which places it in an
 * Azure geography without any management-plane permission.
 */
export function regionPolicy(onRegion: (region: string) => void): PipelinePolicy {
  return {
    name: 'keyvaultBackupRegion',
    async sendRequest(request, next) {
      const response = await next(request)
      const region = response.headers.get('x-ms-keyvault-region')
      if (region) onRegion(region)
      return response
    }
  }
}
