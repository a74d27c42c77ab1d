/**
 * X.509 material for certificates: self-signed issuance (node-forge, RSA keys from node:crypto),
 * PKCS#12 and PEM secrets, and parsing of imported PEM / PFX.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  sign,
  X509Certificate
} from 'node:crypto'
import forge from 'node-forge'
import { badParameter, invalidProperty } from './errors.js'

/** The content type of a PKCS#12 certificate secret (the default). */
export const PFX = 'application/x-pkcs12'
/** The content type of a PEM certificate secret. */
export const PEM = 'application/x-pem-file'

const SHORT_NAMES: Record<string, string> = {
  CN: 'CN',
  O: 'O',
  OU: 'OU',
  C: 'C',
  L: 'L',
  ST: 'ST',
  S: 'ST',
  E: 'E'
}

function parseSubject(subject: string): forge.pki.CertificateField[] {
  const fields = subject
    .split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/)
    .map(s => s.trim())
    .filter(Boolean)
    .map(part => {
      const eq = part.indexOf('=')
      const key = part.slice(0, eq).trim().toUpperCase()
      const value = part
        .slice(eq + 1)
        .trim()
        .replace(/^"|"$/g, '')
      if (eq < 1 || !SHORT_NAMES[key])
        throw badParameter(`The subject '${subject}' is not a valid X.500 name.`)
      return { shortName: SHORT_NAMES[key], value }
    })
  if (!fields.length) throw badParameter('The certificate policy has no subject.')
  return fields
}

export interface IssueOptions {
  subject: string
  dnsNames?: string[]
  validityMonths: number
  /** Clock ms. */
  now: number
}

const { asn1 } = forge
const SEQUENCE = asn1.Type.SEQUENCE
const UNIVERSAL = asn1.Class.UNIVERSAL
const SHA256_RSA = '1.2.840.113549.1.1.11'
const SHA256_ECDSA = '1.2.840.10045.4.3.2'

// forge builds the ASN.1 but only knows RSA keys and signs slowly in pure JS (seconds under Jest);
// so it gets a placeholder RSA key, and node:crypto supplies the real SubjectPublicKeyInfo and signature.
// Present in node-forge, missing from @types/node-forge.
const pkiInternals = forge.pki as unknown as {
  getTBSCertificate(cert: forge.pki.Certificate): forge.asn1.Asn1
  getCertificationRequestInfo(csr: forge.pki.CertificateSigningRequest): forge.asn1.Asn1
}

let placeholder: forge.pki.rsa.PublicKey | undefined
function placeholderKey(): forge.pki.rsa.PublicKey {
  placeholder ??= forge.pki.publicKeyFromPem(
    generateKeyPairSync('rsa', { modulusLength: 1024 })
      .publicKey.export({ type: 'spki', format: 'pem' })
      .toString()
  )
  return placeholder
}

function algorithmId(oid: string): forge.asn1.Asn1 {
  const parts = [asn1.create(UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(oid).getBytes())]
  if (oid === SHA256_RSA) parts.push(asn1.create(UNIVERSAL, asn1.Type.NULL, false, ''))
  return asn1.create(UNIVERSAL, SEQUENCE, true, parts)
}

/** Replaces forge's placeholder key and algorithm, signs with node:crypto, returns the DER. */
function signInfo(
  info: forge.asn1.Asn1,
  privateKeyPem: string,
  spkiIndex: number,
  algIndex: number | undefined
): Buffer {
  const key = createPrivateKey(privateKeyPem)
  const alg = algorithmId(key.asymmetricKeyType === 'ec' ? SHA256_ECDSA : SHA256_RSA)
  const spki = createPublicKey(key).export({ type: 'spki', format: 'der' })
  const fields = info.value as forge.asn1.Asn1[]
  fields[spkiIndex] = asn1.fromDer(spki.toString('binary'))
  if (algIndex !== undefined) fields[algIndex] = alg
  const der = Buffer.from(asn1.toDer(info).getBytes(), 'binary')
  const signature = sign('sha256', der, key)
  const whole = asn1.create(UNIVERSAL, SEQUENCE, true, [
    info,
    alg,
    asn1.create(UNIVERSAL, asn1.Type.BITSTRING, false, '\0' + signature.toString('binary'))
  ])
  return Buffer.from(asn1.toDer(whole).getBytes(), 'binary')
}

/** A self-signed certificate (DER) for an RSA or EC key given as PKCS#8 PEM. */
export function issueSelfSigned(privateKeyPem: string, opts: IssueOptions): Buffer {
  const cert = forge.pki.createCertificate()
  cert.publicKey = placeholderKey()
  const serial = randomBytes(16)
  serial[0] &= 0x7f
  cert.serialNumber = serial.toString('hex')
  const notBefore = new Date(Math.floor(opts.now / 1000) * 1000)
  const notAfter = new Date(notBefore)
  notAfter.setUTCMonth(notAfter.getUTCMonth() + opts.validityMonths)
  cert.validity.notBefore = notBefore
  cert.validity.notAfter = notAfter
  const subject = parseSubject(opts.subject)
  cert.setSubject(subject)
  cert.setIssuer(subject)
  const extensions: object[] = [
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true, clientAuth: true }
  ]
  if (opts.dnsNames?.length)
    extensions.push({ name: 'subjectAltName', altNames: opts.dnsNames.map(value => ({ type: 2, value })) })
  cert.setExtensions(extensions)
  cert.siginfo.algorithmOid = SHA256_RSA
  // TBSCertificate: [0] version, serial, signature algorithm, issuer, validity, subject, SPKI, [3] extensions.
  return signInfo(pkiInternals.getTBSCertificate(cert), privateKeyPem, 6, 2)
}

/** A PKCS#10 request for the key (the `csr` of a certificate operation), base64 DER. */
export function createCsr(privateKeyPem: string, subject: string): string {
  const csr = forge.pki.createCertificationRequest()
  csr.publicKey = placeholderKey()
  csr.setSubject(parseSubject(subject))
  // CertificationRequestInfo: version, subject, SPKI, [0] attributes.
  return signInfo(pkiInternals.getCertificationRequestInfo(csr), privateKeyPem, 2, undefined).toString(
    'base64'
  )
}

/** The x5t of a certificate: SHA-1 of the DER, base64url. */
export function thumbprint(der: Buffer): string {
  return createHash('sha1').update(der).digest('base64url')
}

/** Validity of a DER certificate in Unix seconds, and its subject as the service writes it. */
export function validity(der: Buffer): { nbf: number; exp: number; subject: string } {
  const x = new X509Certificate(der)
  return {
    nbf: Math.floor(Date.parse(x.validFrom) / 1000),
    exp: Math.floor(Date.parse(x.validTo) / 1000),
    subject: dotNetName(x.subject)
  }
}

/**
 * A distinguished name as .NET's X500DistinguishedName writes it, which is how the service shows an
 * imported certificate's subject: most specific first, `S=` for the state, `, ` between parts
 * (e.g. "CN=*.microsoft.com, OU=Microsoft Corporation, O=Microsoft Corporation, L=Redmond, S=WA, C=US").
 */
function dotNetName(nodeSubject: string): string {
  return nodeSubject
    .split('\n')
    .filter(Boolean)
    .reverse()
    .map(part => {
      const eq = part.indexOf('=')
      const key = part.slice(0, eq) === 'ST' ? 'S' : part.slice(0, eq)
      const value = part.slice(eq + 1)
      return `${key}=${/[,+"]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value}`
    })
    .join(', ')
}

const KEY_USAGE_BITS = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly'
]

/** What an imported certificate tells its policy: x509_props and key_props derived from the certificate. */
export interface CertificateFacts {
  subject: string
  sans?: { dns_names?: string[]; emails?: string[] }
  ekus: string[]
  keyUsage: string[]
  validityMonths: number
  keyProps: Record<string, unknown>
}

/** Whole months from notBefore to notAfter, a started month counting as one (the service's validity_months). */
function monthsBetween(from: Date, to: Date): number {
  const after = (months: number): number => {
    const d = new Date(from)
    d.setUTCMonth(d.getUTCMonth() + months)
    return d.getTime()
  }
  let months = (to.getUTCFullYear() - from.getUTCFullYear()) * 12 + to.getUTCMonth() - from.getUTCMonth()
  while (months > 0 && after(months) > to.getTime()) months--
  return after(months) < to.getTime() ? months + 1 : months
}

// forge takes an options object here (its typings know only `strict`): BIT STRINGs stay raw bytes.
const fromDerRaw = (bytes: string): forge.asn1.Asn1 =>
  (asn1.fromDer as unknown as (b: string, o: object) => forge.asn1.Asn1)(bytes, { decodeBitStrings: false })

/** Reads the extensions, validity and key of a DER certificate (RSA or EC). */
export function certificateFacts(der: Buffer): CertificateFacts {
  const x = new X509Certificate(der)
  const facts: CertificateFacts = {
    subject: dotNetName(x.subject),
    ekus: [],
    keyUsage: [],
    validityMonths: monthsBetween(new Date(x.validFrom), new Date(x.validTo)),
    keyProps: {}
  }
  const details = x.publicKey.asymmetricKeyDetails ?? {}
  facts.keyProps =
    x.publicKey.asymmetricKeyType === 'ec'
      ? { kty: 'EC', crv: CURVE_NAMES[details.namedCurve ?? ''] ?? details.namedCurve }
      : { kty: 'RSA', key_size: details.modulusLength }
  const cert = fromDerRaw(der.toString('binary'))
  const tbs = (cert.value as forge.asn1.Asn1[])[0].value as forge.asn1.Asn1[]
  const extensions = tbs.find(f => f.tagClass === asn1.Class.CONTEXT_SPECIFIC && f.type === 3)
  const list = ((extensions?.value as forge.asn1.Asn1[] | undefined)?.[0]?.value ?? []) as forge.asn1.Asn1[]
  for (const ext of list) {
    const parts = ext.value as forge.asn1.Asn1[]
    const oid = asn1.derToOid(parts[0].value as string)
    const inner = fromDerRaw(parts[parts.length - 1].value as string)
    if (oid === '2.5.29.15') {
      const bits = inner.value as string
      facts.keyUsage = KEY_USAGE_BITS.filter((_, i) => {
        const byte = bits.charCodeAt(1 + (i >> 3))
        return !Number.isNaN(byte) && (byte >> (7 - (i & 7))) & 1
      })
    } else if (oid === '2.5.29.37') {
      facts.ekus = (inner.value as forge.asn1.Asn1[]).map(o => asn1.derToOid(o.value as string))
    } else if (oid === '2.5.29.17') {
      const names = inner.value as forge.asn1.Asn1[]
      const of = (type: number) =>
        names
          .filter(n => n.tagClass === asn1.Class.CONTEXT_SPECIFIC && n.type === type)
          .map(n => String(n.value))
      const dns = of(2)
      const emails = of(1)
      if (dns.length || emails.length)
        facts.sans = { ...(emails.length ? { emails } : {}), ...(dns.length ? { dns_names: dns } : {}) }
    }
  }
  return facts
}

const CURVE_NAMES: Record<string, string> = {
  prime256v1: 'P-256',
  secp384r1: 'P-384',
  secp521r1: 'P-521',
  secp256k1: 'P-256K'
}

const pemBlock = (label: string, der: Buffer): string =>
  `-----BEGIN ${label}-----\n${der
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '')}\n-----END ${label}-----\n`

/**
 * The secret of a certificate in PEM form: the PKCS#8 key, then the chain. Without a key (a
 * non-exportable certificate) only the certificates.
 */
export function toPemSecret(privateKeyPem: string | undefined, certs: Buffer[]): string {
  const chain = certs.map(c => pemBlock('CERTIFICATE', c)).join('')
  return privateKeyPem ? privateKeyPem.trim() + '\n' + chain : chain
}

/**
 * The secret of a certificate as PKCS#12 (no password, like Key Vault's), base64. Without a key (a
 * non-exportable certificate) the PKCS#12 holds only the certificates.
 */
export function toPfxSecret(privateKeyPem: string | undefined, certs: Buffer[]): string {
  const key = privateKeyPem ? forge.pki.privateKeyFromPem(privateKeyPem) : null
  const chain = certs.map(c => forge.pki.certificateFromAsn1(forge.asn1.fromDer(c.toString('binary'))))
  const p12 = forge.pkcs12.toPkcs12Asn1(key, chain, null, { algorithm: '3des', useMac: false } as never)
  return Buffer.from(forge.asn1.toDer(p12).getBytes(), 'binary').toString('base64')
}

export interface ParsedImport {
  privateKeyPem: string
  kty: 'RSA' | 'EC'
  /** The leaf first. */
  certs: Buffer[]
}

// The service's import errors (reference section 5). Their status and code were not shown: 400 BadParameter here.
const PEM_UNREADABLE =
  'The specified PEM X.509 certificate content can not be read. Please check if certificate is in valid PEM format. Accepted formats: PEM content or Base64 encoded PEM content.'
const PEM_UNEXPECTED =
  'The specified PEM X.509 certificate content is in an unexpected format. Please check if certificate is in valid PEM format.'
const PFX_UNREADABLE =
  'The specified PKCS#12 X.509 certificate content can not be read. Please check if certificate is in valid PKCS#12 format.'

/** The PEM text of an import value: raw PEM, or base64 of PEM (both accepted by the service). */
function pemText(value: string): string | undefined {
  if (value.includes('-----BEGIN')) return value
  const compact = value.replace(/\s+/g, '')
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) return undefined
  const decoded = Buffer.from(compact, 'base64').toString('utf8')
  return decoded.includes('-----BEGIN') ? decoded : undefined
}

function fromPem(text: string): { keyPem: string; certs: Buffer[] } {
  const keyMatch =
    /-----BEGIN (?:RSA |EC |ENCRYPTED )?PRIVATE KEY-----[\s\S]+?-----END (?:RSA |EC |ENCRYPTED )?PRIVATE KEY-----/.exec(
      text
    )
  if (!keyMatch) throw new Error('no private key')
  const certs = [...text.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/g)].map(m =>
    Buffer.from(m[1].replace(/\s+/g, ''), 'base64')
  )
  return { keyPem: keyMatch[0], certs }
}

function fromPfx(value: string, password: string | undefined): { keyPem: string; certs: Buffer[] } {
  const p12 = forge.pkcs12.pkcs12FromAsn1(
    forge.asn1.fromDer(Buffer.from(value, 'base64').toString('binary')),
    false,
    password ?? ''
  )
  const keyBags = [
    ...(p12.getBags({ bagType: forge.pki.oids.pkcs8ShroudedKeyBag })[forge.pki.oids.pkcs8ShroudedKeyBag] ??
      []),
    ...(p12.getBags({ bagType: forge.pki.oids.keyBag })[forge.pki.oids.keyBag] ?? [])
  ]
  const key = keyBags.find(b => b.key)?.key
  if (!key) throw new Error('no private key')
  const certs = (p12.getBags({ bagType: forge.pki.oids.certBag })[forge.pki.oids.certBag] ?? [])
    .filter(b => b.cert)
    .map(b => Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(b.cert!)).getBytes(), 'binary'))
  return { keyPem: forge.pki.privateKeyToPem(key), certs }
}

/**
 * Parses an imported certificate as the policy's content type says: `application/x-pem-file` reads
 * PEM (raw text or base64 of it), anything else PKCS#12 (base64, optional password). PEM content under
 * a PKCS#12 policy that was given explicitly is "Property policy has invalid value" (recorded); without
 * a policy it is an unreadable PKCS#12. Both must hold the private key and its certificate.
 */
export function parseImport(
  value: string,
  password: string | undefined,
  format: 'pem' | 'pkcs12',
  policyGiven: boolean
): ParsedImport {
  let material: { keyPem: string; certs: Buffer[] }
  if (format === 'pem') {
    const text = pemText(value)
    if (!text) throw badParameter(PEM_UNREADABLE)
    material = attempt(() => fromPem(text), PEM_UNEXPECTED)
  } else {
    if (policyGiven && pemText(value)) throw invalidProperty('policy')
    material = attempt(() => fromPfx(value, password), PFX_UNREADABLE)
  }
  return attempt(
    () => {
      const keyObject = createPrivateKey({ key: material.keyPem, passphrase: password })
      const certs = material.certs
      if (!certs.length) throw new Error('no certificate')
      const leafIndex = certs.findIndex(c => new X509Certificate(c).checkPrivateKey(keyObject))
      if (leafIndex < 0) throw new Error('no certificate for the key')
      return {
        privateKeyPem: keyObject.export({ type: 'pkcs8', format: 'pem' }).toString(),
        kty: keyObject.asymmetricKeyType === 'ec' ? 'EC' : 'RSA',
        certs: [certs[leafIndex], ...certs.filter((_, i) => i !== leafIndex)]
      }
    },
    format === 'pem' ? PEM_UNEXPECTED : PFX_UNREADABLE
  )
}

function attempt<T>(run: () => T, message: string): T {
  try {
    return run()
  } catch {
    throw badParameter(message)
  }
}
