import { DefaultArtifactClient } from '@actions/artifact'
import { HttpClient } from '@actions/http-client'
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BLOBS_ARCHIVE, MANIFEST_FILE } from '../core/manifest.js'
import { packFiles } from './tar.js'

/** The slice of `@actions/artifact`'s client we use, so tests can pass a fake. */
export interface ArtifactUploader {
  uploadArtifact(
    name: string,
    files: string[],
    rootDirectory: string,
    options?: { retentionDays?: number; compressionLevel?: number }
  ): Promise<{ id?: number; size?: number; digest?: string }>
}

export interface UploadSettings {
  name: string
  retentionDays?: number
  compressionLevel: number
}

export interface UploadedArtifact {
  id: number
  url: string
  digest: string
  size: number
}

/** The artifact's page: `${GITHUB_SERVER_URL}/${GITHUB_REPOSITORY}/actions/runs/${GITHUB_RUN_ID}/artifacts/${id}`. */
export function artifactUrl(env: NodeJS.ProcessEnv, id: number): string {
  const server = env.GITHUB_SERVER_URL ?? 'https://github.com'
  return `${server}/${env.GITHUB_REPOSITORY ?? ''}/actions/runs/${env.GITHUB_RUN_ID ?? ''}/artifacts/${id}`
}

/**
 * Uploads the backup folder as one artifact: `manifest.json` and `blobs.tar` (the written blobs,
 * relative paths, under those paths), staged in a temporary folder removed afterwards.
 */
export async function uploadBackup(
  root: string,
  blobs: string[],
  settings: UploadSettings,
  env: NodeJS.ProcessEnv = process.env,
  client: ArtifactUploader = new DefaultArtifactClient()
): Promise<UploadedArtifact> {
  const temp = env.RUNNER_TEMP || tmpdir()
  await mkdir(temp, { recursive: true })
  const stage = await mkdtemp(join(temp, 'keyvault-backup-upload-'))
  let result
  try {
    await packFiles(root, blobs, join(stage, BLOBS_ARCHIVE))
    await copyFile(join(root, MANIFEST_FILE), join(stage, MANIFEST_FILE))
    const staged = [join(stage, MANIFEST_FILE), join(stage, BLOBS_ARCHIVE)]
    result = await client.uploadArtifact(settings.name, staged, stage, {
      ...(settings.retentionDays !== undefined && { retentionDays: settings.retentionDays }),
      compressionLevel: settings.compressionLevel
    })
  } finally {
    await rm(stage, { recursive: true, force: true })
  }
  if (result.id === undefined) throw new Error(`artifact '${settings.name}' was uploaded but no id came back`)
  return {
    id: result.id,
    url: artifactUrl(env, result.id),
    digest: result.digest ?? '',
    size: result.size ?? 0
  }
}

/** Where a restore's backup comes from (the `run-id`, `repository` and `github-token` inputs). */
export type ArtifactSource =
  | { kind: 'current-run'; name: string }
  | { kind: 'run'; name: string; runId: number; repository: string; token: string }
  | { kind: 'latest'; name: string; repository: string; token: string }

/** The slice of `@actions/artifact`'s client restore uses. */
export interface ArtifactDownloader {
  getArtifact(
    name: string,
    options?: { findBy?: FindBy }
  ): Promise<{ artifact: { id: number; digest?: string; name: string } }>
  downloadArtifact(
    id: number,
    options?: { path?: string; expectedHash?: string; findBy?: FindBy }
  ): Promise<{ downloadPath?: string; digestMismatch?: boolean }>
}

interface FindBy {
  token: string
  workflowRunId: number
  repositoryOwner: string
  repositoryName: string
}

export interface DownloadedArtifact {
  id: number
  runId?: number
  digest: string
}

/**
 * Looks up the run of the newest artifact with this name in the repository (REST, newest first).
 * Uses @actions/http-client, which honours the runner's proxy settings as the artifact client does.
 */
export async function findLatestRun(
  name: string,
  repository: string,
  token: string,
  env: NodeJS.ProcessEnv = process.env
): Promise<number> {
  const api = env.GITHUB_API_URL ?? 'https://api.github.com'
  const url = `${api}/repos/${repository}/actions/artifacts?name=${encodeURIComponent(name)}&per_page=30`
  const response = await new HttpClient('keyvault-backup').get(url, {
    authorization: `Bearer ${token}`,
    accept: 'application/vnd.github+json',
    'x-github-api-version': '2022-11-28'
  })
  const status = response.message.statusCode ?? 0
  const text = await response.readBody()
  if (status < 200 || status >= 300) {
    const hint = status === 401 || status === 403 || status === 404
    throw new Error(
      `listing artifacts named '${name}' in ${repository} failed with HTTP ${status}` +
        (hint ? ": check 'repository' and that 'github-token' has 'actions: read'" : '')
    )
  }
  const body = JSON.parse(text) as {
    artifacts?: { expired?: boolean; workflow_run?: { id?: number } }[]
  }
  const newest = (body.artifacts ?? []).find(a => !a.expired && a.workflow_run?.id)
  if (!newest) throw new Error(`no unexpired artifact named '${name}' was found in ${repository}`)
  return newest.workflow_run!.id!
}

/**
 * Downloads a backup artifact into `path` (a fresh folder) and checks the zip's SHA-256 against the
 * digest GitHub recorded at upload. An artifact without a recorded digest is refused: we could not
 * tell a replaced one from the original.
 */
export async function downloadBackup(
  source: ArtifactSource,
  path: string,
  env: NodeJS.ProcessEnv = process.env,
  client: ArtifactDownloader = new DefaultArtifactClient()
): Promise<DownloadedArtifact> {
  let findBy: FindBy | undefined
  let runId: number | undefined
  if (source.kind !== 'current-run') {
    const [repositoryOwner, repositoryName] = source.repository.split('/')
    runId =
      source.kind === 'run'
        ? source.runId
        : await findLatestRun(source.name, source.repository, source.token, env)
    findBy = { token: source.token, workflowRunId: runId, repositoryOwner, repositoryName }
  }
  const where = runId === undefined ? 'this run' : `run ${runId}`
  const { artifact } = await client.getArtifact(source.name, findBy ? { findBy } : {})
  if (!artifact.digest) {
    throw new Error(
      `artifact '${source.name}' (id ${artifact.id}, ${where}) has no recorded digest, so it cannot be verified`
    )
  }
  const result = await client.downloadArtifact(artifact.id, {
    path,
    expectedHash: artifact.digest,
    ...(findBy && { findBy })
  })
  if (result.digestMismatch) {
    throw new Error(
      `artifact '${source.name}' (id ${artifact.id}, ${where}) does not match the digest recorded at upload (${artifact.digest}); refusing to restore from it`
    )
  }
  return { id: artifact.id, digest: artifact.digest, ...(runId !== undefined && { runId }) }
}
