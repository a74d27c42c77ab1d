import { jest } from '@jest/globals'
import {
  AzureLogger,
  createClientLogger as createAzureLogger,
  setLogLevel as setAzureLogLevel
} from '@azure/logger'
import {
  createClientLogger as createTypeSpecLogger,
  setLogLevel as setTypeSpecLogLevel,
  TypeSpecRuntimeLogger
} from '@typespec/ts-http-runtime'
import { redactCredentials, routeSdkLog } from '../../src/adapters/sdk-log.js'

describe('redactCredentials', () => {
  const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXBhcnQ'
  it.each([
    ['a bearer header', `authorization: Bearer ${jwt}\r\n`, jwt],
    ['a bare JWT', `token=${jwt}`, jwt],
    ['a client assertion in a form', 'client_assertion=abc.def.ghi&client_id=1', 'abc.def.ghi'],
    ['an access token in JSON', '{"access_token":"opaque-token-value"}', 'opaque-token-value'],
    ['a blob-like base64url run', `value: ${'A'.repeat(300)}`, 'A'.repeat(300)],
    ['a quoted password with spaces', '{"password":"correct horse battery"}', 'horse battery'],
    ['a basic authorization header', 'Authorization: Basic dXNlcjpodW50ZXIy', 'dXNlcjpodW50ZXIy'],
    ['a proxy authorization header', 'proxy-authorization: Basic c3F1aWQ6c2VjcmV0', 'c3F1aWQ6c2VjcmV0'],
    ['a proxy URL with a user and password', 'proxy http://squid:hunter2@10.0.0.5:3128 chosen', 'hunter2']
  ])('removes %s', (_name, line, secret) => {
    expect(redactCredentials(line)).not.toContain(secret)
  })

  it('keeps the proxy host of a URL whose credentials it removed', () => {
    expect(redactCredentials('proxy http://squid:hunter2@10.0.0.5:3128 chosen')).toBe(
      'proxy http://[redacted]@10.0.0.5:3128 chosen'
    )
  })

  it('keeps ordinary lines', () => {
    const line = 'Request: GET https://prod.vault.azure.net/secrets?api-version=2025-07-01 status 200'
    expect(redactCredentials(line)).toBe(line)
  })
})

describe('redactCredentials: secret-like values', () => {
  // A 256-bit key in standard base64 (with +, / and = padding), and one in hex.
  const base64Key = 'q3Jv+8Xk/2mZ1pL0aB7cD9eF4gH6iJ5kL3mN8oP1qR0='
  const hexKey = '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08'
  const sas = 'sv=2025-01-05&se=2026-12-01T00%3A00%3A00Z&sr=b&sp=r&sig=Zx0%2BkLm9%2FqR7sT%3D'
  it.each([
    ['a standard base64 key', `AccountKey=${base64Key};EndpointSuffix=core.windows.net`, base64Key],
    ['a standard base64 key alone', `got ${base64Key} back`, base64Key],
    ['a 64-digit hex key', `HMAC key ${hexKey} loaded`, hexKey],
    ['a 32-digit hex key', 'api key 0123456789abcdef0123456789ABCDEF', '0123456789abcdef0123456789ABCDEF'],
    [
      'the signature of a SAS URL',
      `PUT https://acct.blob.core.windows.net/artifacts/blobs.tar?${sas} 201`,
      'Zx0%2BkLm9%2FqR7sT%3D'
    ],
    [
      'a client secret in a form',
      'client_id=abc&client_secret=Xy7~q.Secret-Value_1&grant_type=client_credentials',
      'Xy7~q.Secret-Value_1'
    ],
    ['a client secret in JSON', '{"client_secret": "Xy7~q.Secret-Value_1"}', 'Xy7~q.Secret-Value_1'],
    ['a password in JSON', '{"password":"correct horse"}', 'correct'],
    ['a password after a colon', 'password: hunter2', 'hunter2'],
    ['a pwd in a form', 'pwd=hunter2&x=1', 'hunter2']
  ])('removes %s, leaving no piece of it', (_name, line, secret) => {
    const redacted = redactCredentials(line)
    // No run of six characters of the secret survives, so no half of it leaks either.
    for (let i = 0; i + 6 <= secret.length; i++) expect(redacted).not.toContain(secret.slice(i, i + 6))
    expect(redacted).toContain('[redacted')
  })

  it('keeps the rest of a SAS URL readable', () => {
    const redacted = redactCredentials(
      `PUT https://acct.blob.core.windows.net/artifacts/blobs.tar?${sas} 201`
    )
    expect(redacted).toBe(
      'PUT https://acct.blob.core.windows.net/artifacts/blobs.tar?sv=2025-01-05&se=2026-12-01T00%3A00%3A00Z&sr=b&sp=r&sig=[redacted] 201'
    )
  })

  it.each([
    'Retrying request in 800 ms (attempt 2 of 9)',
    'The certificate www-tls was restored from its backup',
    'Response status code 404 SecretNotFound for https://contoso-production-keyvault.vault.azure.net/secrets/DatabaseConnectionStringPrimary/',
    'Listing secrets of contoso-production-keyvault, page size 25',
    'ManagedIdentityCredential => IMDS endpoint unavailable; trying the next credential',
    'x-ms-keyvault-region: westeurope; x-ms-keyvault-service-version: 1.9.2164.1'
  ])('keeps an ordinary line: %s', line => {
    expect(redactCredentials(line)).toBe(line)
  })
})

describe('routeSdkLog', () => {
  const token =
    'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL3ZhdWx0LmF6dXJlLm5ldCJ9.c2lnbmF0dXJl'
  const originals = { azure: AzureLogger.log, typespec: TypeSpecRuntimeLogger.log }
  let stderr: jest.SpiedFunction<typeof process.stderr.write>

  beforeEach(() => {
    stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true)
  })
  afterEach(() => {
    stderr.mockRestore()
    setAzureLogLevel(undefined)
    setTypeSpecLogLevel(undefined)
    AzureLogger.log = originals.azure
    TypeSpecRuntimeLogger.log = originals.typespec
  })

  it.each([
    [
      'AzureLogger (@azure/logger)',
      () => setAzureLogLevel('info'),
      () => createAzureLogger('keyvault-secrets')
    ],
    [
      'TypeSpecRuntimeLogger (@typespec/ts-http-runtime)',
      () => setTypeSpecLogLevel('info'),
      () => createTypeSpecLogger('ts-http-runtime')
    ]
  ])('routes %s to the writer, redacted, and nothing to stderr', (_name, enable, child) => {
    const lines: string[] = []
    routeSdkLog(line => lines.push(line))
    enable()
    const logger = child()
    expect(logger.info.enabled).toBe(true)
    logger.info('Request headers: %o', { authorization: `Bearer ${token}`, 'x-ms-client-request-id': 'abc' })
    expect(lines).toHaveLength(1)
    expect(lines[0]).toContain('Bearer [redacted]')
    expect(lines[0]).toContain('x-ms-client-request-id')
    expect(lines[0]).not.toContain(token.split('.')[1])
    expect(stderr).not.toHaveBeenCalled()
  })

  it('without it, the same line goes to stderr unredacted (so the test above holds the routing)', () => {
    setAzureLogLevel('info')
    createAzureLogger('keyvault-secrets').info(`authorization: Bearer ${token}`)
    setAzureLogLevel(undefined)
    setTypeSpecLogLevel('info')
    createTypeSpecLogger('ts-http-runtime').info(`authorization: Bearer ${token}`)
    const written = stderr.mock.calls.map(call => String(call[0]))
    expect(written).toHaveLength(2)
    for (const line of written) expect(line).toContain(token)
  })
})
