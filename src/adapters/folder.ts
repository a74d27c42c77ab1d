import { createReadStream, createWriteStream } from 'node:fs'
import { lstat, mkdir, readFile, realpath, rename, writeFile } from 'node:fs/promises'
import { pipeline } from 'node:stream/promises'
import { dirname, join, relative, resolve, sep } from 'node:path'
import type { BlobSink } from '../core/backup.js'
import {
  MANIFEST_FILE,
  parseManifest,
  serializeManifestChunks,
  sha256Hex,
  type Manifest,
  type ManifestItem
} from '../core/manifest.js'
import { createHash } from 'node:crypto'

/** Makes the folder of `file` unless this set says it was made already (one mkdir per folder). */
export async function makeFolderOf(file: string, made: Set<string>): Promise<void> {
  const folder = dirname(file)
  if (made.has(folder)) return
  await mkdir(folder, { recursive: true })
  made.add(folder)
}

/** Writes blobs and the manifest into the backup folder, one file per blob as it arrives. */
export class BackupFolderWriter implements BlobSink {
  private readonly blobs: string[] = []
  private readonly folders = new Set<string>()

  constructor(readonly root: string) {}

  /** Writes one blob (via a temporary name, so a killed run never leaves a half blob under a good name). */
  async writeBlob(file: string, bytes: Uint8Array): Promise<{ size: number; sha256: string }> {
    const target = this.resolveInside(file)
    await makeFolderOf(target, this.folders)
    await writeFile(`${target}.partial`, bytes)
    await rename(`${target}.partial`, target)
    this.blobs.push(file)
    return { size: bytes.length, sha256: sha256Hex(bytes) }
  }

  /** Writes `manifest.json` and returns its path and SHA-256. */
  async writeManifest(manifest: Manifest): Promise<{ path: string; sha256: string }> {
    const path = this.resolveInside(MANIFEST_FILE)
    await mkdir(this.root, { recursive: true })
    // Streamed and hashed piece by piece: the whole text of a large vault's manifest is megabytes.
    const hash = createHash('sha256')
    await pipeline(function* () {
      for (const chunk of serializeManifestChunks(manifest)) {
        hash.update(chunk)
        yield chunk
      }
    }, createWriteStream(path))
    return { path, sha256: hash.digest('hex') }
  }

  /** The blobs written, relative to the folder, for the artifact upload (stale files are not uploaded). */
  blobFiles(): string[] {
    return [...this.blobs]
  }

  private resolveInside(file: string): string {
    return resolveInside(this.root, file)
  }
}

/** Resolves a relative path under root; throws if it would land outside. */
export function resolveInside(root: string, file: string): string {
  const base = resolve(root)
  const target = resolve(base, file)
  const rel = relative(base, target)
  if (rel === '' || rel.startsWith('..') || rel.startsWith(sep) || resolve(base, rel) !== target) {
    throw new Error(`path '${file}' is outside the backup folder`)
  }
  return target
}

export interface FolderVerification {
  manifest: Manifest
  manifestSha256: string
  /** Empty when every file is present, inside the folder, a regular file, and matches size and hash. */
  problems: string[]
}

/**
 * Verifies a backup folder before restore trusts it: the manifest parses (format version, safe
 * paths) and every blob has the recorded size and hash. `measured` gives sizes and hashes already
 * taken (while unpacking) instead of reading the files.
 */
export async function verifyBackupFolder(
  root: string,
  measured?: ReadonlyMap<string, { size: number; sha256: string }>
): Promise<FolderVerification> {
  const text = await readFile(join(root, MANIFEST_FILE), 'utf8')
  const manifestSha256 = sha256Hex(text)
  const problems: string[] = []
  const manifest = parseManifest(text)
  const realRoot = await realpath(root)
  const check = async (item: ManifestItem): Promise<string[]> => {
    try {
      const path = resolveInside(root, item.file)
      const found = measured ? measured.get(item.file) : await measureFile(path, realRoot)
      if (!found) return [`${item.file} is missing`]
      if (found === 'not regular') return [`${item.file} is not a regular file inside the backup folder`]
      if (found.size !== item.size)
        return [`${item.file} has ${found.size} bytes, manifest says ${item.size}`]
      if (found.sha256 !== item.sha256) {
        return [`${item.file} has SHA-256 ${found.sha256}, manifest says ${item.sha256}`]
      }
      return []
    } catch (error) {
      return [`${item.file}: ${(error as Error).message}`]
    }
  }
  // Sixteen files at a time: one by one, the file system's round trips dominate.
  for (let i = 0; i < manifest.items.length; i += 16) {
    const batch = await Promise.all(manifest.items.slice(i, i + 16).map(check))
    problems.push(...batch.flat())
  }
  return { manifest, manifestSha256, problems }
}

/** Size and SHA-256 of a file in the folder, undefined when absent, 'not regular' for links and the like. */
async function measureFile(
  path: string,
  realRoot: string
): Promise<{ size: number; sha256: string } | 'not regular' | undefined> {
  const info = await lstat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined
    throw error
  })
  if (!info) return undefined
  // A symlinked folder inside the backup could still point elsewhere: compare real paths too.
  if (!info.isFile() || !(await realpath(path)).startsWith(realRoot + sep)) return 'not regular'
  return { size: info.size, sha256: await hashFile(path) }
}

async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}
