import { mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BackupFolderWriter, resolveInside, verifyBackupFolder } from '../../src/adapters/folder.js'
import {
  blobFile,
  buildManifest,
  manifestItem,
  MANIFEST_FORMAT_VERSION,
  missingFromBackup,
  parseManifest,
  serializeManifestChunks,
  sha256Hex,
  type Manifest
} from '../../src/core/manifest.js'
import { item } from './fakes.js'

const base = {
  tool: { name: 'keyvault-backup', version: '0.1.0' },
  createdAt: '2026-11-28T12:00:00.000Z',
  source: { vaultUrl: 'https://prod.vault.azure.net', vaultName: 'prod', cloud: 'AzureCloud', tenantId: 't' },
  incompleteTypes: [],
  skipped: [],
  failed: [{ type: 'secrets' as const, name: 'huge', reason: 'too many versions' }]
}

function sample(): Manifest {
  const bytes = new TextEncoder().encode('blob')
  const blob = { size: bytes.length, sha256: sha256Hex(bytes) }
  return buildManifest({
    ...base,
    items: [
      manifestItem(item('keys', 'signing'), { file: 'keys/signing.blob', ...blob }, 2),
      manifestItem(
        item('secrets', 'db', { tags: { env: 'prod' }, contentType: 'text/plain' }),
        { file: 'secrets/db.blob', ...blob },
        3
      )
    ]
  })
}

describe('manifest', () => {
  it('holds every field restore needs, in a stable order', () => {
    const m = sample()
    expect(m.formatVersion).toBe(MANIFEST_FORMAT_VERSION)
    expect(m.items.map(i => `${i.type}/${i.name}`)).toEqual(['secrets/db', 'keys/signing'])
    expect(m.items[0]).toEqual({
      type: 'secrets',
      name: 'db',
      file: 'secrets/db.blob',
      size: 4,
      sha256: sha256Hex('blob'),
      versionCount: 3,
      enabled: true,
      contentType: 'text/plain',
      tags: { env: 'prod' }
    })
    expect(m.failed).toHaveLength(1)
  })

  it('round-trips through serialize and parse', () => {
    const m = sample()
    expect(parseManifest([...serializeManifestChunks(m)].join(''))).toEqual(m)
  })

  it('streams exactly the text of JSON.stringify(manifest, null, 2), in pieces', () => {
    const tricky = manifestItem(
      item('secrets', 'odd', {
        tags: { 'a"b': 'line\nbreak', é: '\u2028 tab\t', empty: '' },
        contentType: ''
      }),
      { file: 'secrets/odd.blob', size: 1, sha256: sha256Hex('x') },
      2,
      ['a1', 'b2']
    )
    const many = Array.from({ length: 300 }, (_, i) =>
      manifestItem(
        item('keys', `k-${i}`),
        { file: `keys/k-${i}.blob`, size: i + 1, sha256: sha256Hex(`${i}`) },
        1,
        [`v${i}`]
      )
    )
    const manifests: Manifest[] = [
      sample(),
      buildManifest({ ...base, failed: [], items: [] }),
      buildManifest({ ...base, source: { ...base.source, tenantId: undefined }, items: [tricky, ...many] })
    ]
    for (const m of manifests) {
      for (const size of [1, 100, 64 * 1024]) {
        expect([...serializeManifestChunks(m, size)].join('')).toBe(`${JSON.stringify(m, null, 2)}\n`)
      }
    }
    const pieces = [...serializeManifestChunks(manifests[2], 4096)]
    expect(pieces.length).toBeGreaterThan(5)
    expect(Math.max(...pieces.map(p => p.length))).toBeLessThan(4096 + 1024)
  })

  it.each([
    ['an unknown format version', (m: Manifest) => ({ ...m, formatVersion: 3 }), /format version 3/],
    [
      'a complete flag that contradicts the failures',
      (m: Manifest) => ({ ...m, complete: true }),
      /complete is true but the manifest lists 0 incomplete types and 1 failed items/
    ],
    [
      'a complete flag that hides an incomplete type',
      (m: Manifest) => ({
        ...m,
        failed: [],
        incompleteTypes: [{ type: 'keys', reason: 'x' }],
        complete: true
      }),
      /complete is true/
    ],
    [
      'a path that climbs out',
      (m: Manifest) => ({ ...m, items: [{ ...m.items[0], file: '../../etc/passwd' }] }),
      /not secrets\/db\.blob/
    ],
    ['an absolute path', (m: Manifest) => ({ ...m, items: [{ ...m.items[0], file: '/tmp/x' }] }), /is not/],
    [
      'a name with a slash',
      (m: Manifest) => ({ ...m, items: [{ ...m.items[0], name: 'a/b' }] }),
      /invalid name/
    ],
    [
      'a duplicate',
      (m: Manifest) => ({
        ...m,
        items: [m.items[0], { ...m.items[0], name: 'DB', file: 'secrets/DB.blob' }]
      }),
      /listed twice/
    ],
    ['a bad hash', (m: Manifest) => ({ ...m, items: [{ ...m.items[0], sha256: 'abc' }] }), /invalid sha256/],
    [
      'a zero version count',
      (m: Manifest) => ({ ...m, items: [{ ...m.items[0], versionCount: 0 }] }),
      /versionCount/
    ],
    [
      'an unknown type',
      (m: Manifest) => ({ ...m, items: [{ ...m.items[0], type: 'blobs' }] }),
      /unknown type/
    ]
  ])('rejects %s', (_, edit, message) => {
    expect(() => parseManifest(JSON.stringify(edit(sample())))).toThrow(message)
  })

  it('records completeness: complete only when no listing and no item failed', () => {
    expect(sample()).toMatchObject({ complete: false, incompleteTypes: [] })
    expect(buildManifest({ ...base, failed: [], items: [] })).toMatchObject({ complete: true })
    const listing = buildManifest({
      ...base,
      failed: [],
      items: [],
      incompleteTypes: [{ type: 'keys', reason: 'listing keys failed: 403' }]
    })
    expect(listing.complete).toBe(false)
    expect(missingFromBackup(listing)).toEqual(['keys: listing keys failed: 403'])
    expect(missingFromBackup(sample())).toEqual(["secret 'huge': too many versions"])
  })

  it('reads a version 1 manifest, deriving completeness from its failures', () => {
    const v1 = (failed: object[]) => {
      const { complete: _c, incompleteTypes: _i, ...rest } = sample()
      return JSON.stringify({ ...rest, formatVersion: 1, failed })
    }
    expect(parseManifest(v1([]))).toMatchObject({ complete: true, incompleteTypes: [], failed: [] })
    expect(
      parseManifest(v1([{ type: 'keys', name: '*', reason: 'listing keys failed: 403' }]))
    ).toMatchObject({
      complete: false,
      incompleteTypes: [{ type: 'keys', reason: 'listing keys failed: 403' }],
      failed: []
    })
  })

  it('rejects text that is not JSON', () => {
    expect(() => parseManifest('{')).toThrow(/not valid JSON/)
  })

  it('refuses blob paths for names Key Vault would never return', () => {
    expect(blobFile('secrets', 'ok-name')).toBe('secrets/ok-name.blob')
    expect(() => blobFile('secrets', '../x')).toThrow(/unexpected object name/)
  })
})

describe('backup folder', () => {
  let root: string
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'kvb-unit-'))
  })
  afterEach(async () => {
    await rm(root, { recursive: true, force: true })
  })

  async function writeSample(): Promise<{ sha256: string }> {
    const writer = new BackupFolderWriter(root)
    const a = await writer.writeBlob('secrets/db.blob', new Uint8Array([1, 2, 3]))
    const b = await writer.writeBlob('keys/signing.blob', new Uint8Array([4, 5]))
    const manifest = buildManifest({
      ...base,
      items: [
        manifestItem(item('secrets', 'db'), { file: 'secrets/db.blob', ...a }, 1),
        manifestItem(item('keys', 'signing'), { file: 'keys/signing.blob', ...b }, 1)
      ]
    })
    const written = await writer.writeManifest(manifest)
    expect(writer.blobFiles()).toEqual(['secrets/db.blob', 'keys/signing.blob'])
    return written
  }

  it('verifies an intact folder and its manifest hash', async () => {
    const { sha256 } = await writeSample()
    expect(sha256).toBe(sha256Hex(await readFile(join(root, 'manifest.json'))))
    expect(parseManifest(await readFile(join(root, 'manifest.json'), 'utf8')).items).toHaveLength(2)
    const result = await verifyBackupFolder(root)
    expect(result.manifestSha256).toBe(sha256)
    expect(result.problems).toEqual([])
    expect(result.manifest.items).toHaveLength(2)
  })

  it('catches a flipped byte and a missing blob', async () => {
    await writeSample()
    await writeFile(join(root, 'secrets/db.blob'), new Uint8Array([1, 2, 4]))
    await unlink(join(root, 'keys/signing.blob'))
    const result = await verifyBackupFolder(root)
    expect(result.problems).toEqual([
      expect.stringMatching(/secrets\/db.blob has SHA-256/),
      'keys/signing.blob is missing'
    ])
  })

  it('never resolves a path outside the folder', () => {
    expect(() => resolveInside(root, '../x')).toThrow(/outside/)
    expect(() => resolveInside(root, '/etc/passwd')).toThrow(/outside/)
    expect(resolveInside(root, 'secrets/a.blob')).toBe(join(root, 'secrets/a.blob'))
  })
})
