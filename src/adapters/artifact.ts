import type { DefaultArtifactClient } from '@actions/artifact'
import { HttpClient } from '@actions/http-client'
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BLOBS_ARCHIVE, MANIFEST_FILE } from '../core/manifest.js'
import { packFiles } from './tar.js'

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
/**
 * @actions/artifact, with the storage SDK it carries (a third of the bundle), is loaded only by the
 * runs that upload or download: copy, discover and a restore from a folder start without parsing it.
 */
async function artifactClient(): Promise<DefaultArtifactClient> {
  const { DefaultArtifactClient } = await import('@actions/artifact')
  return new DefaultArtifactClient()
}

export async function uploadBackup(
  root: string,
  blobs: string[],
  settings: UploadSettings
): Promise<UploadedArtifact> {
  const env = process.env
  const client = await artifactClient()
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

/** Where a restore's backup comes from (the `run-id`, `run-branch`, `repository` and `github-token` inputs). */
export type ArtifactSource =
  | { kind: 'current-run'; name: string }
  | { kind: 'run'; name: string; runId: number; repository: string; token: string }
  /** The newest trusted artifact of that name; `branch` defaults to the default branch, '*' is any. */
  | { kind: 'latest'; name: string; repository: string; token: string; branch?: string }

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

/** An artifact `latest` may restore: uploaded by a run of the repository itself, on a trusted branch. */
export interface ArtifactCandidate {
  id: number
  runId: number
  createdAt: string
  branch: string
}

/** An artifact `latest` did not take, and why. */
export interface PassedOver {
  id: number
  runId?: number
  createdAt?: string
  reason: string
}

interface ListedArtifact {
  id?: number
  expired?: boolean
  created_at?: string
  workflow_run?: { id?: number; repository_id?: number; head_repository_id?: number; head_branch?: string }
}

async function getJson<T>(url: string, token: string, what: string): Promise<T> {
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
      `${what} failed with HTTP ${status}` +
        (hint ? ": check 'repository' and that 'github-token' has 'actions: read'" : '')
    )
  }
  return JSON.parse(text) as T
}

/**
 * The artifacts of that name that `latest` may restore, newest first, and those it passed over.
 * Anyone who can open a pull request from a fork can make a workflow of this repository upload an
 * artifact of any name ("artifact poisoning"), so only runs whose head repository is the repository
 * itself count, and only on `branch` (default: the repository's default branch; '*': any branch).
 * Uses @actions/http-client, which honours the runner's proxy settings as the artifact client does.
 */
export async function findTrustedArtifacts(
  name: string,
  repository: string,
  token: string,
  branch: string | undefined
): Promise<{ candidates: ArtifactCandidate[]; passedOver: PassedOver[]; branch: string }> {
  const api = process.env.GITHUB_API_URL ?? 'https://api.github.com'
  const repo = await getJson<{ id?: number; default_branch?: string }>(
    `${api}/repos/${repository}`,
    token,
    `reading repository ${repository}`
  )
  const trusted = branch ?? repo.default_branch ?? 'main'
  const body = await getJson<{ artifacts?: ListedArtifact[] }>(
    `${api}/repos/${repository}/actions/artifacts?name=${encodeURIComponent(name)}&per_page=100`,
    token,
    `listing artifacts named '${name}' in ${repository}`
  )
  const candidates: ArtifactCandidate[] = []
  const passedOver: PassedOver[] = []
  for (const a of body.artifacts ?? []) {
    const run = a.workflow_run ?? {}
    const base = {
      id: a.id ?? 0,
      ...(run.id && { runId: run.id }),
      ...(a.created_at && { createdAt: a.created_at })
    }
    if (a.expired) passedOver.push({ ...base, reason: 'expired' })
    else if (!run.id) passedOver.push({ ...base, reason: 'its run is unknown' })
    else if (run.head_repository_id !== run.repository_id || (repo.id && run.repository_id !== repo.id)) {
      passedOver.push({
        ...base,
        reason: `uploaded by a run from another repository (a fork, head repository id ${run.head_repository_id})`
      })
    } else if (trusted !== '*' && run.head_branch !== trusted) {
      passedOver.push({
        ...base,
        reason: `uploaded by a run on branch '${run.head_branch}', not '${trusted}' (set 'run-branch' to trust it)`
      })
    } else
      candidates.push({
        id: a.id ?? 0,
        runId: run.id,
        createdAt: a.created_at ?? '',
        branch: run.head_branch ?? ''
      })
  }
  return { candidates, passedOver, branch: trusted }
}

/**
 * Downloads a backup artifact into `path` (a fresh folder) and checks the zip's SHA-256 against the
 * digest GitHub recorded at upload. An artifact without a recorded digest is refused: we could not
 * tell a replaced one from the original.
 */
export async function downloadBackup(
  source: Exclude<ArtifactSource, { kind: 'latest' }>,
  path: string
): Promise<DownloadedArtifact> {
  const client = await artifactClient()
  let findBy: FindBy | undefined
  let runId: number | undefined
  if (source.kind === 'run') {
    const [repositoryOwner, repositoryName] = source.repository.split('/')
    runId = source.runId
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
