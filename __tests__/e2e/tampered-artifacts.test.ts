/**
 * The table of tampered backups (issue 6, restore side of issue 4). A good backup of `prod` is taken
 * once; each case copies it, breaks it one way, and restores it into its own empty vault of the same
 * security world. Every case must be refused with an error that says what is wrong, before any write:
 * the target vault's request log holds no PUT, POST, DELETE or PATCH.
 *
 * Folder cases use `path`. Zip cases (an entry climbing out with `../`, a digest that does not match,
 * no digest at all) build the zip by hand and upload it through the fake GitHub's artifact service
 * exactly as @actions/artifact does (CreateArtifact, a blob PUT, FinalizeArtifact), then restore with
 * `artifact-name` from the current run.
 */
import { execFileSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  writeFileSync
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { crc32 } from 'node:zlib'
import { decodeJwt } from '../../testbed/jwt.js'
import { runAction, type RunResult } from '../../testbed/harness.js'
import { startTestbed, type Testbed } from '../../testbed/index.js'

const entry = process.env.KVB_ACTION_ENTRY
const WRITES = new Set(['PUT', 'POST', 'DELETE', 'PATCH'])

let testbed: Testbed
let pristine: string
let targets = 0
const copies: string[] = []

interface Manifest {
  formatVersion: unknown
  items: Array<{
    type: string
    name: string
    file: string
    size: number
    sha256: string
    versionCount: number
  }>
}

beforeAll(async () => {
  testbed = await startTestbed()
  const prod = testbed.keyvault.vault('prod')
  prod.seedSecret('db-password', 'v', { versions: 3 })
  prod.seedSecret('api-key', 'v')
  prod.seedKey('signing-key', { kty: 'EC', versions: 2 })
  prod.seedCertificate('www-tls')
  const backup = await runAction({ env: testbed.env, inputs: { vault: 'prod', upload: 'false' }, entry })
  expect(backup.exitCode).toBe(0)
  pristine = backup.outputs['backup-path']
}, 60_000)
afterAll(async () => {
  for (const copy of copies) rmSync(copy, { recursive: true, force: true })
  await testbed?.stop()
})

/** A fresh copy of the good backup. */
function copyOfBackup(): string {
  const parent = mkdtempSync(join(tmpdir(), 'kvb-tampered-'))
  copies.push(parent)
  const folder = join(parent, 'backup')
  cpSync(pristine, folder, { recursive: true })
  return folder
}

const manifestPath = (folder: string) => join(folder, 'manifest.json')
const readManifest = (folder: string): Manifest => JSON.parse(readFileSync(manifestPath(folder), 'utf8'))
const writeManifest = (folder: string, manifest: unknown) =>
  writeFileSync(manifestPath(folder), `${JSON.stringify(manifest, null, 2)}\n`)

/** Restores into a new empty vault of prod's world; returns the run and that vault's write requests. */
async function restoreInto(
  inputs: Record<string, string>
): Promise<{ result: RunResult; writes: string[]; error: string }> {
  const prod = testbed.layout.vaults.find(v => v.name === 'prod')!
  const name = `target-${++targets}`
  await testbed.keyvault.addVault({ ...prod, name })
  const result = await runAction({
    env: testbed.env,
    inputs: { operation: 'restore', vault: name, ...inputs },
    entry
  })
  const writes = testbed.keyvault.requestLog
    .filter(e => e.vault === name && WRITES.has(e.method))
    .map(e => `${e.method} ${e.path} ${e.status}`)
  const error = result.stdout
    .split('\n')
    .filter(line => line.startsWith('::error'))
    .join('\n')
    .replace(/%0A/g, '\n')
  return { result, writes, error }
}

/**
 * Turns a copy into the layout of a downloaded artifact: manifest.json and blobs.tar (made by GNU tar,
 * as a user re-packing a backup would), then lets `extra` append hostile entries with `tar -rf`.
 */
function asArtifactLayout(folder: string, extra?: (tar: string) => void, keepLoose = false): void {
  const tar = join(folder, 'blobs.tar')
  execFileSync('tar', ['--format=posix', '-cf', tar, 'secrets', 'keys', 'certificates'], { cwd: folder })
  extra?.(tar)
  if (!keepLoose)
    for (const type of ['secrets', 'keys', 'certificates']) rmSync(join(folder, type), { recursive: true })
}

/** Flips one bit of the db-password blob. */
function flipByte(folder: string): void {
  const file = join(folder, 'secrets', 'db-password.blob')
  const bytes = readFileSync(file)
  bytes[100] ^= 0x20
  writeFileSync(file, bytes)
}

const FOLDER_CASES: Array<[string, (folder: string) => void, RegExp]> = [
  ['a flipped byte in a blob', flipByte, /secrets\/db-password\.blob.*SHA-256/],
  [
    'a truncated blob',
    folder => {
      const file = join(folder, 'keys', 'signing-key.blob')
      truncateSync(file, Math.floor(statSync(file).size / 2))
    },
    /keys\/signing-key\.blob.*bytes/
  ],
  [
    'a missing blob',
    folder => rmSync(join(folder, 'certificates', 'www-tls.blob')),
    /certificates\/www-tls\.blob/
  ],
  [
    'an extra unlisted blob',
    folder => writeFileSync(join(folder, 'secrets', 'smuggled.blob'), randomBytes(64)),
    /secrets\/smuggled\.blob.*not listed/
  ],
  [
    'an extra unlisted file at the root',
    folder => writeFileSync(join(folder, 'README.txt'), 'hello'),
    /README\.txt.*not listed/
  ],
  [
    'an item removed from the manifest (count edited)',
    folder => {
      const manifest = readManifest(folder)
      manifest.items = manifest.items.filter(i => i.name !== 'api-key')
      writeManifest(folder, manifest)
    },
    /secrets\/api-key\.blob.*not listed/
  ],
  [
    'a version count edited in the manifest',
    folder => {
      const manifest = readManifest(folder)
      manifest.items.find(i => i.name === 'db-password')!.versionCount = 4
      writeManifest(folder, manifest)
    },
    /versionCount|versionIds/
  ],
  [
    'a hash edited in the manifest',
    folder => {
      const manifest = readManifest(folder)
      manifest.items.find(i => i.name === 'api-key')!.sha256 = createHash('sha256')
        .update('other')
        .digest('hex')
      writeManifest(folder, manifest)
    },
    /secrets\/api-key\.blob.*SHA-256/
  ],
  [
    'a size edited in the manifest',
    folder => {
      const manifest = readManifest(folder)
      manifest.items.find(i => i.name === 'api-key')!.size += 1
      writeManifest(folder, manifest)
    },
    /secrets\/api-key\.blob.*bytes/
  ],
  [
    'a format version from the future',
    folder => writeManifest(folder, { ...readManifest(folder), formatVersion: 3 }),
    /format version 3/
  ],
  [
    'a format version given as a string',
    folder => writeManifest(folder, { ...readManifest(folder), formatVersion: '1' }),
    /format version "1"/
  ],
  [
    'a manifest file path that climbs out',
    folder => {
      const manifest = readManifest(folder)
      manifest.items.find(i => i.name === 'api-key')!.file = '../api-key.blob'
      writeManifest(folder, manifest)
      cpSync(join(folder, 'secrets', 'api-key.blob'), join(folder, '..', 'api-key.blob'))
    },
    /\.\.\/api-key\.blob/
  ],
  [
    'a blob replaced by a symlink to a file outside',
    folder => {
      const file = join(folder, 'secrets', 'api-key.blob')
      const outside = join(folder, '..', 'outside.blob')
      cpSync(file, outside)
      rmSync(file)
      symlinkSync(outside, file)
    },
    /secrets\/api-key\.blob.*regular file/
  ],
  [
    'a manifest too large to be real (64 MiB)',
    folder => {
      const text = readFileSync(manifestPath(folder), 'utf8')
      writeFileSync(manifestPath(folder), text.replace(/\n$/, ' '.repeat(64 * 1024 * 1024) + '\n'))
    },
    /manifest\.json is \d+ bytes/
  ],
  ['no manifest at all', folder => rmSync(manifestPath(folder)), /manifest\.json is missing/],
  [
    'a blobs.tar entry that climbs out',
    folder =>
      asArtifactLayout(folder, tar => {
        writeFileSync(join(folder, '..', 'escape.blob'), 'x')
        execFileSync('tar', ['--format=posix', '-rPf', tar, '../escape.blob'], { cwd: folder })
      }),
    /blobs\.tar: the tar entry '\.\.\/escape\.blob' would land outside/
  ],
  [
    'a blobs.tar holding a symbolic link',
    folder =>
      asArtifactLayout(folder, tar => {
        symlinkSync('/etc/passwd', join(folder, 'secrets', 'link.blob'))
        execFileSync('tar', ['--format=posix', '-rf', tar, 'secrets/link.blob'], { cwd: folder })
      }),
    /secrets\/link\.blob' is not a regular file/
  ],
  [
    'a blobs.tar holding an unlisted blob',
    folder =>
      asArtifactLayout(folder, tar => {
        writeFileSync(join(folder, 'secrets', 'smuggled.blob'), randomBytes(64))
        execFileSync('tar', ['--format=posix', '-rf', tar, 'secrets/smuggled.blob'], { cwd: folder })
      }),
    /secrets\/smuggled\.blob.*not listed/
  ],
  [
    'a flipped byte in a blob inside blobs.tar',
    folder => {
      flipByte(folder)
      asArtifactLayout(folder)
    },
    /secrets\/db-password\.blob.*SHA-256/
  ],
  [
    'a blobs.tar cut short',
    folder => asArtifactLayout(folder, tar => truncateSync(tar, 3000)),
    /ends early|past the end/
  ],
  [
    'a blobs.tar next to loose blobs',
    folder => asArtifactLayout(folder, undefined, true),
    /secrets\/db-password\.blob is not listed/
  ],
  [
    'a manifest that is not JSON',
    folder => writeFileSync(manifestPath(folder), '{"formatVersion": 1,'),
    /not valid JSON/
  ]
]

describe('tampered backup folders', () => {
  it.each(FOLDER_CASES)(
    'refuses %s before any write',
    async (_title, tamper, expected) => {
      const folder = copyOfBackup()
      tamper(folder)
      const { result, writes, error } = await restoreInto({ path: folder })
      expect(result.exitCode).not.toBe(0)
      expect(error).toMatch(/nothing was written|verification/i)
      expect(error).toMatch(expected)
      expect(writes).toEqual([])
    },
    30_000
  )

  it('restores the untouched copy (the cases above fail for their tampering alone)', async () => {
    const { result, writes } = await restoreInto({ path: copyOfBackup() })
    expect(result.exitCode).toBe(0)
    expect(result.outputs.restored).toBe('4')
    expect(writes.length).toBeGreaterThan(0)
  }, 30_000)

  it('restores an untouched copy in the artifact layout (manifest.json and blobs.tar), leaving it as it was', async () => {
    const folder = copyOfBackup()
    asArtifactLayout(folder)
    const { result, writes } = await restoreInto({ path: folder })
    expect(result.exitCode).toBe(0)
    expect(result.outputs.restored).toBe('4')
    expect(writes.length).toBeGreaterThan(0)
    expect(readdirSync(folder).sort()).toEqual(['blobs.tar', 'manifest.json'])
  }, 30_000)
})

/** A zip as @actions/artifact writes it, built by hand (stored entries), so entry names can be hostile. */
function buildZip(entries: Array<{ name: string; data: Buffer }>): Buffer {
  const locals: Buffer[] = []
  const centrals: Buffer[] = []
  let offset = 0
  for (const { name, data } of entries) {
    const fileName = Buffer.from(name, 'utf8')
    const crc = crc32(data)
    const local = Buffer.alloc(30)
    local.writeUInt32LE(0x04034b50, 0)
    local.writeUInt16LE(20, 4)
    local.writeUInt16LE(0x0800, 6) // UTF-8 names
    local.writeUInt16LE(0, 8) // stored
    local.writeUInt32LE(crc, 14)
    local.writeUInt32LE(data.length, 18)
    local.writeUInt32LE(data.length, 22)
    local.writeUInt16LE(fileName.length, 26)
    const central = Buffer.alloc(46)
    central.writeUInt32LE(0x02014b50, 0)
    central.writeUInt16LE(20, 4)
    central.writeUInt16LE(20, 6)
    central.writeUInt16LE(0x0800, 8)
    central.writeUInt32LE(crc, 16)
    central.writeUInt32LE(data.length, 20)
    central.writeUInt32LE(data.length, 24)
    central.writeUInt16LE(fileName.length, 28)
    central.writeUInt32LE(offset, 42)
    locals.push(local, fileName, data)
    centrals.push(central, fileName)
    offset += local.length + fileName.length + data.length
  }
  const directory = Buffer.concat(centrals)
  const end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0)
  end.writeUInt16LE(entries.length, 8)
  end.writeUInt16LE(entries.length, 10)
  end.writeUInt32LE(directory.length, 12)
  end.writeUInt32LE(offset, 16)
  return Buffer.concat([...locals, directory, end])
}

/** The good backup's files as zip entries (forward slashes, as upload-artifact names them). */
function backupEntries(): Array<{ name: string; data: Buffer }> {
  return readdirSync(pristine, { recursive: true, withFileTypes: true })
    .filter(e => e.isFile())
    .map(e => ({
      name: relative(pristine, join(e.parentPath, e.name)).split('\\').join('/'),
      data: readFileSync(join(e.parentPath, e.name))
    }))
}

/** Uploads a zip to the current run through the Twirp artifact service, recording `digest` (or none). */
async function uploadZip(name: string, zip: Buffer, digest: string | undefined): Promise<void> {
  const env = testbed.github.runEnv()
  const scope = String(decodeJwt(env.ACTIONS_RUNTIME_TOKEN).claims.scp)
    .split(' ')
    .find(s => s.startsWith('Actions.Results:'))!
    .split(':')
  const ids = { workflow_run_backend_id: scope[1], workflow_job_run_backend_id: scope[2] }
  const twirp = async (method: string, body: object) => {
    const response = await fetch(
      `${env.ACTIONS_RESULTS_URL}twirp/github.actions.results.api.v1.ArtifactService/${method}`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${env.ACTIONS_RUNTIME_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ ...ids, ...body })
      }
    )
    expect(response.status).toBe(200)
    return (await response.json()) as Record<string, string>
  }
  const created = await twirp('CreateArtifact', { name, version: 4 })
  const put = await fetch(created.signed_upload_url, {
    method: 'PUT',
    headers: { 'x-ms-blob-type': 'BlockBlob', 'content-type': 'application/zip' },
    body: zip
  })
  expect(put.status).toBe(201)
  await twirp('FinalizeArtifact', {
    name,
    size: String(zip.length),
    ...(digest !== undefined && { hash: digest })
  })
}

const sha256 = (data: Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`

describe('tampered artifacts', () => {
  it('restores a hand-built zip of the good backup (the zip writer is sound)', async () => {
    const zip = buildZip(backupEntries())
    await uploadZip('zip-good', zip, sha256(zip))
    const { result } = await restoreInto({ 'artifact-name': 'zip-good' })
    expect(result.exitCode).toBe(0)
    expect(result.outputs.restored).toBe('4')
  }, 30_000)

  it('refuses a zip entry whose path climbs out, and writes nothing outside the download folder', async () => {
    const marker = `kvb-zip-slip-${randomBytes(6).toString('hex')}.txt`
    const zip = buildZip([
      ...backupEntries(),
      { name: `../../${marker}`, data: Buffer.from('escaped') },
      { name: `secrets/../../../${marker}`, data: Buffer.from('escaped') }
    ])
    await uploadZip('zip-slip', zip, sha256(zip))
    const { result, writes, error } = await restoreInto({ 'artifact-name': 'zip-slip' })
    expect(result.exitCode).not.toBe(0)
    expect(error).toContain(marker)
    expect(writes).toEqual([])
    const temp = result.runnerTemp
    for (const place of [temp, join(temp, 'keyvault-restore'), join(temp, '..'), tmpdir()]) {
      expect(existsSync(join(place, marker))).toBe(false)
    }
  }, 30_000)

  it('refuses an artifact whose zip does not match the digest recorded at upload', async () => {
    const good = buildZip(backupEntries())
    const entries = backupEntries()
    entries.find(e => e.name === 'secrets/api-key.blob')!.data[50] ^= 0x01
    await uploadZip('zip-digest', buildZip(entries), sha256(good))
    const { result, writes, error } = await restoreInto({ 'artifact-name': 'zip-digest' })
    expect(result.exitCode).not.toBe(0)
    expect(error).toMatch(/digest/)
    expect(writes).toEqual([])
  }, 30_000)

  it('refuses an artifact with no recorded digest', async () => {
    const zip = buildZip(backupEntries())
    await uploadZip('zip-nodigest', zip, undefined)
    const { result, writes, error } = await restoreInto({ 'artifact-name': 'zip-nodigest' })
    expect(result.exitCode).not.toBe(0)
    expect(error).toMatch(/no recorded digest/)
    expect(writes).toEqual([])
  }, 30_000)
})
