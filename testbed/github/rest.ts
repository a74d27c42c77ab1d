/**
 * The slice of GitHub's REST API that downloads from another run use: artifact listings (per run and
 * per repository, by name, paginated), one artifact, its zip (302 to a signed blob URL) and delete.
 * Bodies and errors are shaped like api.github.com's.
 */
import { randomUUID } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { bearerToken, sendJson } from '../http.js'
import type { BlobStore } from './azurite.js'
import type { ArtifactRecord, GitHubState } from './state.js'

const DOCS = 'https://docs.github.com/rest/actions/artifacts'
const ROUTE =
  /^\/repos\/([^/]+)\/([^/]+)\/actions\/(?:runs\/(\d+)\/artifacts|artifacts(?:\/(\d+)(?:\/([^/]+))?)?)$/

/** GitHub's timestamps carry no fraction: `2020-01-10T14:59:22Z`. */
const githubTime = (date: Date): string => date.toISOString().replace(/\.\d{3}Z$/, 'Z')

export class RestApi {
  constructor(
    private readonly state: GitHubState,
    private readonly blobs: BlobStore,
    /** The GITHUB_TOKEN value that REST calls must present. */
    readonly token: string
  ) {}

  /** Handles a REST call; false when the path is not one of the artifact routes. */
  handle(req: IncomingMessage, res: ServerResponse, url: URL, apiUrl: string): boolean {
    const match = ROUTE.exec(url.pathname)
    if (!match) return false
    this.route(req, res, url, apiUrl, match)
    return true
  }

  private route(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    apiUrl: string,
    match: RegExpExecArray
  ): void {
    const [, owner, repo, runId, artifactId, format] = match
    const headers = {
      'x-github-request-id': randomUUID().toUpperCase(),
      'x-github-api-version-selected': '2022-11-28'
    }
    const error = (status: number, message: string): void =>
      sendJson(res, status, { message, documentation_url: DOCS, status: String(status) }, headers)

    const token = bearerToken(req)
    if (!token) return error(401, 'Requires authentication')
    if (token !== this.token) return error(401, 'Bad credentials')
    if (`${owner}/${repo}`.toLowerCase() !== this.state.repository.toLowerCase())
      return error(404, 'Not Found')

    const artifact = artifactId ? this.state.finalized().find(a => String(a.id) === artifactId) : undefined
    if (artifactId && !artifact) return error(404, 'Not Found')
    const toJson = (a: ArtifactRecord): Record<string, unknown> => this.artifactJson(a, apiUrl)

    if (artifact && format === undefined && req.method === 'GET') {
      sendJson(res, 200, toJson(artifact), headers)
    } else if (artifact && format === undefined && req.method === 'DELETE') {
      void this.blobs.deleteBlob(artifact.blobName)
      this.state.remove(artifact)
      res.writeHead(204, headers).end()
    } else if (artifact && req.method === 'GET') {
      if (format !== 'zip') return error(404, 'Not Found')
      if (artifact.expiresAt.getTime() < Date.now()) return error(410, 'Artifact has expired')
      res
        .writeHead(302, {
          ...headers,
          location: this.blobs.downloadUrl(artifact.blobName, artifact.fileName)
        })
        .end()
    } else if (!artifactId && req.method === 'GET') {
      if (runId && !this.state.knownRun(runId)) return error(404, 'Not Found')
      const name = url.searchParams.get('name')
      let list = this.state
        .finalized()
        .filter(a => (!runId || a.runId === runId) && (!name || a.name === name))
      // A run lists its artifacts in upload order; the repository listing shows the newest first.
      list = runId ? list.sort((a, b) => a.id - b.id) : list.sort((a, b) => b.id - a.id)
      this.sendPage(res, url, apiUrl, list.map(toJson), headers)
    } else {
      error(404, 'Not Found')
    }
  }

  private sendPage(
    res: ServerResponse,
    url: URL,
    apiUrl: string,
    all: Record<string, unknown>[],
    headers: Record<string, string>
  ): void {
    const perPage = Math.min(Math.max(Number(url.searchParams.get('per_page')) || 30, 1), 100)
    const page = Math.max(Number(url.searchParams.get('page')) || 1, 1)
    const last = Math.max(Math.ceil(all.length / perPage), 1)
    const link = (p: number, rel: string): string => {
      const target = new URL(url.pathname + url.search, apiUrl)
      target.searchParams.set('per_page', String(perPage))
      target.searchParams.set('page', String(p))
      return `<${target.href}>; rel="${rel}"`
    }
    const links = [
      ...(page > 1 ? [link(page - 1, 'prev'), link(1, 'first')] : []),
      ...(page < last ? [link(page + 1, 'next'), link(last, 'last')] : [])
    ]
    const artifacts = all.slice((page - 1) * perPage, page * perPage)
    sendJson(
      res,
      200,
      { total_count: all.length, artifacts },
      links.length ? { ...headers, link: links.join(', ') } : headers
    )
  }

  private artifactJson(a: ArtifactRecord, apiUrl: string): Record<string, unknown> {
    const run = this.state.knownRun(a.runId)
    const url = `${apiUrl}/repos/${this.state.repository}/actions/artifacts/${a.id}`
    return {
      id: a.id,
      node_id: Buffer.from(`010:Artifact${a.id}`).toString('base64'),
      name: a.name,
      size_in_bytes: a.size,
      url,
      archive_download_url: `${url}/zip`,
      expired: a.expiresAt.getTime() < Date.now(),
      created_at: githubTime(a.createdAt),
      updated_at: githubTime(a.updatedAt),
      expires_at: githubTime(a.expiresAt),
      digest: a.digest || null,
      workflow_run: {
        id: Number(a.runId),
        repository_id: 123456789,
        head_repository_id: 123456789,
        head_branch: 'main',
        head_sha: run?.headSha ?? ''
      }
    }
  }
}
