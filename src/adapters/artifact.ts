import { DefaultArtifactClient } from '@actions/artifact'

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

/** Uploads the written files of the backup folder as one artifact. */
export async function uploadBackup(
  root: string,
  files: string[],
  settings: UploadSettings,
  env: NodeJS.ProcessEnv = process.env,
  client: ArtifactUploader = new DefaultArtifactClient()
): Promise<UploadedArtifact> {
  const result = await client.uploadArtifact(settings.name, files, root, {
    ...(settings.retentionDays !== undefined && { retentionDays: settings.retentionDays }),
    compressionLevel: settings.compressionLevel
  })
  if (result.id === undefined) throw new Error(`artifact '${settings.name}' was uploaded but no id came back`)
  return {
    id: result.id,
    url: artifactUrl(env, result.id),
    digest: result.digest ?? '',
    size: result.size ?? 0
  }
}
