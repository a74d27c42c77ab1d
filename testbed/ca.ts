/**
 * The test bed's certificate authority. The CA lives on disk (testbed/.state/, or KVB_TESTBED_STATE_DIR)
 * so that a NODE_EXTRA_CA_CERTS path stays valid across restarts; each start issues a fresh server
 * certificate covering every host name the proxy maps, plus loopback.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { existsSync, linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import forge from 'node-forge'
import { cloudHostNames } from './clouds.js'

export interface TlsMaterial {
  /** Absolute path of the CA certificate (PEM), for NODE_EXTRA_CA_CERTS or REQUESTS_CA_BUNDLE. */
  caPath: string
  caPem: string
  /** The server certificate and key used by every HTTPS server of the test bed. */
  cert: string
  key: string
}

/**
 * Host names that the server certificate covers; the proxy maps each to a local server: every cloud's
 * sign-in hosts (including the aliases MSAL may switch to), Resource Manager hosts and vault suffixes.
 */
export const SERVER_HOST_NAMES = [
  'localhost',
  ...cloudHostNames(),
  'token.actions.githubusercontent.com',
  '*.localhost'
]

export function defaultStateDir(): string {
  if (process.env.KVB_TESTBED_STATE_DIR) return resolve(process.env.KVB_TESTBED_STATE_DIR)
  return join(dirname(fileURLToPath(import.meta.url)), '.state')
}

function newKeyPair(): forge.pki.rsa.KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  return {
    privateKey: forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs1', format: 'pem' }).toString()),
    publicKey: forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString())
  }
}

function serial(): string {
  const bytes = randomBytes(16)
  bytes[0] &= 0x7f
  return bytes.toString('hex')
}

/** A CA's key and certificate in one PEM file, so that one atomic step publishes both. */
function newCaBundle(): string {
  const keys = newKeyPair()
  const cert = forge.pki.createCertificate()
  cert.publicKey = keys.publicKey
  cert.serialNumber = serial()
  cert.validity.notBefore = new Date(Date.now() - 86_400_000)
  cert.validity.notAfter = new Date(Date.now() + 5 * 365 * 86_400_000)
  const subject = [{ name: 'commonName', value: 'keyvault-backup test bed CA' }]
  cert.setSubject(subject)
  cert.setIssuer(subject)
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' }
  ])
  cert.sign(keys.privateKey, forge.md.sha256.create())
  return forge.pki.privateKeyToPem(keys.privateKey) + forge.pki.certificateToPem(cert)
}

interface Ca {
  cert: forge.pki.Certificate
  key: forge.pki.rsa.PrivateKey
}

/** The CA in a bundle file, or undefined when there is none or it expires within a day. */
function readCaBundle(path: string): Ca | undefined {
  if (!existsSync(path)) return undefined
  const pem = readFileSync(path, 'utf8')
  const block = (type: string) =>
    pem.match(new RegExp(`-----BEGIN ${type}-----[\\s\\S]+?-----END ${type}-----`))?.[0]
  const certPem = block('CERTIFICATE')
  const keyPem = block('RSA PRIVATE KEY')
  if (!certPem || !keyPem) return undefined
  const cert = forge.pki.certificateFromPem(certPem)
  if (cert.validity.notAfter.getTime() <= Date.now() + 86_400_000) return undefined
  return { cert, key: forge.pki.privateKeyFromPem(keyPem) }
}

/** Writes a file whole under a temporary name first; `publish` then moves it into place. */
function withTemporaryFile(
  dir: string,
  content: string,
  mode: number,
  publish: (temporary: string) => void
): void {
  const temporary = join(dir, `.${process.pid}-${randomBytes(6).toString('hex')}.tmp`)
  writeFileSync(temporary, content, { mode })
  try {
    publish(temporary)
  } finally {
    rmSync(temporary, { force: true })
  }
}

/**
 * Loads the CA, or creates it. Several test beds may start at once on a fresh machine (jest runs two
 * test files in parallel), so creation is atomic: each candidate is linked into place only if no
 * bundle exists yet, the first one wins, and every process then uses the winner. `ca.pem` (the
 * certificate alone, for clients) is replaced by rename, so a reader never sees half a file.
 */
function loadOrCreateCa(dir: string): Ca & { path: string } {
  const bundlePath = join(dir, 'ca-bundle.pem')
  const certPath = join(dir, 'ca.pem')
  mkdirSync(dir, { recursive: true })
  let ca = readCaBundle(bundlePath)
  if (!ca) {
    // An expiring bundle is removed first; a concurrent starter then races only to link.
    if (existsSync(bundlePath)) rmSync(bundlePath, { force: true })
    withTemporaryFile(dir, newCaBundle(), 0o600, temporary => {
      try {
        linkSync(temporary, bundlePath)
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      }
    })
    ca = readCaBundle(bundlePath)
    if (!ca) throw new Error(`the test bed's CA in ${bundlePath} could not be read back`)
  }
  const certPem = forge.pki.certificateToPem(ca.cert)
  if (!existsSync(certPath) || readFileSync(certPath, 'utf8') !== certPem) {
    withTemporaryFile(dir, certPem, 0o644, temporary => renameSync(temporary, certPath))
  }
  return { ...ca, path: certPath }
}

/** Loads (or creates) the CA and issues a server certificate for the test bed's host names. */
export function createTlsMaterial(stateDir = defaultStateDir()): TlsMaterial {
  const ca = loadOrCreateCa(stateDir)
  const keys = newKeyPair()
  const cert = forge.pki.createCertificate()
  cert.publicKey = keys.publicKey
  cert.serialNumber = serial()
  cert.validity.notBefore = new Date(Date.now() - 86_400_000)
  cert.validity.notAfter = new Date(Date.now() + 30 * 86_400_000)
  cert.setSubject([{ name: 'commonName', value: 'keyvault-backup test bed' }])
  cert.setIssuer(ca.cert.subject.attributes)
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: [
        ...SERVER_HOST_NAMES.map(value => ({ type: 2, value })),
        { type: 7, ip: '127.0.0.1' },
        { type: 7, ip: '::1' }
      ]
    }
  ])
  cert.sign(ca.key, forge.md.sha256.create())
  return {
    caPath: ca.path,
    caPem: forge.pki.certificateToPem(ca.cert),
    cert: forge.pki.certificateToPem(cert) + forge.pki.certificateToPem(ca.cert),
    key: forge.pki.privateKeyToPem(keys.privateKey)
  }
}
