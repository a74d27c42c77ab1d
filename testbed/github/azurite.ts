/**
 * Azurite's blob service as the artifact store behind signed URLs, run as a child process (it is
 * CommonJS and keeps global state, so it stays out of the test process). Signed URLs are SAS URLs made
 * with the well-known devstoreaccount1 key, as the real service hands out SAS URLs to its storage.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import {
  BlobSASPermissions,
  BlobServiceClient,
  StorageSharedKeyCredential,
  generateBlobSASQueryParameters,
  type ContainerClient
} from '@azure/storage-blob'

const ACCOUNT = 'devstoreaccount1'
// Azurite's published development key (https://learn.microsoft.com/azure/storage/common/storage-use-azurite).
const ACCOUNT_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='
const CONTAINER = 'actions-results'
const START_TIMEOUT_MS = 20_000

export interface BlobStore {
  /** `http://127.0.0.1:<port>/devstoreaccount1`. */
  readonly accountUrl: string
  /** A SAS URL that lets a client create and write the blob (Put Block, Put Block List). */
  uploadUrl(blobName: string): string
  /** A short-lived read SAS URL; `fileName` goes into the response's Content-Disposition as GitHub does. */
  downloadUrl(blobName: string, fileName: string): string
  /** The blob's size, or undefined when it was never written. */
  blobSize(blobName: string): Promise<number | undefined>
  deleteBlob(blobName: string): Promise<void>
  stop(): Promise<void>
}

/** Spawns Azurite's blob service on 127.0.0.1 with a free port and in-memory storage. */
export async function startAzurite(): Promise<BlobStore> {
  const main = createRequire(import.meta.url).resolve('azurite/dist/src/blob/main.js')
  // The wrapper exits when the parent goes away (IPC disconnect), so a crashed test leaves no Azurite.
  const wrapper = `process.on('disconnect', () => process.exit(0)); process.argv.splice(1, 0, 'azurite-blob'); require(${JSON.stringify(main)})`
  const args = [
    '--blobHost',
    '127.0.0.1',
    '--blobPort',
    '0',
    '--inMemoryPersistence',
    '--skipApiVersionCheck'
  ]
  const child = spawn(
    process.execPath,
    ['-e', wrapper, '--', ...args, '--disableTelemetry', '--loose', '--silent'],
    {
      cwd: tmpdir(),
      env: { ...process.env, AZURITE_DB: undefined, NODE_OPTIONS: '' },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc']
    }
  )
  const accountUrl = `${await waitForListening(child)}/${ACCOUNT}`

  const credential = new StorageSharedKeyCredential(ACCOUNT, ACCOUNT_KEY)
  const container: ContainerClient = new BlobServiceClient(accountUrl, credential).getContainerClient(
    CONTAINER
  )
  try {
    await container.createIfNotExists()
  } catch (error) {
    await stopChild(child)
    throw error
  }

  const sas = (blobName: string, permissions: string, minutes: number, fileName?: string): string => {
    const query = generateBlobSASQueryParameters(
      {
        containerName: CONTAINER,
        blobName,
        permissions: BlobSASPermissions.parse(permissions),
        startsOn: new Date(Date.now() - 5 * 60_000),
        expiresOn: new Date(Date.now() + minutes * 60_000),
        contentDisposition: fileName
          ? `attachment; filename="${fileName.replace(/[^\x20-\x7e]|"/g, '_')}"; filename*=UTF-8''${encodeURIComponent(fileName)}`
          : undefined
      },
      credential
    ).toString()
    return `${container.getBlobClient(blobName).url}?${query}`
  }

  return {
    accountUrl,
    uploadUrl: blobName => sas(blobName, 'cw', 60),
    downloadUrl: (blobName, fileName) => sas(blobName, 'r', 10, fileName),
    blobSize: async blobName => {
      try {
        return (await container.getBlobClient(blobName).getProperties()).contentLength
      } catch {
        return undefined
      }
    },
    deleteBlob: async blobName => {
      await container.getBlobClient(blobName).deleteIfExists()
    },
    stop: () => stopChild(child)
  }
}

/** Resolves with Azurite's `http://host:port` once it reports listening; rejects if it exits first. */
function waitForListening(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = ''
    const timer = setTimeout(() => fail(new Error('Azurite did not start in time')), START_TIMEOUT_MS)
    const fail = (error: Error): void => {
      clearTimeout(timer)
      child.kill('SIGKILL')
      reject(error)
    }
    const onData = (chunk: Buffer): void => {
      output += chunk.toString()
      const match = /successfully listens on (http:\/\/[\d.]+:\d+)/.exec(output)
      if (match) {
        clearTimeout(timer)
        child.stdout?.off('data', onData)
        child.stdout?.resume()
        child.off('exit', onExit)
        resolve(match[1])
      }
    }
    const onExit = (code: number | null): void =>
      fail(new Error(`Azurite exited (${code}): ${output.trim()}`))
    child.stdout?.on('data', onData)
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.once('exit', onExit)
    child.once('error', fail)
  })
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>(resolve => child.once('exit', () => resolve()))
  // Closing the IPC channel makes the wrapper exit at once; nothing in memory needs saving.
  if (child.connected) child.disconnect()
  else child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000)
  await exited
  clearTimeout(timer)
}
