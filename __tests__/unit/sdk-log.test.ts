import { redactCredentials } from '../../src/adapters/sdk-log.js'

describe('redactCredentials', () => {
  const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXBhcnQ'
  it.each([
    ['a bearer header', `authorization: Bearer ${jwt}\r\n`, jwt],
    ['a bare JWT', `token=${jwt}`, jwt],
    ['a client assertion in a form', 'client_assertion=abc.def.ghi&client_id=1', 'abc.def.ghi'],
    ['an access token in JSON', '{"access_token":"opaque-token-value"}', 'opaque-token-value'],
    ['a blob-like base64url run', `value: ${'A'.repeat(300)}`, 'A'.repeat(300)]
  ])('removes %s', (_name, line, secret) => {
    expect(redactCredentials(line)).not.toContain(secret)
  })

  it('keeps ordinary lines', () => {
    const line = 'Request: GET https://prod.vault.azure.net/secrets?api-version=2025-07-01 status 200'
    expect(redactCredentials(line)).toBe(line)
  })
})
