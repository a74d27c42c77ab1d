/**
 * The slice of GitHub's REST API that downloads from another run use: artifact listings (per run and
 * per repository, by name, paginated), one artifact, its zip (302 to a signed blob URL) and delete,
 * plus `GET /repos/{owner}/{repo}` (the default branch). Bodies and errors are shaped like
 * api.github.com's; each artifact's `workflow_run` tells which branch and which repository (the base
 * one or a fork) the run that uploaded it came from.
 */
import { randomUUID } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { bearerToken, sendJson } from '../http.js'
import type { BlobStore } from './azurite.js'
import { DEFAULT_BRANCH, type ArtifactRecord, type GitHubState, type RepositoryRecord } from './state.js'

const DOCS = 'https://docs.github.com/rest/actions/artifacts'
const REPO_DOCS = 'https://docs.github.com/rest/repos/repos#get-a-repository'
const ROUTE =
  /^\/repos\/([^/]+)\/([^/]+)\/actions\/(?:runs\/(\d+)\/artifacts|artifacts(?:\/(\d+)(?:\/([^/]+))?)?)$/
const REPO_ROUTE = /^\/repos\/([^/]+)\/([^/]+)$/

/** Where the fake is reached: the REST API's base URL and the web server's (html_url). */
export interface GitHubUrls {
  api: string
  server: string
}

/** GitHub's timestamps carry no fraction: `2020-01-10T14:59:22Z`. */
const githubTime = (date: Date): string => date.toISOString().replace(/\.\d{3}Z$/, 'Z')

export class RestApi {
  constructor(
    private readonly state: GitHubState,
    private readonly blobs: BlobStore,
    /** The GITHUB_TOKEN value that REST calls must present. */
    readonly token: string
  ) {}

  /** Handles a REST call; false when the path is not one of the artifact or repository routes. */
  handle(req: IncomingMessage, res: ServerResponse, url: URL, urls: GitHubUrls): boolean {
    const match = ROUTE.exec(url.pathname)
    if (match) {
      this.route(req, res, url, urls.api, match)
      return true
    }
    const repoMatch = REPO_ROUTE.exec(url.pathname)
    if (!repoMatch) return false
    this.repositoryRoute(req, res, `${repoMatch[1]}/${repoMatch[2]}`, urls)
    return true
  }

  /** Headers every answer carries. */
  private static headers(): Record<string, string> {
    return {
      'x-github-request-id': randomUUID().toUpperCase(),
      'x-github-api-version-selected': '2022-11-28'
    }
  }

  /** `GET /repos/{owner}/{repo}`: the base repository, or a fork a run came from. */
  private repositoryRoute(
    req: IncomingMessage,
    res: ServerResponse,
    fullName: string,
    urls: GitHubUrls
  ): void {
    const headers = RestApi.headers()
    const error = (status: number, message: string): void =>
      sendJson(res, status, { message, documentation_url: REPO_DOCS, status: String(status) }, headers)
    const token = bearerToken(req)
    if (!token) return error(401, 'Requires authentication')
    if (token !== this.token) return error(401, 'Bad credentials')
    const repository = this.state.knownRepository(fullName)
    if (!repository || req.method !== 'GET') return error(404, 'Not Found')
    sendJson(res, 200, this.repositoryJson(repository, urls), headers)
  }

  private repositoryJson(r: RepositoryRecord, urls: GitHubUrls): Record<string, unknown> {
    const [login, name] = r.fullName.split('/')
    const base = this.state.base
    const summary = (repo: RepositoryRecord): Record<string, unknown> => ({
      id: repo.id,
      node_id: Buffer.from(`010:Repository${repo.id}`).toString('base64'),
      name: repo.fullName.split('/')[1],
      full_name: repo.fullName,
      private: true,
      html_url: `${urls.server}/${repo.fullName}`,
      url: `${urls.api}/repos/${repo.fullName}`
    })
    const time = githubTime(r.createdAt)
    return {
      ...summary(r),
      name,
      owner: {
        login,
        id: r.ownerId,
        node_id: Buffer.from(`04:${r.fork ? 'User' : 'Organization'}${r.ownerId}`).toString('base64'),
        avatar_url: `https://avatars.githubusercontent.com/u/${r.ownerId}?v=4`,
        url: `${urls.api}/users/${login}`,
        html_url: `${urls.server}/${login}`,
        type: r.fork ? 'User' : 'Organization',
        site_admin: false
      },
      description: null,
      fork: r.fork,
      created_at: time,
      updated_at: time,
      pushed_at: time,
      visibility: 'private',
      archived: false,
      disabled: false,
      default_branch: DEFAULT_BRANCH,
      ...(r.fork ? { parent: summary(base), source: summary(base) } : {})
    }
  }

  private route(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    apiUrl: string,
    match: RegExpExecArray
  ): void {
    const [, owner, repo, runId, artifactId, format] = match
    const headers = RestApi.headers()
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
        repository_id: this.state.base.id,
        head_repository_id: run ? this.state.headRepositoryId(run) : this.state.base.id,
        head_branch: run?.headBranch ?? DEFAULT_BRANCH,
        head_sha: run?.headSha ?? ''
      }
    }
  }
}
