import { Agent } from 'node:https'

/** Node's built-in proxy support (`proxyEnv`) arrived in 24.5. */
function hasBuiltInProxySupport(version = process.versions.node): boolean {
  const [major, minor] = version.split('.').map(Number)
  return major > 24 || (major === 24 && minor >= 5)
}

/**
 * Behind an HTTPS proxy (self-hosted runners), the SDK's proxy policy gives its proxy agent no
 * keep-alive, so every Key Vault call opened a new CONNECT tunnel and TLS session: 2,051 tunnels for
 * 2,048 calls, a third of the run's time (docs/performance.md). This returns one keep-alive agent
 * that reads HTTPS_PROXY and NO_PROXY itself, for the clients' `agent` option (a request that
 * carries an agent skips the SDK's proxy policy). Undefined, leaving the SDK as it is, when no proxy
 * is set or Node is too old to proxy by itself.
 */
export function keepAliveProxyAgent(): Agent | undefined {
  const env = process.env
  if (!(env.HTTPS_PROXY || env.https_proxy) || !hasBuiltInProxySupport()) return undefined
  return new Agent({ keepAlive: true, proxyEnv: env } as ConstructorParameters<typeof Agent>[0])
}
