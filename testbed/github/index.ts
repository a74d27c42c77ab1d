/**
 * Fake GitHub runner services on one plain-HTTP loopback port: the OIDC token endpoint, the Actions
 * Results artifact service (Twirp, blobs in Azurite) and the REST API's artifact and repository
 * routes. `runEnv()` gives the environment a runner hands a job, so @actions/core and
 * @actions/artifact work unchanged; its options make runs on other branches and pull requests from
 * forks, whose artifacts the REST listing tells apart by `workflow_run.head_branch` and
 * `head_repository_id` (what a restore of "the newest backup" must check against artifact poisoning).
 */
import { randomBytes, type JsonWebKey } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { ArtifactService } from './artifacts.js'
import { startAzurite } from './azurite.js'
import { closeServer, listenOnLoopback, sendJson } from '../http.js'
import { OidcIssuer } from './oidc.js'
import { RestApi } from './rest.js'
import { DEFAULT_BRANCH, GitHubState, type RunOptions } from './state.js'

export type { RunOptions } from './state.js'

export interface GitHubServicesOptions {
  /** `owner/name`. */
  repository: string
  /** Default `sub` claim of OIDC tokens (mutable on the returned object). */
  subject: string
  /** The "current" run's GITHUB_RUN_ID. */
  runId: string
  /** Default 300. */
  oidcTokenLifetimeSeconds?: number
}

export interface FakeArtifact {
  id: number
  name: string
  runId: string
  size: number
  digest: string
  createdAt: string
}

export interface FakeGitHub {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string
  /** The OIDC issuer's public keys (issuer https://token.actions.githubusercontent.com). */
  jwks(): JsonWebKey[]
  subject: string
  oidcTokenLifetimeSeconds: number
  /** ACTIONS_ID_TOKEN_REQUEST_TOKEN. */
  readonly oidcRequestToken: string
  /**
   * The environment a runner gives a job of that run (default: the current run). The first call for a
   * run id creates the run with `options` (event, head branch, head repository); later calls may omit
   * them, and throw if they differ. A pull request from a fork gets no ACTIONS_ID_TOKEN_REQUEST_*
   * (GitHub grants such runs no `id-token: write`) but does get an ACTIONS_RUNTIME_TOKEN: it can upload
   * artifacts to the base repository under any name.
   */
  runEnv(runId?: string, options?: RunOptions): Record<string, string>
  readonly requestLog: Array<{ method: string; path: string; status: number }>
  /** Finalized artifacts of every run. */
  artifacts(): FakeArtifact[]
  /** Stops the server and Azurite. */
  stop(): Promise<void>
}

/** Starts the fake GitHub services (and Azurite behind them) on 127.0.0.1 with ephemeral ports. */
export async function startGitHubServices(opts: GitHubServicesOptions): Promise<FakeGitHub> {
  const state = new GitHubState(opts.repository)
  state.run(opts.runId)
  const blobs = await startAzurite()
  const oidc = new OidcIssuer(state, opts.subject, opts.oidcTokenLifetimeSeconds ?? 300)
  const artifactService = new ArtifactService(state, blobs)
  const rest = new RestApi(state, blobs, `ghs_${randomBytes(27).toString('base64url')}`)
  const requestLog: FakeGitHub['requestLog'] = []
  let url = ''
  let serverUrl = ''

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const requestUrl = new URL(req.url ?? '/', url)
    res.once('finish', () =>
      requestLog.push({ method: req.method ?? '', path: requestUrl.pathname, status: res.statusCode })
    )
    if (oidc.handle(req, res, requestUrl)) return
    if (await artifactService.handle(req, res, requestUrl)) return
    if (rest.handle(req, res, requestUrl, { api: url, server: serverUrl })) return
    sendJson(res, 404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' })
  }
  const server = createServer((req, res) => {
    handle(req, res).catch(err => {
      if (!res.headersSent) sendJson(res, 500, { message: String(err) })
      else res.destroy()
    })
  })
  let port: number
  try {
    port = await listenOnLoopback(server)
  } catch (error) {
    await blobs.stop()
    throw error
  }
  url = `http://127.0.0.1:${port}`
  // @actions/artifact refuses hosts other than github.com, *.ghe.com and *.localhost (GHES).
  serverUrl = `http://github.localhost:${port}`

  return {
    url,
    jwks: () => [oidc.key.publicJwk],
    get subject() {
      return oidc.subject
    },
    set subject(value: string) {
      oidc.subject = value
    },
    get oidcTokenLifetimeSeconds() {
      return oidc.lifetimeSeconds
    },
    set oidcTokenLifetimeSeconds(value: number) {
      oidc.lifetimeSeconds = value
    },
    oidcRequestToken: oidc.requestToken,
    runEnv: (runId = opts.runId, options?: RunOptions) => {
      const run = state.run(runId, options)
      const pullRequest = run.event === 'pull_request'
      const refName = pullRequest ? `${run.pullRequest}/merge` : run.headBranch
      return {
        GITHUB_ACTIONS: 'true',
        ...(state.fromFork(run)
          ? {}
          : {
              ACTIONS_ID_TOKEN_REQUEST_URL: oidc.requestUrl(url, run),
              ACTIONS_ID_TOKEN_REQUEST_TOKEN: oidc.requestToken
            }),
        ACTIONS_RUNTIME_TOKEN: artifactService.runtimeToken(run),
        ACTIONS_RESULTS_URL: `${url}/`,
        GITHUB_SERVER_URL: serverUrl,
        GITHUB_API_URL: url,
        GITHUB_REPOSITORY: opts.repository,
        GITHUB_REPOSITORY_ID: String(state.base.id),
        GITHUB_REPOSITORY_OWNER: opts.repository.split('/')[0],
        GITHUB_RUN_ID: run.runId,
        GITHUB_RUN_NUMBER: run.runId,
        GITHUB_RUN_ATTEMPT: String(run.attempt),
        GITHUB_SHA: run.headSha,
        GITHUB_EVENT_NAME: run.event,
        GITHUB_REF: pullRequest ? `refs/pull/${refName}` : `refs/heads/${refName}`,
        GITHUB_REF_NAME: refName,
        ...(pullRequest ? { GITHUB_HEAD_REF: run.headBranch, GITHUB_BASE_REF: DEFAULT_BRANCH } : {}),
        GITHUB_WORKFLOW: 'Key Vault backup',
        GITHUB_ACTOR: 'octocat',
        GITHUB_TOKEN: rest.token
      }
    },
    requestLog,
    artifacts: () =>
      state.finalized().map(a => ({
        id: a.id,
        name: a.name,
        runId: a.runId,
        size: a.size,
        digest: a.digest,
        createdAt: a.createdAt.toISOString()
      })),
    stop: async () => {
      await closeServer(server)
      await blobs.stop()
    }
  }
}
