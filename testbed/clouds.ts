/**
 * The three Azure clouds the test bed serves: their sign-in hosts, token issuers, Key Vault and Resource
 * Manager endpoints and the GitHub token audience their federated credentials expect. A tenant lives in
 * exactly one cloud; everything a vault or a subscription answers follows its tenant's cloud.
 */

export type CloudName = 'AzureCloud' | 'AzureUSGovernment' | 'AzureChinaCloud'

export interface Cloud {
  name: CloudName
  /** What `AZURE_AUTHORITY_HOST` / `authorityHost` is set to for this cloud. */
  authorityHost: string
  /**
   * Every sign-in host name of the cloud (the proxy tunnels them all to the fake Entra). MSAL swaps
   * login.chinacloudapi.cn for its preferred network login.partner.microsoftonline.cn from its built-in
   * instance metadata, so both China names must answer.
   */
  loginHosts: string[]
  /** `cloud_instance_name` of the OpenID configuration. */
  instanceName: string
  /** `tenant_region_scope` of the OpenID configuration. */
  regionScope: string
  graphHost: string
  /**
   * Issuer prefix of v1 access tokens (the kind Key Vault and ARM receive): `<prefix>/<tenant>/`.
   * Public and US Gov share sts.windows.net; China has its own (Learn Q&A 1190472, Entra docs' China samples).
   */
  stsIssuer: string
  /** The authority named in a vault's 401 challenge (`authorization="<this>/<tenant>"`). */
  challengeAuthority: string
  vaultSuffix: string
  /** The Key Vault resource: the scope clients ask for and the `resource` of the 401 challenge. */
  vaultResource: string
  /** The Resource Manager host. */
  managementHost: string
  /** Token audiences Resource Manager accepts (both the classic and the new resource id, with and without `/`). */
  managementAudiences: string[]
  /** The `aud` of GitHub tokens that the cloud's federated credentials trust. */
  githubAudience: string
}

const withAndWithoutSlash = (...ids: string[]): string[] => ids.flatMap(id => [`${id}/`, id])

export const CLOUDS: Record<CloudName, Cloud> = {
  AzureCloud: {
    name: 'AzureCloud',
    authorityHost: 'https://login.microsoftonline.com',
    loginHosts: ['login.microsoftonline.com', 'login.windows.net'],
    instanceName: 'microsoftonline.com',
    regionScope: 'EU',
    graphHost: 'graph.microsoft.com',
    stsIssuer: 'https://sts.windows.net',
    challengeAuthority: 'https://login.microsoftonline.com',
    vaultSuffix: 'vault.azure.net',
    vaultResource: 'https://vault.azure.net',
    managementHost: 'management.azure.com',
    managementAudiences: withAndWithoutSlash(
      'https://management.core.windows.net',
      'https://management.azure.com'
    ),
    githubAudience: 'api://AzureADTokenExchange'
  },
  AzureUSGovernment: {
    name: 'AzureUSGovernment',
    authorityHost: 'https://login.microsoftonline.us',
    loginHosts: ['login.microsoftonline.us', 'login.usgovcloudapi.net'],
    instanceName: 'microsoftonline.us',
    regionScope: 'USGov',
    graphHost: 'graph.microsoft.us',
    stsIssuer: 'https://sts.windows.net',
    challengeAuthority: 'https://login.microsoftonline.us',
    vaultSuffix: 'vault.usgovcloudapi.net',
    vaultResource: 'https://vault.usgovcloudapi.net',
    managementHost: 'management.usgovcloudapi.net',
    managementAudiences: withAndWithoutSlash(
      'https://management.core.usgovcloudapi.net',
      'https://management.usgovcloudapi.net'
    ),
    githubAudience: 'api://AzureADTokenExchangeUSGov'
  },
  AzureChinaCloud: {
    name: 'AzureChinaCloud',
    authorityHost: 'https://login.chinacloudapi.cn',
    loginHosts: ['login.chinacloudapi.cn', 'login.partner.microsoftonline.cn'],
    instanceName: 'partner.microsoftonline.cn',
    regionScope: 'AS',
    graphHost: 'microsoftgraph.chinacloudapi.cn',
    stsIssuer: 'https://sts.chinacloudapi.cn',
    challengeAuthority: 'https://login.chinacloudapi.cn',
    vaultSuffix: 'vault.azure.cn',
    vaultResource: 'https://vault.azure.cn',
    managementHost: 'management.chinacloudapi.cn',
    managementAudiences: withAndWithoutSlash(
      'https://management.core.chinacloudapi.cn',
      'https://management.chinacloudapi.cn'
    ),
    githubAudience: 'api://AzureADTokenExchangeChina'
  }
}

export const CLOUD_NAMES = Object.keys(CLOUDS) as CloudName[]

const hostOnly = (host: string): string => host.toLowerCase().replace(/:\d+$/, '')

/** The cloud whose sign-in host this is (`login.microsoftonline.us` -> AzureUSGovernment), if any. */
export function cloudOfLoginHost(host: string): Cloud | undefined {
  const name = hostOnly(host)
  return Object.values(CLOUDS).find(c => c.loginHosts.includes(name))
}

/** The cloud whose Resource Manager host this is, if any. */
export function cloudOfManagementHost(host: string): Cloud | undefined {
  const name = hostOnly(host)
  return Object.values(CLOUDS).find(c => c.managementHost === name)
}

/** `prod.vault.usgovcloudapi.net` -> the US Gov cloud and `prod`; undefined for any other host. */
export function parseVaultHost(host: string): { cloud: Cloud; name: string } | undefined {
  const name = hostOnly(host)
  for (const cloud of Object.values(CLOUDS)) {
    const suffix = `.${cloud.vaultSuffix}`
    if (name.endsWith(suffix) && name.length > suffix.length)
      return { cloud, name: name.slice(0, -suffix.length) }
  }
  return undefined
}

/** Every host name the proxy maps, for the server certificate. */
export function cloudHostNames(): string[] {
  return Object.values(CLOUDS).flatMap(c => [...c.loginHosts, c.managementHost, `*.${c.vaultSuffix}`])
}
