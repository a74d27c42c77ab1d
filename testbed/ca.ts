/**
 * The test bed's certificate authority. The CA lives on disk (testbed/.state/, or KVB_TESTBED_STATE_DIR)
 * so that a NODE_EXTRA_CA_CERTS path stays valid across restarts; each start issues a fresh server
 * certificate covering every host name the proxy maps, plus loopback.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
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

function loadOrCreateCa(dir: string): {
  cert: forge.pki.Certificate
  key: forge.pki.rsa.PrivateKey
  path: string
} {
  const certPath = join(dir, 'ca.pem')
  const keyPath = join(dir, 'ca-key.pem')
  if (existsSync(certPath) && existsSync(keyPath)) {
    const cert = forge.pki.certificateFromPem(readFileSync(certPath, 'utf8'))
    if (cert.validity.notAfter.getTime() > Date.now() + 86_400_000) {
      return { cert, key: forge.pki.privateKeyFromPem(readFileSync(keyPath, 'utf8')), path: certPath }
    }
  }
  mkdirSync(dir, { recursive: true })
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
  // Write the key first, so a reader never finds a CA certificate without its key.
  writeFileSync(keyPath, forge.pki.privateKeyToPem(keys.privateKey), { mode: 0o600 })
  writeFileSync(certPath, forge.pki.certificateToPem(cert))
  return { cert, key: keys.privateKey, path: certPath }
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
