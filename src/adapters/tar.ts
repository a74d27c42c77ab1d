import { createHash } from 'node:crypto'
import { open, readFile, type FileHandle } from 'node:fs/promises'
import { posix } from 'node:path'
import { makeFolderOf, resolveInside } from './folder.js'

/**
 * A small POSIX tar (ustar, with pax headers for long names) for the artifact: @actions/artifact's zip
 * step holds about 17 KB of memory per file, so the blobs travel as one uncompressed `blobs.tar`.
 * Only what a backup needs: regular files and directories, no links, no owners.
 */
const BLOCK = 512
const EMPTY = Buffer.alloc(BLOCK)
/** Files read ahead while packing: one at a time, the file system's round trips took 0.4 ms a blob. */
const READ_AHEAD = 16

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0'
}

function header(name: string, size: number, type: string, prefix = '', mtime = 0): Buffer {
  const block = Buffer.alloc(BLOCK)
  block.write(name, 0, 100, 'utf8')
  block.write(octal(0o644, 8), 100, 'ascii')
  block.write(octal(0, 8), 108, 'ascii')
  block.write(octal(0, 8), 116, 'ascii')
  block.write(octal(size, 12), 124, 'ascii')
  block.write(octal(mtime, 12), 136, 'ascii')
  block.write(' '.repeat(8), 148, 'ascii')
  block.write(type, 156, 'ascii')
  block.write('ustar\u000000', 257, 'ascii')
  block.write(prefix, 345, 155, 'utf8')
  block.write(octal(checksum(block), 7) + ' ', 148, 'ascii')
  return block
}

function checksum(block: Buffer): number {
  let sum = 0
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : block[i]
  return sum
}

/** The header blocks for one file: plain ustar when the path fits, else a pax `path` record first. */
function fileHeaders(path: string, size: number, mtime: number): Buffer[] {
  if (Buffer.byteLength(path) <= 100) return [header(path, size, '0', '', mtime)]
  const cut = path.lastIndexOf('/')
  if (cut > 0 && cut <= 155 && Buffer.byteLength(path.slice(cut + 1)) <= 100) {
    return [header(path.slice(cut + 1), size, '0', path.slice(0, cut), mtime)]
  }
  const body = ` path=${path}\n`
  let length = body.length + 1
  while (`${length}${body}`.length !== length) length++
  const record = Buffer.from(`${length}${body}`)
  return [
    header('PaxHeader', record.length, 'x', '', mtime),
    padded(record),
    header(path.slice(-100), size, '0', '', mtime)
  ]
}

function padded(data: Buffer): Buffer {
  const rest = data.length % BLOCK
  return rest === 0 ? data : Buffer.concat([data, EMPTY.subarray(rest)])
}

/** Writes `files` (relative, forward slashes) read from `root` into one tar at `target`. */
export async function packFiles(root: string, files: string[], target: string): Promise<void> {
  const out = await open(target, 'wx')
  const mtime = Math.floor(Date.now() / 1000)
  // Reads run ahead and writes go out about 1 MiB at a time.
  const reads = files.map((file, i) => (i < READ_AHEAD ? readFile(resolveInside(root, file)) : undefined))
  let pending: Buffer[] = []
  let pendingBytes = 0
  try {
    for (let i = 0; i < files.length; i++) {
      const ahead = i + READ_AHEAD
      if (ahead < files.length) reads[ahead] = readFile(resolveInside(root, files[ahead]))
      const data = await reads[i]!
      reads[i] = undefined
      pending.push(...fileHeaders(files[i], data.length, mtime), padded(data))
      pendingBytes += data.length
      if (pendingBytes >= 1 << 20) {
        await out.writev(pending)
        pending = []
        pendingBytes = 0
      }
    }
    await out.writev([...pending, Buffer.alloc(BLOCK * 2)])
  } finally {
    // A failed read must not leave the prefetched ones unobserved.
    await Promise.allSettled(reads.filter(Boolean))
    await out.close()
  }
}

/** The fields of one header block that unpacking needs. */
interface Entry {
  path: string
  size: number
  type: string
}

function parseHeader(block: Buffer, where: number): Entry {
  const text = (start: number, length: number) => {
    const field = block.subarray(start, start + length)
    const end = field.indexOf(0)
    return field.subarray(0, end === -1 ? length : end).toString('utf8')
  }
  const number = (start: number, length: number) => {
    const digits = text(start, length).trim()
    if (!/^[0-7]+$/.test(digits)) throw new Error(`the tar header at byte ${where} is damaged`)
    return parseInt(digits, 8)
  }
  if (!text(257, 6).startsWith('ustar') || number(148, 8) !== checksum(block)) {
    throw new Error(`the tar header at byte ${where} is damaged (not ustar, or a bad checksum)`)
  }
  const name = text(0, 100)
  const prefix = text(345, 155)
  return { path: prefix ? `${prefix}/${name}` : name, size: number(124, 12), type: text(156, 1) || '0' }
}

/** Reads the `path` record of a pax header, if any. */
function paxPath(records: string): string | undefined {
  let rest = records
  let path: string | undefined
  while (rest.length > 0) {
    const space = rest.indexOf(' ')
    const length = Number(rest.slice(0, space))
    if (space <= 0 || !Number.isInteger(length) || length <= space || length > rest.length) {
      throw new Error('a pax header in the tar is damaged')
    }
    const record = rest.slice(space + 1, length - 1)
    if (record.startsWith('path=')) path = record.slice(5)
    rest = rest.slice(length)
  }
  return path
}

/**
 * Unpacks a tar into `root`, refusing (with the entry's name) links, devices, absolute or climbing
 * paths, duplicates and anything past the end of the file. Nothing is written outside `root`.
 * Returns each file written (relative path) with its size and SHA-256, measured on the way.
 */
export async function unpackFiles(tar: string, root: string): Promise<Map<string, UnpackedFile>> {
  const input = await open(tar, 'r')
  const written = new Map<string, UnpackedFile>()
  const folders = new Set<string>()
  try {
    const { size: total } = await input.stat()
    let offset = 0
    let longPath: string | undefined
    for (;;) {
      const block = await readExactly(input, offset, BLOCK, total)
      if (block.equals(EMPTY)) return written
      const entry = parseHeader(block, offset)
      const dataStart = offset + BLOCK
      offset = dataStart + Math.ceil(entry.size / BLOCK) * BLOCK
      if (offset > total) throw new Error(`the tar entry '${entry.path}' runs past the end of the file`)
      if (entry.type === 'x' || entry.type === 'L') {
        const data = (await readExactly(input, dataStart, entry.size, total)).toString('utf8')
        // A pax `path` record, or GNU tar's own long name (its default format).
        longPath = entry.type === 'x' ? paxPath(data) : data.replace(/\0+$/, '')
        continue
      }
      const path = longPath ?? entry.path
      longPath = undefined
      // Directories are made as files need them; a global pax header carries nothing we use.
      if (entry.type === '5' || entry.type === 'g') continue
      const target = safeTarget(root, path)
      if (entry.type !== '0' && entry.type !== '7') {
        throw new Error(`the tar entry '${path}' is not a regular file (type '${entry.type}')`)
      }
      const relative = posix.normalize(path)
      if (written.has(relative)) throw new Error(`the tar holds '${path}' twice`)
      await makeFolderOf(target, folders)
      written.set(relative, await copyRange(input, dataStart, entry.size, total, target))
    }
  } finally {
    await input.close()
  }
}

function safeTarget(root: string, path: string): string {
  if (path.startsWith('/') || path.split('/').includes('..') || path.includes('\\')) {
    throw new Error(`the tar entry '${path}' would land outside the backup folder`)
  }
  return resolveInside(root, path)
}

async function readExactly(input: FileHandle, position: number, length: number, total: number) {
  if (position + length > total) throw new Error(`the tar ends early, at byte ${total}`)
  const buffer = Buffer.alloc(length)
  const { bytesRead } = await input.read(buffer, 0, length, position)
  if (bytesRead !== length) throw new Error(`the tar ends early, at byte ${position + bytesRead}`)
  return buffer
}

export interface UnpackedFile {
  size: number
  sha256: string
}

async function copyRange(
  input: FileHandle,
  start: number,
  size: number,
  total: number,
  target: string
): Promise<UnpackedFile> {
  const out = await open(target, 'wx')
  const hash = createHash('sha256')
  try {
    for (let done = 0; done < size;) {
      const chunk = await readExactly(input, start + done, Math.min(1 << 20, size - done), total)
      hash.update(chunk)
      await out.write(chunk)
      done += chunk.length
    }
  } finally {
    await out.close()
  }
  return { size, sha256: hash.digest('hex') }
}
