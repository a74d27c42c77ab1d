/**
 * The nextLink paging policy: "each page is one call, so a 503 or a reset retries that page alone,
 * resuming from the last continuation token". The Key Vault SDKs drop the page's continuation token
 * (`page.map(...)`), so `readPage` learns it from `pageLinkPolicy`. A real SecretClient runs over a
 * fake http client that serves the service's page shapes, including an empty first page with a link.
 */
import { SecretClient } from '@azure/keyvault-secrets'
import { pageLinkPolicy, readPage } from '../../src/adapters/paging.js'
import { credentialStub, FakeVaultHttp, notFound, VAULT_URL, type FakeAnswer } from './fake-vault-http.js'

const link = (path: string, token: string) => `${VAULT_URL}:443${path}?$skiptoken=${token}&maxresults=25`
const secretItem = (name: string) => ({
  id: `${VAULT_URL}/secrets/${name}`,
  attributes: { enabled: true, recoveryLevel: 'Recoverable+Purgeable' }
})
const versionItem = (name: string, version: string) => ({
  id: `${VAULT_URL}/secrets/${name}/${version}`,
  attributes: { enabled: true }
})

/** The secrets listing in three pages: empty with a link, two items with a link, one item and `nextLink: null`. */
function listingPage(url: URL): FakeAnswer | undefined {
  if (url.pathname !== '/secrets') return undefined
  switch (url.searchParams.get('$skiptoken')) {
    case null:
      return { status: 200, body: { value: [], nextLink: link('/secrets', 'page-2') } }
    case 'page-2':
      return {
        status: 200,
        body: { value: [secretItem('alpha'), secretItem('beta')], nextLink: link('/secrets', 'page-3') }
      }
    case 'page-3':
      return { status: 200, body: { value: [secretItem('gamma')], nextLink: null } }
  }
  return undefined
}

/** The versions of secret `delta`: one version and a link, then the last one. */
function versionsPage(url: URL): FakeAnswer | undefined {
  if (url.pathname !== '/secrets/delta/versions') return undefined
  return url.searchParams.get('$skiptoken') === 'v-2'
    ? { status: 200, body: { value: [versionItem('delta', 'v2')], nextLink: null } }
    : {
        status: 200,
        body: { value: [versionItem('delta', 'v1')], nextLink: link('/secrets/delta/versions', 'v-2') }
      }
}

function client(http: FakeVaultHttp, withPolicy = true): SecretClient {
  return new SecretClient(VAULT_URL, credentialStub, {
    httpClient: http,
    retryOptions: { maxRetries: 0 },
    disableChallengeResourceVerification: true,
    additionalPolicies: withPolicy ? [{ policy: pageLinkPolicy, position: 'perCall' }] : []
  })
}

const vault = () =>
  new FakeVaultHttp((method, url) => {
    const page = method === 'GET' ? (listingPage(url) ?? versionsPage(url)) : undefined
    return page ?? notFound(url.pathname)
  })

/** The listing pages the fake served: `path` or `path@token`. */
const pagesServed = (http: FakeVaultHttp) =>
  http.sent
    .filter(s => s.authorized && s.method === 'GET')
    .map(s => {
      const token = s.url.searchParams.get('$skiptoken')
      return token ? `${s.url.pathname}@${token}` : s.url.pathname
    })

const names = (items: Array<{ name?: string }>) => items.map(i => i.name)

describe('readPage over a real SecretClient with pageLinkPolicy', () => {
  it('reads exactly one page (an empty one) and returns the next link', async () => {
    const http = vault()
    const secrets = client(http)
    const page = await readPage(s => secrets.listPropertiesOfSecrets().byPage(s), undefined)
    expect(page).toEqual({ items: [], continuationToken: link('/secrets', 'page-2') })
    expect(pagesServed(http)).toEqual(['/secrets'])
  })

  it('resumes at a link, and ends on the page whose nextLink is null', async () => {
    const http = vault()
    const secrets = client(http)
    const list = (token?: string) => readPage(s => secrets.listPropertiesOfSecrets().byPage(s), token)
    const second = await list(link('/secrets', 'page-2'))
    expect(names(second.items)).toEqual(['alpha', 'beta'])
    expect(second.continuationToken).toBe(link('/secrets', 'page-3'))
    const third = await list(second.continuationToken)
    expect(names(third.items)).toEqual(['gamma'])
    expect(third).not.toHaveProperty('continuationToken')
    expect(pagesServed(http)).toEqual(['/secrets@page-2', '/secrets@page-3'])
    // The SDK goes to the link itself: host, path and token as the service gave them.
    const resumed = http.sent.find(s => s.authorized && s.url.searchParams.get('$skiptoken') === 'page-2')!
    expect(`${resumed.url.origin}${resumed.url.pathname}`).toBe(`${VAULT_URL}/secrets`)
  })

  it('keeps the links of two concurrent listings apart', async () => {
    // The fake answers the versions listing first, while the secrets listing waits: a policy that
    // kept one "last link" for the process would hand each listing the other's.
    let releaseSecrets!: () => void
    const secretsHeld = new Promise<void>(resolve => (releaseSecrets = resolve))
    const http = new FakeVaultHttp(async (method, url) => {
      if (url.searchParams.get('$skiptoken') === 'page-2') await secretsHeld
      const page = method === 'GET' ? (listingPage(url) ?? versionsPage(url)) : undefined
      return page ?? notFound(url.pathname)
    })
    const secrets = client(http)
    await secrets.listPropertiesOfSecrets().byPage().next() // the challenge is settled before the race
    const listing = readPage(s => secrets.listPropertiesOfSecrets().byPage(s), link('/secrets', 'page-2'))
    const versions = readPage(s => secrets.listPropertiesOfSecretVersions('delta').byPage(s), undefined)
    const versionPage = await versions
    releaseSecrets()
    const secretPage = await listing
    expect(versionPage.continuationToken).toBe(link('/secrets/delta/versions', 'v-2'))
    expect(names(versionPage.items)).toEqual(['delta'])
    expect(secretPage.continuationToken).toBe(link('/secrets', 'page-3'))
    expect(names(secretPage.items)).toEqual(['alpha', 'beta'])
  })

  it('refuses to guess when the clients lack the policy, instead of calling the page the last', async () => {
    const http = vault()
    const secrets = client(http, false)
    await expect(
      readPage(s => secrets.listPropertiesOfSecrets().byPage(s), link('/secrets', 'page-2'))
    ).rejects.toThrow('cannot tell where the listing continues')
    // The same page read through a client with the policy does continue.
    const withPolicy = client(vault())
    const page = await readPage(
      s => withPolicy.listPropertiesOfSecrets().byPage(s),
      link('/secrets', 'page-2')
    )
    expect(page.continuationToken).toBe(link('/secrets', 'page-3'))
  })
})
