import { copyFile, lstat, mkdir, mkdtemp, readdir, readFile } from 'node:fs/promises'
import { join, relative, sep } from 'node:path'
import { errorMessage } from '../core/errors.js'
import {
  BLOBS_ARCHIVE,
  MANIFEST_FILE,
  sha256Hex,
  type Manifest,
  type ManifestItem
} from '../core/manifest.js'
import { resolveInside, verifyBackupFolder } from './folder.js'
import { unpackFiles, type UnpackedFile } from './tar.js'

/** A manifest larger than this cannot come from a real vault (25,000 items take a few MiB). */
export const MAX_MANIFEST_BYTES = 64 * 1024 * 1024

/** lstat, or undefined when the path cannot be read (absent, most often). */
const statOf = (path: string) => lstat(path).catch(() => undefined)

/** Every file under root, relative with forward slashes (symlinks are listed, not followed). */
async function listFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true })
  return entries
    .filter(e => !e.isDirectory())
    .map(e => relative(root, join(e.parentPath, e.name)).split(sep).join('/'))
}

/**
 * An artifact (or a folder it was downloaded to) holds `manifest.json` and `blobs.tar`: unpack the
 * blobs beside a copy of the manifest in a fresh folder under `workDir`, and return that folder.
 */
async function unpackBackup(
  root: string,
  workDir: string
): Promise<{ folder: string; files: Map<string, UnpackedFile> }> {
  await mkdir(workDir, { recursive: true })
  const folder = await mkdtemp(join(workDir, 'unpacked-'))
  if ((await statOf(join(root, MANIFEST_FILE)))?.isFile()) {
    await copyFile(join(root, MANIFEST_FILE), join(folder, MANIFEST_FILE))
  }
  return { folder, files: await unpackFiles(join(root, BLOBS_ARCHIVE), folder) }
}

/**
 * Everything restore checks before its first write: the blobs unpack safely (when they came as
 * `blobs.tar`), the manifest exists, is of a sane size, parses (known format version, names, paths
 * that stay in the folder), every blob is a regular file with the recorded size and SHA-256, and the
 * folder holds no file the manifest does not list. Throws one error naming every problem; the vault
 * is not touched. Returns the folder the blobs are read from.
 */
export async function verifyForRestore(
  source: string,
  workDir: string
): Promise<{ manifest: Manifest; manifestSha256: string; root: string }> {
  const fail = (problems: string[]): never => {
    throw new Error(
      `The backup in ${source} failed verification, so nothing was written to the vault:\n- ${problems.join('\n- ')}`
    )
  }
  let root = source
  // Unpacking measured every blob (and made only regular files in a fresh folder): no second read.
  let measured: Map<string, UnpackedFile> | undefined
  if ((await statOf(join(source, BLOBS_ARCHIVE)))?.isFile()) {
    const extra = (await listFiles(source)).filter(f => f !== MANIFEST_FILE && f !== BLOBS_ARCHIVE)
    if (extra.length > 0) fail(extra.map(f => `${f} is not listed in the manifest`))
    try {
      ;({ folder: root, files: measured } = await unpackBackup(source, workDir))
    } catch (error) {
      fail([`${BLOBS_ARCHIVE}: ${errorMessage(error)}`])
    }
  }
  const manifestPath = join(root, MANIFEST_FILE)
  const info = await statOf(manifestPath)
  if (!info?.isFile()) fail([`${MANIFEST_FILE} is missing (is this a keyvault-backup folder or artifact?)`])
  if (info!.size > MAX_MANIFEST_BYTES) {
    fail([`${MANIFEST_FILE} is ${info!.size} bytes, more than any real backup (${MAX_MANIFEST_BYTES})`])
  }
  let verification
  try {
    verification = await verifyBackupFolder(root, measured)
  } catch (error) {
    return fail([errorMessage(error)])
  }
  const listed = new Set([MANIFEST_FILE, ...verification.manifest.items.map(i => i.file)])
  const extra = (await listFiles(root)).filter(f => !listed.has(f))
  const problems = [...verification.problems, ...extra.map(f => `${f} is not listed in the manifest`)]
  if (problems.length > 0) fail(problems)
  return { manifest: verification.manifest, manifestSha256: verification.manifestSha256, root }
}

/** Reads one blob and checks it against the manifest again, so a file swapped after verification is caught. */
export async function readVerifiedBlob(root: string, item: ManifestItem): Promise<Uint8Array> {
  const bytes = await readFile(resolveInside(root, item.file))
  if (bytes.length !== item.size || sha256Hex(bytes) !== item.sha256) {
    throw new Error(`${item.file} changed since it was verified; refusing to restore it`)
  }
  return bytes
}
