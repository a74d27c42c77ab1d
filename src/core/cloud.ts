/** Azure clouds: where to sign in, which DNS suffix vaults use and which audience GitHub tokens carry. */
export type CloudName = 'AzureCloud' | 'AzureUSGovernment' | 'AzureChinaCloud'

export interface CloudSettings {
  name: CloudName
  authorityHost: string
  vaultSuffix: string
  /** The `aud` that Entra expects in a federated assertion for this cloud. */
  defaultAudience: string
  /** Resource Manager of this cloud: its endpoint, and `<endpoint>/.default` is the token scope. */
  managementEndpoint: string
}

export const CLOUDS: Record<CloudName, CloudSettings> = {
  AzureCloud: {
    name: 'AzureCloud',
    authorityHost: 'https://login.microsoftonline.com',
    vaultSuffix: 'vault.azure.net',
    defaultAudience: 'api://AzureADTokenExchange',
    managementEndpoint: 'https://management.azure.com'
  },
  AzureUSGovernment: {
    name: 'AzureUSGovernment',
    authorityHost: 'https://login.microsoftonline.us',
    vaultSuffix: 'vault.usgovcloudapi.net',
    defaultAudience: 'api://AzureADTokenExchangeUSGov',
    managementEndpoint: 'https://management.usgovcloudapi.net'
  },
  AzureChinaCloud: {
    name: 'AzureChinaCloud',
    authorityHost: 'https://login.chinacloudapi.cn',
    vaultSuffix: 'vault.azure.cn',
    defaultAudience: 'api://AzureADTokenExchangeChina',
    managementEndpoint: 'https://management.chinacloudapi.cn'
  }
}

const KNOWN_VAULT_SUFFIXES = Object.values(CLOUDS).map(cloud => cloud.vaultSuffix)

/** A vault resolved to the URL the SDK clients use. */
export interface VaultTarget {
  /** Origin only, e.g. `https://prod.vault.azure.net`: the SDK parses ids at the origin root. */
  url: string
  /** Short name for artifact names and reports. */
  name: string
  /**
   * True when the host is under a Key Vault DNS suffix. Only then do we keep the SDK's check that
   * the token resource named in the 401 challenge belongs to the vault's host; a private endpoint,
   * custom domain or loopback test vault cannot pass that check.
   */
  knownHost: boolean
}

const VAULT_NAME = /^[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$/

/**
 * Turns the `vault` input (a vault name or an `https://` URL) into a target. Throws a message that
 * says what was wrong; the caller prefixes the input name.
 */
export function resolveVault(vault: string, cloud: CloudSettings): VaultTarget {
  const value = vault.trim()
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return resolveVaultUrl(value)
  if (!VAULT_NAME.test(value) || value.includes('--')) {
    throw new Error(
      `'${shownValue(value)}' is neither a vault name (3-24 letters, digits and single hyphens, starting with a letter) nor an https:// URL`
    )
  }
  const name = value.toLowerCase()
  return { url: `https://${name}.${cloud.vaultSuffix}`, name, knownHost: true }
}

/** A value for an error message, without what might be a credential: a user part, a query, a fragment. */
function shownValue(value: string): string {
  return value
    .replace(/^[^@/]*@/, '')
    .replace(/[?#].*$/s, '')
    .slice(0, 80)
}

function resolveVaultUrl(value: string): VaultTarget {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new Error(`the value is not a valid URL (expected e.g. https://myvault.vault.azure.net)`)
  }
  // Errors name the URL without user, password, query or fragment: any of them may hold a secret.
  const shown = `'${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname}'`
  if (url.protocol !== 'https:') throw new Error(`${shown} must use https://`)
  if (url.username || url.password) {
    throw new Error(`${shown} must not carry a user name or password (the step signs in with 'auth')`)
  }
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) {
    throw new Error(
      `${shown} must be a bare origin such as https://myvault.vault.azure.net (no path, query or fragment)`
    )
  }
  const host = url.hostname.toLowerCase()
  const knownHost = KNOWN_VAULT_SUFFIXES.some(suffix => host.endsWith(`.${suffix}`))
  return { url: url.origin, name: shortVaultName(host, url.port), knownHost }
}

function shortVaultName(host: string, port: string): string {
  const isIp = /^[0-9.]+$/.test(host) || host.startsWith('[')
  const base = isIp ? host.replace(/[[\]:]/g, '-') : host.split('.')[0]
  return port ? `${base}-${port}` : base
}
