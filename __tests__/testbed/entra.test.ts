import { mkdtempSync } from 'node:fs'
import { request } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ClientAssertionCredential, ClientSecretCredential } from '@azure/identity'
import { createTlsMaterial, type TlsMaterial } from '../../testbed/ca.js'
import { DEFAULT_AUDIENCE, GITHUB_ISSUER, defaultLayout } from '../../testbed/config.js'
import { startEntra, type FakeEntra } from '../../testbed/entra.js'
import { startGitHubServices, type FakeGitHub } from '../../testbed/github/index.js'
import { createSigningKey, signJwt, verifyJwt } from '../../testbed/jwt.js'

const layout = defaultLayout()
const app = layout.apps[0]
const usgov = layout.tenants.find(t => t.name === 'usgov')!
const china = layout.tenants.find(t => t.name === 'china')!
const partner = layout.tenants.find(t => t.name === 'partner')!
const KEY_VAULT_SCOPE = 'https://vault.azure.net/.default'

let tls: TlsMaterial
let github: FakeGitHub
let entra: FakeEntra

/** GETs JSON from the fake over TLS trusting the test CA; `host` overrides the Host header (as through the proxy). */
function getJson(
  url: string,
  headers: Record<string, string> = {}
): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca: tls.caPem, headers }, res => {
      let text = ''
      res.on('data', chunk => (text += chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }))
    })
    req.on('error', reject)
    req.end()
  })
}

/** POSTs a form to the token endpoint of a tenant. */
function postToken(
  tenant: string,
  form: Record<string, string>
): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const data = new URLSearchParams(form).toString()
    const req = request(
      `${entra.url}/${tenant}/oauth2/v2.0/token`,
      { method: 'POST', ca: tls.caPem, headers: { 'content-type': 'application/x-www-form-urlencoded' } },
      res => {
        let text = ''
        res.on('data', chunk => (text += chunk))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }))
      }
    )
    req.on('error', reject)
    req.end(data)
  })
}

/** A GitHub OIDC token from the fake GitHub, fetched like @actions/core does. */
async function githubToken(): Promise<string> {
  const env = github.runEnv()
  const res = await fetch(
    `${env.ACTIONS_ID_TOKEN_REQUEST_URL}&audience=${encodeURIComponent(DEFAULT_AUDIENCE)}`,
    {
      headers: { authorization: `Bearer ${env.ACTIONS_ID_TOKEN_REQUEST_TOKEN}` }
    }
  )
  return ((await res.json()) as { value: string }).value
}

const credentialOptions = () => ({
  authorityHost: entra.url,
  disableInstanceDiscovery: true,
  tlsOptions: { ca: tls.caPem }
})

function assertionCredential(counter?: { calls: number }): ClientAssertionCredential {
  return new ClientAssertionCredential(
    layout.tenantId,
    app.clientId,
    () => {
      if (counter) counter.calls++
      return githubToken()
    },
    credentialOptions()
  )
}

beforeAll(async () => {
  tls = createTlsMaterial(mkdtempSync(join(tmpdir(), 'kvb-entra-test-')))
  github = await startGitHubServices({ ...layout.github })
  entra = await startEntra({ tls, layout, githubJwks: () => github.jwks() })
})

afterAll(async () => {
  await entra?.stop()
  await github?.stop()
})

describe('fake Entra metadata', () => {
  it('serves an OpenID configuration whose URLs share the authority of the host used', async () => {
    const local = await getJson(`${entra.url}/${layout.tenantId}/v2.0/.well-known/openid-configuration`)
    expect(local.status).toBe(200)
    expect(local.body).toMatchObject({
      issuer: `${entra.url}/${layout.tenantId}/v2.0`,
      token_endpoint: `${entra.url}/${layout.tenantId}/oauth2/v2.0/token`,
      authorization_endpoint: `${entra.url}/${layout.tenantId}/oauth2/v2.0/authorize`,
      jwks_uri: `${entra.url}/${layout.tenantId}/discovery/v2.0/keys`
    })
    const proxied = await getJson(`${entra.url}/${usgov.tenantId}/v2.0/.well-known/openid-configuration`, {
      host: 'login.microsoftonline.us'
    })
    expect(proxied.body.issuer).toBe(`https://login.microsoftonline.us/${usgov.tenantId}/v2.0`)
    expect(proxied.body).toMatchObject({
      cloud_instance_name: 'microsoftonline.us',
      tenant_region_scope: 'USGov'
    })
    const mooncake = await getJson(`${entra.url}/${china.tenantId}/v2.0/.well-known/openid-configuration`, {
      host: 'login.partner.microsoftonline.cn'
    })
    expect(mooncake.body.issuer).toBe(`https://login.partner.microsoftonline.cn/${china.tenantId}/v2.0`)
    expect(mooncake.body.cloud_instance_name).toBe('partner.microsoftonline.cn')
  })

  it('serves a tenant only in its own cloud (a US Gov tenant still shows its metadata on the public host)', async () => {
    const publicOnGov = await getJson(
      `${entra.url}/${layout.tenantId}/v2.0/.well-known/openid-configuration`,
      {
        host: 'login.microsoftonline.us'
      }
    )
    expect(publicOnGov.status).toBe(400)
    expect(publicOnGov.body.error_codes).toEqual([90002])
    const chinaOnPublic = await getJson(
      `${entra.url}/${china.tenantId}/v2.0/.well-known/openid-configuration`,
      {
        host: 'login.microsoftonline.com'
      }
    )
    expect(chinaOnPublic.body.error_codes).toEqual([90002])
    const govOnPublic = await getJson(
      `${entra.url}/${usgov.tenantId}/v2.0/.well-known/openid-configuration`,
      {
        host: 'login.microsoftonline.com'
      }
    )
    expect(govOnPublic.body).toMatchObject({
      tenant_region_scope: 'USGov',
      cloud_instance_name: 'microsoftonline.us'
    })
  })

  it('answers MSAL instance discovery for the host used', async () => {
    const authorize = `https://login.microsoftonline.com/${layout.tenantId}/oauth2/v2.0/authorize`
    const { body } = await getJson(
      `${entra.url}/common/discovery/instance?api-version=1.1&authorization_endpoint=${encodeURIComponent(authorize)}`,
      { host: 'login.microsoftonline.com' }
    )
    expect(body.tenant_discovery_endpoint).toBe(
      `https://login.microsoftonline.com/${layout.tenantId}/v2.0/.well-known/openid-configuration`
    )
    expect(body.metadata).toEqual([
      expect.objectContaining({ preferred_network: 'login.microsoftonline.com' })
    ])
  })

  it('refuses an unknown tenant with AADSTS90002', async () => {
    const { status, body } = await getJson(
      `${entra.url}/no-such-tenant/v2.0/.well-known/openid-configuration`
    )
    expect(status).toBe(400)
    expect(body).toMatchObject({ error: 'invalid_tenant', error_codes: [90002] })
    expect(body.error_description).toMatch(/^AADSTS90002: Tenant 'no-such-tenant' not found\./)
    expect(body).toHaveProperty('trace_id')
    expect(body).toHaveProperty('correlation_id')
  })
})

describe('fake Entra tokens', () => {
  it('gives ClientAssertionCredential a Key Vault token for a GitHub OIDC assertion', async () => {
    const counter = { calls: 0 }
    const before = entra.tokenLog.length
    const token = await assertionCredential(counter).getToken(KEY_VAULT_SCOPE)
    // MSAL may read the assertion more than once per acquisition; Entra sees one token request.
    expect(counter.calls).toBeGreaterThanOrEqual(1)
    expect(entra.tokenLog.length - before).toBe(1)
    const claims = verifyJwt(token.token, entra.jwks())
    expect(claims).toMatchObject({
      aud: 'https://vault.azure.net',
      iss: `https://sts.windows.net/${layout.tenantId}/`,
      tid: layout.tenantId,
      oid: app.objectId,
      appid: app.clientId,
      azp: app.clientId
    })
    expect(token.expiresOnTimestamp).toBeGreaterThan(Date.now() + 3000_000)
    expect(entra.tokenLog.at(-1)).toMatchObject({
      clientId: app.clientId,
      grant: 'client_assertion',
      status: 200
    })
  })

  it('calls the assertion callback on every token request and refreshes short-lived tokens', async () => {
    entra.accessTokenLifetimeSeconds = 5
    try {
      const counter = { calls: 0 }
      const credential = assertionCredential(counter)
      const before = entra.tokenLog.length
      const first = await credential.getToken(KEY_VAULT_SCOPE)
      const callsForFirst = counter.calls
      const second = await credential.getToken(KEY_VAULT_SCOPE)
      expect(callsForFirst).toBeGreaterThanOrEqual(1)
      expect(counter.calls).toBeGreaterThan(callsForFirst)
      expect(entra.tokenLog.length - before).toBe(2)
      expect(second.token).not.toBe(first.token)
      expect(verifyJwt(second.token, entra.jwks()).exp).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 5)
    } finally {
      entra.accessTokenLifetimeSeconds = 3599
    }
  })

  it('refuses an assertion whose subject matches no federated credential (AADSTS70021)', async () => {
    const subject = github.subject
    github.subject = 'repo:octo-org/octo-repo:pull_request'
    try {
      const error = await assertionCredential()
        .getToken(KEY_VAULT_SCOPE)
        .then(
          () => undefined,
          (e: Error) => e
        )
      expect(error?.message).toContain(
        'AADSTS70021: No matching federated identity record found for presented assertion.'
      )
      expect(error?.message).toContain(`Assertion Issuer: '${GITHUB_ISSUER}'`)
      expect(error?.message).toContain("Assertion Subject: 'repo:octo-org/octo-repo:pull_request'")
      expect(error?.message).toContain(`Assertion Audience: '${DEFAULT_AUDIENCE}'`)
    } finally {
      github.subject = subject
    }
  })

  it('refuses an expired assertion (AADSTS700024)', async () => {
    github.oidcTokenLifetimeSeconds = -120
    try {
      await expect(assertionCredential().getToken(KEY_VAULT_SCOPE)).rejects.toThrow(
        /AADSTS700024: Client assertion is not within its valid time range\. Current time: .*expiry time of assertion/
      )
    } finally {
      github.oidcTokenLifetimeSeconds = 300
    }
    expect(entra.tokenLog.at(-1)).toMatchObject({ status: 401, error: 'AADSTS700024' })
  })

  it('gives ClientSecretCredential a token and refuses a wrong secret or an unknown client', async () => {
    const token = await new ClientSecretCredential(
      layout.tenantId,
      app.clientId,
      app.clientSecret ?? '',
      credentialOptions()
    ).getToken('https://management.core.windows.net//.default')
    const claims = verifyJwt(token.token, entra.jwks())
    expect(claims.aud).toBe('https://management.core.windows.net/')
    expect(claims.appidacr).toBe('1')

    await expect(
      new ClientSecretCredential(layout.tenantId, app.clientId, 'wrong', credentialOptions()).getToken(
        KEY_VAULT_SCOPE
      )
    ).rejects.toThrow(/AADSTS7000215: Invalid client secret provided/)
    await expect(
      new ClientSecretCredential(layout.tenantId, 'no-such-app', 'x', credentialOptions()).getToken(
        KEY_VAULT_SCOPE
      )
    ).rejects.toThrow(/AADSTS700016: Application with identifier 'no-such-app' was not found/)
  })

  it('issues tokens per tenant and cloud: each tenant its own apps, China its own issuer', async () => {
    const tokenOf = async (tenant: typeof usgov, scope: string) => {
      const first = tenant.apps[0]
      const res = await postToken(tenant.tenantId, {
        grant_type: 'client_credentials',
        client_id: first.clientId,
        client_secret: first.clientSecret ?? '',
        scope
      })
      expect(res.status).toBe(200)
      return verifyJwt(String(res.body.access_token), entra.jwks())
    }
    expect(await tokenOf(usgov, 'https://vault.usgovcloudapi.net/.default')).toMatchObject({
      aud: 'https://vault.usgovcloudapi.net',
      iss: `https://sts.windows.net/${usgov.tenantId}/`,
      tid: usgov.tenantId
    })
    expect(await tokenOf(china, 'https://vault.azure.cn/.default')).toMatchObject({
      aud: 'https://vault.azure.cn',
      iss: `https://sts.chinacloudapi.cn/${china.tenantId}/`
    })
    expect(await tokenOf(partner, KEY_VAULT_SCOPE)).toMatchObject({
      iss: `https://sts.windows.net/${partner.tenantId}/`,
      oid: partner.apps[0].objectId
    })
    // The first app is not registered in the partner tenant.
    const foreign = await postToken(partner.tenantId, {
      grant_type: 'client_credentials',
      client_id: app.clientId,
      client_secret: app.clientSecret ?? '',
      scope: KEY_VAULT_SCOPE
    })
    expect(foreign.body.error_codes).toEqual([700016])
  })
})

describe('fake Entra token endpoint errors', () => {
  const secretForm = (extra: Record<string, string> = {}) => ({
    grant_type: 'client_credentials',
    client_id: app.clientId,
    client_secret: app.clientSecret ?? '',
    scope: KEY_VAULT_SCOPE,
    ...extra
  })
  const assertionForm = (assertion: string) => ({
    grant_type: 'client_credentials',
    client_id: app.clientId,
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: assertion,
    scope: KEY_VAULT_SCOPE
  })
  const foreignToken = () => {
    const key = createSigningKey()
    const now = Math.floor(Date.now() / 1000)
    return signJwt(
      { iss: GITHUB_ISSUER, sub: layout.github.subject, aud: DEFAULT_AUDIENCE, exp: now + 300 },
      key
    )
  }

  it.each([
    ['an unknown tenant', 'other-tenant', () => secretForm(), 400, 'invalid_tenant', 90002],
    ['the common tenant', 'common', () => secretForm(), 400, 'invalid_request', 50059],
    [
      'another grant type',
      layout.tenantId,
      () => secretForm({ grant_type: 'password' }),
      400,
      'unsupported_grant_type',
      70003
    ],
    [
      'a scope without /.default',
      layout.tenantId,
      () => secretForm({ scope: 'https://vault.azure.net' }),
      400,
      'invalid_scope',
      1002012
    ],
    [
      'a wrong secret',
      layout.tenantId,
      () => secretForm({ client_secret: 'nope' }),
      401,
      'invalid_client',
      7000215
    ],
    [
      'an unknown client',
      layout.tenantId,
      () => secretForm({ client_id: 'nobody' }),
      400,
      'unauthorized_client',
      700016
    ],
    [
      'a malformed assertion',
      layout.tenantId,
      () => assertionForm('not-a-jwt'),
      400,
      'invalid_request',
      50027
    ],
    [
      'an assertion signed by another key',
      layout.tenantId,
      () => assertionForm(foreignToken()),
      401,
      'invalid_client',
      700027
    ]
  ])('answers %s like Entra', async (_name, tenant, form, status, error, code) => {
    const res = await postToken(tenant, form())
    expect(res.status).toBe(status)
    expect(res.body).toMatchObject({ error, error_codes: [code] })
    expect(res.body.error_description).toMatch(
      new RegExp(`^AADSTS${code}: .+\\r\\nTrace ID: .+\\r\\nCorrelation ID: .+\\r\\nTimestamp: `)
    )
    expect(Object.keys(res.body)).toEqual(
      expect.arrayContaining(['timestamp', 'trace_id', 'correlation_id', 'error_uri'])
    )
  })

  it('answers success with the token fields Entra sends', async () => {
    const res = await postToken(layout.tenantId, secretForm())
    expect(res.status).toBe(200)
    expect(res.body).toEqual({
      token_type: 'Bearer',
      expires_in: 3599,
      ext_expires_in: 3599,
      access_token: expect.any(String)
    })
  })
})
