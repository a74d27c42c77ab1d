/**
 * The artifact's `blobs.tar`: our writer's output must unpack with GNU tar (users may run `tar -xf`),
 * our reader must take what GNU tar writes, and hostile archives are refused without writing outside.
 */
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { packFiles, unpackFiles } from '../../src/adapters/tar.js'
import { sha256Hex } from '../../src/core/manifest.js'

const places: string[] = []
function place(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kvb-tar-'))
  places.push(dir)
  return dir
}
afterAll(() => {
  for (const dir of places) rmSync(dir, { recursive: true, force: true })
})

const LONG = 'a'.repeat(127)
const FILES: Record<string, Buffer> = {
  'secrets/db-password.blob': randomBytes(1000),
  'keys/signing-key.blob': randomBytes(512),
  'secrets/empty.blob': Buffer.alloc(0),
  [`secrets/${'s'.repeat(94)}.blob`]: randomBytes(700),
  [`certificates/${LONG}.blob`]: randomBytes(3000)
}

/** A folder holding FILES. */
function sourceFolder(): string {
  const root = place()
  for (const [file, data] of Object.entries(FILES)) {
    mkdirSync(join(root, file, '..'), { recursive: true })
    writeFileSync(join(root, file), data)
  }
  return root
}

const tarPath = () => join(place(), 'blobs.tar')

describe('packFiles and unpackFiles', () => {
  it('round-trip every file byte for byte, names up to 145 characters included, measuring each', async () => {
    const tar = tarPath()
    await packFiles(sourceFolder(), Object.keys(FILES), tar)
    const out = place()
    const unpacked = await unpackFiles(tar, out)
    expect([...unpacked.keys()].sort()).toEqual(Object.keys(FILES).sort())
    for (const [file, data] of Object.entries(FILES)) {
      expect(readFileSync(join(out, file))).toEqual(data)
      expect(unpacked.get(file)).toEqual({ size: data.length, sha256: sha256Hex(data) })
    }
  })

  it('keep order and bytes over thousands of files (reads run ahead, writes are batched)', async () => {
    const root = place()
    const files = new Map<string, Buffer>()
    for (let i = 0; i < 2500; i++) files.set(`secrets/s-${i}.blob`, randomBytes((i * 7919) % 3000))
    mkdirSync(join(root, 'secrets'))
    for (const [file, data] of files) writeFileSync(join(root, file), data)
    const tar = tarPath()
    await packFiles(root, [...files.keys()], tar)
    const unpacked = await unpackFiles(tar, place())
    expect([...unpacked.keys()]).toEqual([...files.keys()])
    for (const [file, data] of files) expect(unpacked.get(file)?.sha256).toBe(sha256Hex(data))
  })

  it('fail when a listed file is missing', async () => {
    await expect(
      packFiles(sourceFolder(), ['secrets/db-password.blob', 'secrets/gone.blob'], tarPath())
    ).rejects.toThrow(/ENOENT/)
  })

  it('write a tar that GNU tar lists and extracts identically', async () => {
    const tar = tarPath()
    await packFiles(sourceFolder(), Object.keys(FILES), tar)
    const listed = execFileSync('tar', ['-tf', tar], { encoding: 'utf8' }).trim().split('\n')
    expect(listed.sort()).toEqual(Object.keys(FILES).sort())
    const out = place()
    execFileSync('tar', ['-xf', tar, '-C', out])
    for (const [file, data] of Object.entries(FILES)) expect(readFileSync(join(out, file))).toEqual(data)
  })

  it.each([['gnu'], ['posix'], ['ustar']])(
    "read what GNU tar writes in its '%s' format (directory entries and ./ prefixes included)",
    async format => {
      const files = Object.keys(FILES).filter(f => format !== 'ustar' || f.length <= 98)
      const tar = tarPath()
      execFileSync('tar', [
        `--format=${format}`,
        '-cf',
        tar,
        '-C',
        sourceFolder(),
        ...files.map(f => `./${f}`)
      ])
      const out = place()
      expect([...(await unpackFiles(tar, out)).keys()].sort()).toEqual(files.sort())
      for (const file of files) expect(readFileSync(join(out, file))).toEqual(FILES[file])
      const withFolders = tarPath()
      execFileSync('tar', [`--format=${format}`, '-cf', withFolders, '-C', sourceFolder(), 'secrets'])
      expect((await unpackFiles(withFolders, place())).size).toBe(3)
    }
  )
})

describe('unpackFiles refuses a hostile tar', () => {
  /** Runs GNU tar in `dir` with `args`, returning the tar's path. */
  function gnuTar(dir: string, ...args: string[]): string {
    const tar = join(place(), 'hostile.tar')
    execFileSync('tar', ['-cf', tar, ...args], { cwd: dir })
    return tar
  }

  it('with an entry that climbs out, and writes nothing outside', async () => {
    const root = place()
    const marker = `kvb-escape-${randomBytes(4).toString('hex')}`
    mkdirSync(join(root, 'inner'))
    writeFileSync(join(root, marker), 'x')
    const tar = gnuTar(join(root, 'inner'), '--format=posix', '-P', `../${marker}`)
    const out = join(place(), 'out')
    mkdirSync(out)
    await expect(unpackFiles(tar, out)).rejects.toThrow(`'../${marker}' would land outside`)
    expect(existsSync(join(out, '..', marker))).toBe(false)
  })

  it('with an absolute path', async () => {
    const root = place()
    writeFileSync(join(root, 'abs.blob'), 'x')
    const tar = gnuTar('/', '-P', join(root, 'abs.blob'))
    await expect(unpackFiles(tar, place())).rejects.toThrow(/would land outside/)
  })

  it('with a symbolic link', async () => {
    const root = place()
    mkdirSync(join(root, 'secrets'))
    symlinkSync('/etc/passwd', join(root, 'secrets', 'link.blob'))
    const tar = gnuTar(root, 'secrets/link.blob')
    await expect(unpackFiles(tar, place())).rejects.toThrow(
      /'secrets\/link\.blob' is not a regular file \(type '2'\)/
    )
  })

  it('with the same file twice', async () => {
    const root = sourceFolder()
    const tar = gnuTar(root, 'secrets/db-password.blob')
    execFileSync('tar', ['-rf', tar, './secrets/db-password.blob'], { cwd: root })
    await expect(unpackFiles(tar, place())).rejects.toThrow(/holds '\.\/secrets\/db-password\.blob' twice/)
  })

  it('that is cut short', async () => {
    const tar = tarPath()
    await packFiles(sourceFolder(), Object.keys(FILES), tar)
    truncateSync(tar, 1500)
    await expect(unpackFiles(tar, place())).rejects.toThrow(/runs past the end|ends early/)
  })

  it('with a damaged header', async () => {
    const tar = tarPath()
    await packFiles(sourceFolder(), Object.keys(FILES), tar)
    const bytes = readFileSync(tar)
    bytes[10] ^= 0x01
    writeFileSync(tar, bytes)
    await expect(unpackFiles(tar, place())).rejects.toThrow(/header at byte 0 is damaged/)
  })
})
