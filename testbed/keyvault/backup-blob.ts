/**
 * Backup blobs. Like the real ones, a blob is a length byte, an ASCII tag
 * (`AzureKeyVaultSecretBackupV1.microsoft.com` or `AzureKeyVaultKeyBackupV1.microsoft.com`, the
 * latter for keys and certificates) and a compact JWE. Ours is `dir` + A256GCM under a key derived
 * (HKDF) from a process-wide random master secret and the security world (subscription + geography),
 * so vaults of one world read each other's blobs and other worlds cannot. The JWE header's `kid`
 * names the world in the clear: that is how a foreign blob ("Cannot decrypt backup blob.") is told
 * apart from a corrupt one ("Malformed backup blob").
 */
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto'
import { deflateRawSync, inflateRawSync } from 'node:zlib'
import { foreignBlob, malformedBlob, type Kind } from './errors.js'
import type { StoredObject } from './store.js'

const SECRET_TAG = 'AzureKeyVaultSecretBackupV1.microsoft.com'
const KEY_TAG = 'AzureKeyVaultKeyBackupV1.microsoft.com'
// KVB_TESTBED_BACKUP_SECRET pins the master secret, so blobs survive a restart of the test bed.
const MASTER = process.env.KVB_TESTBED_BACKUP_SECRET
  ? createHash('sha256').update(process.env.KVB_TESTBED_BACKUP_SECRET).digest()
  : randomBytes(32)
/**
 * Random padding per blob, so one-version blobs come out near the recorded sizes of the service's
 * (base64url `value`: secret 5,087, RSA-2048 key 10,431, self-signed certificate 44,763 characters).
 */
const PADDING_BYTES: Record<Kind, number> = { secrets: 2520, keys: 4250, certificates: 22500 }

export interface BackupPayload {
  kind: Kind
  object: StoredObject
}

export interface SecurityWorld {
  subscriptionId: string
  geography: string
}

function worldInfo(world: SecurityWorld): string {
  return `${world.subscriptionId.toLowerCase()}|${world.geography.toLowerCase()}`
}

function worldKid(world: SecurityWorld): string {
  return createHash('sha256').update(worldInfo(world)).digest('base64url').slice(0, 22)
}

function worldKey(world: SecurityWorld): Buffer {
  return Buffer.from(hkdfSync('sha256', MASTER, 'keyvault-backup-world', worldInfo(world), 32))
}

const tagFor = (kind: Kind): string => (kind === 'secrets' ? SECRET_TAG : KEY_TAG)

/** Seals an object (all versions) into a blob for `world`. */
export function sealBlob(payload: BackupPayload, world: SecurityWorld): Buffer {
  const header = Buffer.from(
    JSON.stringify({ alg: 'dir', enc: 'A256GCM', zip: 'DEF', kid: worldKid(world) })
  ).toString('base64url')
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', worldKey(world), iv)
  cipher.setAAD(Buffer.from(header, 'ascii'))
  const padded = { ...payload, padding: randomBytes(PADDING_BYTES[payload.kind]).toString('base64') }
  const plain = deflateRawSync(Buffer.from(JSON.stringify(padded), 'utf8'))
  const ciphertext = Buffer.concat([cipher.update(plain), cipher.final()])
  const jwe = [
    header,
    '',
    iv.toString('base64url'),
    ciphertext.toString('base64url'),
    cipher.getAuthTag().toString('base64url')
  ].join('.')
  const tag = tagFor(payload.kind)
  return Buffer.concat([Buffer.from([tag.length]), Buffer.from(tag, 'ascii'), Buffer.from(jwe, 'ascii')])
}

/**
 * Opens a blob for a restore into `kind` in `world`. Throws the service's KvError: a blob of another
 * world -> "Cannot decrypt backup blob." with `foreign`'s status and code (UNCONFIRMED; default 400
 * BadParameter); anything damaged or of the wrong type -> 400 "Malformed backup blob".
 */
export function openBlob(
  blob: Buffer,
  kind: Kind,
  world: SecurityWorld,
  foreign: { status: number; code: string; innerCode?: string } = { status: 400, code: 'BadParameter' }
): BackupPayload {
  const tagLength = blob[0]
  const tag = blob.subarray(1, 1 + tagLength).toString('ascii')
  if (!tagLength || tag !== tagFor(kind)) throw malformedBlob()
  const parts = blob
    .subarray(1 + tagLength)
    .toString('ascii')
    .split('.')
  if (parts.length !== 5) throw malformedBlob()
  let header: { kid?: unknown }
  try {
    header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'))
  } catch {
    throw malformedBlob()
  }
  if (header.kid !== worldKid(world)) {
    // Real Key Vault cannot tell either; a blob whose clear header was damaged reads as foreign too.
    if (typeof header.kid === 'string' && /^[A-Za-z0-9_-]{22}$/.test(header.kid)) throw foreignBlob(foreign)
    throw malformedBlob()
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', worldKey(world), Buffer.from(parts[2], 'base64url'))
    decipher.setAAD(Buffer.from(parts[0], 'ascii'))
    decipher.setAuthTag(Buffer.from(parts[4], 'base64url'))
    const plain = Buffer.concat([decipher.update(Buffer.from(parts[3], 'base64url')), decipher.final()])
    const { kind: payloadKind, object } = JSON.parse(inflateRawSync(plain).toString('utf8')) as BackupPayload
    const payload = { kind: payloadKind, object }
    if (payload.kind !== kind || !payload.object?.versions?.length) throw new Error('wrong payload')
    return payload
  } catch {
    throw malformedBlob()
  }
}
