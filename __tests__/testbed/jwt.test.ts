import { createSigningKey, signJwt, verifyJwt } from '../../testbed/jwt.js'

describe('test bed JWTs', () => {
  const key = createSigningKey()
  const now = Math.floor(Date.now() / 1000)

  it('verifies what it signed', () => {
    const token = signJwt({ sub: 'x', exp: now + 300 }, key)
    expect(verifyJwt(token, [key.publicJwk]).sub).toBe('x')
  })

  it.each([
    ['an expired token', (t: string) => t, { exp: now - 3600 }, /expired/],
    ['a token from another key', (t: string) => t, { exp: now + 300 }, /key not found/],
    ['a tampered payload', (t: string) => t.replace(/\.[^.]+\./, '.e30.'), { exp: now + 300 }, /signature/]
  ])('refuses %s', (name, mangle, claims, error) => {
    const signer = name.includes('another key') ? createSigningKey() : key
    expect(() => verifyJwt(mangle(signJwt(claims, signer)), [key.publicJwk])).toThrow(error)
  })
})
