/** RS256 JSON Web Tokens and key sets with node:crypto, for the fake Entra and the fake GitHub OIDC issuer. */
import {
  createPublicKey,
  createSign,
  createVerify,
  generateKeyPairSync,
  randomUUID,
  type JsonWebKey,
  type KeyObject
} from 'node:crypto'

export interface SigningKey {
  kid: string
  privateKey: KeyObject
  publicJwk: JsonWebKey & { kid: string; alg: string; use: string }
}

export type JwtClaims = Record<string, unknown> & {
  iss?: string
  sub?: string
  aud?: string | string[]
  exp?: number
  nbf?: number
  iat?: number
}

/** A fresh RSA-2048 signing key with its public JWK. */
export function createSigningKey(): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const kid = randomUUID()
  return {
    kid,
    privateKey,
    publicJwk: { ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' }
  }
}

const b64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url')

/** Signs the claims as a compact RS256 JWT. */
export function signJwt(claims: JwtClaims, key: SigningKey): string {
  const header = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: key.kid }))
  const payload = b64url(JSON.stringify(claims))
  const signer = createSign('RSA-SHA256')
  signer.update(`${header}.${payload}`)
  return `${header}.${payload}.${signer.sign(key.privateKey).toString('base64url')}`
}

/** Decodes a JWT without verifying it. Throws on a value that is not a JWT. */
export function decodeJwt(token: string): { header: Record<string, unknown>; claims: JwtClaims } {
  const parts = token.split('.')
  if (parts.length !== 3) throw new Error('not a JWT')
  return {
    header: JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8')),
    claims: JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'))
  }
}

/** Tokens whose signature was verified, and the key that verified it (a bearer token is sent with every request). */
const verified = new Map<string, JsonWebKey>()
const publicKeys = new WeakMap<JsonWebKey, KeyObject>()

/**
 * Verifies an RS256 JWT's signature against a key set and returns its claims. Time claims are
 * checked against `nowSeconds` (real time unless given) with 60 s of skew, as Entra does.
 * Throws an Error whose message says which check failed. A signature already verified by a key
 * still in the set is not verified again; the time claims are checked on every call.
 */
export function verifyJwt(
  token: string,
  jwks: ReadonlyArray<JsonWebKey & { kid?: string }>,
  nowSeconds = Math.floor(Date.now() / 1000)
): JwtClaims {
  const { header, claims } = decodeJwt(token)
  if (header.alg !== 'RS256') throw new Error(`unsupported alg ${String(header.alg)}`)
  const jwk = jwks.find(k => k.kid === header.kid)
  if (!jwk) throw new Error('signing key not found')
  if (verified.get(token) !== jwk) {
    const [h, p, s] = token.split('.')
    const verifier = createVerify('RSA-SHA256')
    verifier.update(`${h}.${p}`)
    let key = publicKeys.get(jwk)
    if (!key) publicKeys.set(jwk, (key = createPublicKey({ key: jwk, format: 'jwk' })))
    if (!verifier.verify(key, Buffer.from(s, 'base64url'))) throw new Error('invalid signature')
    if (verified.size >= 1000) verified.clear()
    verified.set(token, jwk)
  }
  if (typeof claims.exp === 'number' && claims.exp + 60 < nowSeconds) throw new Error('token expired')
  if (typeof claims.nbf === 'number' && claims.nbf - 60 > nowSeconds) throw new Error('token not yet valid')
  return claims
}
