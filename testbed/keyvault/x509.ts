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
import { badParameter } from './errors.js'

/** The content type of a PKCS#12 certificate secret (the default). */
export const PFX = 'application/x-pkcs12'

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

/** Validity of a DER certificate in Unix seconds. */
export function validity(der: Buffer): { nbf: number; exp: number; subject: string } {
  const x = new X509Certificate(der)
  return {
    nbf: Math.floor(Date.parse(x.validFrom) / 1000),
    exp: Math.floor(Date.parse(x.validTo) / 1000),
    subject: x.subject.split('\n').join(', ')
  }
}

const pemBlock = (label: string, der: Buffer): string =>
  `-----BEGIN ${label}-----\n${der
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '')}\n-----END ${label}-----\n`

/** The secret of a certificate in PEM form: the PKCS#8 key, then the chain. */
export function toPemSecret(privateKeyPem: string, certs: Buffer[]): string {
  return privateKeyPem.trim() + '\n' + certs.map(c => pemBlock('CERTIFICATE', c)).join('')
}

/** The secret of a certificate as PKCS#12 (no password, like Key Vault's), base64. */
export function toPfxSecret(privateKeyPem: string, certs: Buffer[]): string {
  const key = forge.pki.privateKeyFromPem(privateKeyPem)
  const chain = certs.map(c => forge.pki.certificateFromAsn1(forge.asn1.fromDer(c.toString('binary'))))
  const p12 = forge.pkcs12.toPkcs12Asn1(key, chain, null, { algorithm: '3des', useMac: false } as never)
  return Buffer.from(forge.asn1.toDer(p12).getBytes(), 'binary').toString('base64')
}

export interface ParsedImport {
  privateKeyPem: string
  kty: 'RSA' | 'EC'
  /** The leaf first. */
  certs: Buffer[]
  format: 'application/x-pem-file' | 'application/x-pkcs12'
}

/** Parses an imported certificate: PEM text, or base64 PKCS#12 with an optional password. */
export function parseImport(value: string, password: string | undefined): ParsedImport {
  try {
    let keyPem: string
    let certs: Buffer[]
    let format: ParsedImport['format']
    if (value.includes('-----BEGIN')) {
      const keyMatch =
        /-----BEGIN (?:RSA |EC |ENCRYPTED )?PRIVATE KEY-----[\s\S]+?-----END (?:RSA |EC |ENCRYPTED )?PRIVATE KEY-----/.exec(
          value
        )
      if (!keyMatch) throw new Error('no private key')
      keyPem = keyMatch[0]
      certs = [...value.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/g)].map(m =>
        Buffer.from(m[1].replace(/\s+/g, ''), 'base64')
      )
      format = 'application/x-pem-file'
    } else {
      const asn1 = forge.asn1.fromDer(Buffer.from(value, 'base64').toString('binary'))
      const p12 = forge.pkcs12.pkcs12FromAsn1(asn1, false, password ?? '')
      const keyBags = [
        ...(p12.getBags({ bagType: forge.pki.oids.pkcs8ShroudedKeyBag })[
          forge.pki.oids.pkcs8ShroudedKeyBag
        ] ?? []),
        ...(p12.getBags({ bagType: forge.pki.oids.keyBag })[forge.pki.oids.keyBag] ?? [])
      ]
      const key = keyBags.find(b => b.key)?.key
      if (!key) throw new Error('no private key')
      keyPem = forge.pki.privateKeyToPem(key)
      certs = (p12.getBags({ bagType: forge.pki.oids.certBag })[forge.pki.oids.certBag] ?? [])
        .filter(b => b.cert)
        .map(b => Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(b.cert!)).getBytes(), 'binary'))
      format = 'application/x-pkcs12'
    }
    const keyObject = createPrivateKey({ key: keyPem, passphrase: password })
    const kty = keyObject.asymmetricKeyType === 'ec' ? 'EC' : 'RSA'
    const leafIndex = Math.max(
      0,
      certs.findIndex(c => new X509Certificate(c).checkPrivateKey(keyObject))
    )
    if (!certs.length) throw new Error('no certificate')
    const ordered = [certs[leafIndex], ...certs.filter((_, i) => i !== leafIndex)]
    return {
      privateKeyPem: keyObject.export({ type: 'pkcs8', format: 'pem' }).toString(),
      kty,
      certs: ordered,
      format
    }
  } catch {
    throw badParameter(
      'The specified PEM X.509 certificate content is in an unexpected format. Please check if certificate is in valid PEM format.'
    )
  }
}
