import type { SecretClientOptions } from '@azure/keyvault-secrets'

type PipelinePolicy = NonNullable<SecretClientOptions['additionalPolicies']>[number]['policy']

// GET /secrets/{name}[/{version}] returns the value; /secrets/{name}/versions only lists properties.
const VALUE_READ = /^\/secrets\/[^/]+(\/(?!versions\/?$)[^/]*)?\/?$/i

/** True for a request that would return a secret's value. */
export function isSecretValueRead(method: string, url: string): boolean {
  return method.toUpperCase() === 'GET' && VALUE_READ.test(new URL(url).pathname)
}

/**
 * A pipeline policy that refuses, before sending, any request that would return a secret value.
 * Backup and restore never need one; the SDK's recover poller asks for it only to see whether the
 * secret is back, and treats our 404 as "not yet", which is what we want (we poll the versions list).
 */
export const refuseSecretValueReads: PipelinePolicy = {
  name: 'keyvaultBackupRefuseSecretValueReads',
  sendRequest(request, next) {
    if (isSecretValueRead(request.method, request.url)) {
      const error = new Error(
        `keyvault-backup never reads secret values; refused ${request.method} ${new URL(request.url).pathname}`
      )
      return Promise.reject(Object.assign(error, { statusCode: 404, code: 'SecretValueReadRefused' }))
    }
    return next(request)
  }
}
