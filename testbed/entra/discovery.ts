/**
 * Entra's metadata documents: the tenant's OpenID configuration, its signing keys and MSAL's instance
 * discovery. Every URL is built from the host the client used, so the same server answers for
 * login.microsoftonline.com (through the proxy) and for https://127.0.0.1:<port>.
 */
import type { JsonWebKey } from 'node:crypto'
import { cloudOfLoginHost, type Cloud } from '../clouds.js'

/** `microsoftonline.com` for login.microsoftonline.com, `chinacloudapi.cn` for login.chinacloudapi.cn, ... */
function cloudInstanceName(host: string): string {
  const name = host.replace(/:\d+$/, '')
  return name.startsWith('login.') ? name.slice('login.'.length) : 'microsoftonline.com'
}

/**
 * `GET /{tenant}/v2.0/.well-known/openid-configuration`; `common` and `organizations` keep `{tenantid}` in
 * the issuer. `cloud` is the tenant's (its instance name, region scope and Graph host).
 */
export function openIdConfiguration(
  origin: string,
  tenant: string,
  host: string,
  cloud?: Cloud
): Record<string, unknown> {
  const base = `${origin}/${tenant}`
  const issuerTenant = tenant === 'common' || tenant === 'organizations' ? '{tenantid}' : tenant
  return {
    token_endpoint: `${base}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    jwks_uri: `${base}/discovery/v2.0/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    issuer: `${origin}/${issuerTenant}/v2.0`,
    request_uri_parameter_supported: false,
    userinfo_endpoint: `https://${cloud?.graphHost ?? 'graph.microsoft.com'}/oidc/userinfo`,
    authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${base}/oauth2/v2.0/logout`,
    claims_supported: [
      'sub',
      'iss',
      'cloud_instance_name',
      'cloud_instance_host_name',
      'cloud_graph_host_name',
      'msgraph_host',
      'aud',
      'exp',
      'iat',
      'auth_time',
      'acr',
      'nonce',
      'preferred_username',
      'name',
      'tid',
      'ver',
      'at_hash',
      'c_hash',
      'email'
    ],
    kerberos_endpoint: `${base}/kerberos`,
    tenant_region_scope: cloud?.regionScope ?? 'EU',
    cloud_instance_name: cloud?.instanceName ?? cloudInstanceName(host),
    cloud_graph_host_name: 'graph.windows.net',
    msgraph_host: cloud?.graphHost ?? 'graph.microsoft.com',
    rbac_url: 'https://pas.windows.net'
  }
}

/** `GET /{tenant}/discovery/v2.0/keys`. */
export function keySet(jwks: JsonWebKey[], issuer: string): { keys: unknown[] } {
  return { keys: jwks.map(k => ({ kty: k.kty, use: 'sig', kid: k.kid, n: k.n, e: k.e, issuer })) }
}

/**
 * `GET /common/discovery/instance?api-version=1.1&authorization_endpoint=...`. The real answer lists
 * every cloud's aliases (China's preferred network being login.partner.microsoftonline.cn); the fake
 * names the authority's own host as its preferred network, so that MSAL (Python, for az) keeps talking
 * to a host the proxy tunnels. An authority in another cloud keeps its own host.
 */
export function instanceDiscovery(
  origin: string,
  host: string,
  authorizationEndpoint: string | null
): Record<string, unknown> {
  let tenant = 'common'
  let authorityOrigin = origin
  let authorityHost = host
  if (authorizationEndpoint) {
    try {
      const url = new URL(authorizationEndpoint)
      tenant = url.pathname.split('/').filter(Boolean)[0] ?? 'common'
      if (cloudOfLoginHost(url.host)) {
        authorityOrigin = url.origin
        authorityHost = url.host
      }
    } catch {
      // keep `common`, as Entra does for an endpoint it cannot read
    }
  }
  const hosts = [...new Set([authorityHost, host])]
  return {
    tenant_discovery_endpoint: `${authorityOrigin}/${tenant}/v2.0/.well-known/openid-configuration`,
    'api-version': '1.1',
    metadata: hosts.map(h => ({ preferred_network: h, preferred_cache: h, aliases: [h] }))
  }
}
