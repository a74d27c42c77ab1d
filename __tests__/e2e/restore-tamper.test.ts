/**
 * Tampering is caught before any write: each altered copy of a backup folder is refused by the built
 * action, with a message naming the problem, and the emulator's request log shows no write request
 * (in fact no request at all: verification runs before the vault is contacted).
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runAction } from '../../testbed/harness.js'
import { startTestbed, type Testbed } from '../../testbed/index.js'

let testbed: Testbed
let original: string
let firstBlob: string

beforeAll(async () => {
  testbed = await startTestbed()
  const prod = testbed.keyvault.vault('prod')
  prod.seedSecret('db-password', 'tamper-canary', { versions: 2 })
  prod.seedKey('signing-key', { kty: 'EC' })
  const backup = await runAction({ env: testbed.env, inputs: { vault: 'prod', upload: 'false' } })
  expect(backup.exitCode).toBe(0)
  original = backup.outputs['backup-path']
  firstBlob = 'secrets/db-password.blob'
})
afterAll(() => testbed.stop())

type Manifest = { formatVersion: number; items: Record<string, unknown>[] }

function editManifest(dir: string, edit: (m: Manifest) => void): void {
  const path = join(dir, 'manifest.json')
  const manifest = JSON.parse(readFileSync(path, 'utf8')) as Manifest
  edit(manifest)
  writeFileSync(path, JSON.stringify(manifest, null, 2))
}

const cases: Array<[string, (dir: string) => void, RegExp]> = [
  [
    'a flipped byte in one blob',
    dir => {
      const path = join(dir, firstBlob)
      const bytes = readFileSync(path)
      bytes[100] ^= 0x01
      writeFileSync(path, bytes)
    },
    /secrets\/db-password\.blob has SHA-256 .*manifest says/
  ],
  ['a truncated blob', dir => truncateSync(join(dir, firstBlob), 10), /has 10 bytes, manifest says/],
  ['a missing blob', dir => rmSync(join(dir, firstBlob)), /secrets\/db-password\.blob is missing/],
  [
    'an extra unlisted file',
    dir => writeFileSync(join(dir, 'keys', 'extra.blob'), 'x'),
    /keys\/extra\.blob is not listed/
  ],
  [
    'an edited hash in the manifest',
    dir => editManifest(dir, m => (m.items[0].sha256 = 'a'.repeat(64))),
    /manifest says a{64}/
  ],
  [
    'an edited version count',
    dir => editManifest(dir, m => (m.items[0].versionCount = 7)),
    /versionIds does not match versionCount/
  ],
  [
    'an edited format version',
    dir => editManifest(dir, m => (m.formatVersion = 99)),
    /unsupported manifest format version 99/
  ],
  [
    'a path that climbs out of the folder',
    dir => editManifest(dir, m => (m.items[0].file = '../../etc/passwd')),
    /file "\.\.\/\.\.\/etc\/passwd" is not secrets\/db-password\.blob/
  ],
  ['no manifest at all', dir => rmSync(join(dir, 'manifest.json')), /manifest\.json is missing/]
]

test.each(cases)('refuses %s before any write', async (_label, tamper, message) => {
  const dir = mkdtempSync(join(tmpdir(), 'kvb-tamper-'))
  cpSync(original, dir, { recursive: true })
  tamper(dir)
  testbed.keyvault.clearLog()
  const result = await runAction({
    env: testbed.env,
    inputs: {
      operation: 'restore',
      vault: 'staging',
      path: dir,
      'if-exists': 'replace',
      'if-deleted': 'purge'
    }
  })
  expect(result.exitCode).toBe(1)
  expect(result.log).toMatch(/failed verification, so nothing was written to the vault/)
  expect(result.log).toMatch(message)
  expect(result.summary).toMatch(/failed verification/)
  const writes = testbed.keyvault.requestLog.filter(e => e.method !== 'GET')
  expect(writes).toEqual([])
  expect(testbed.keyvault.requestLog).toEqual([])
  expect(result.outputs.restored).toBe('0')
  rmSync(dir, { recursive: true, force: true })
})
