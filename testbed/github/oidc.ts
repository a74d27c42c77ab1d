/**
 * The GitHub Actions OIDC issuer: answers the ACTIONS_ID_TOKEN_REQUEST_URL contract with RS256 tokens
 * shaped like token.actions.githubusercontent.com's, for the run named in the URL.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { GITHUB_ISSUER } from '../config.js'
import { createSigningKey, signJwt, type JwtClaims } from '../jwt.js'
import { bearerToken, nowSeconds, sendJson } from '../http.js'
import { DEFAULT_BRANCH, type GitHubState, type RunRecord } from './state.js'

const ID_TOKEN_PATH = /^\/_apis\/distributedtask\/hubs\/Actions\/plans\/([^/]+)\/jobs\/([^/]+)\/idtoken$/

export class OidcIssuer {
  readonly key = createSigningKey()
  /** ACTIONS_ID_TOKEN_REQUEST_TOKEN. */
  readonly requestToken = randomBytes(32).toString('base64url')

  constructor(
    private readonly state: GitHubState,
    public subject: string,
    public lifetimeSeconds: number
  ) {}

  /** ACTIONS_ID_TOKEN_REQUEST_URL for a run: it already carries `?api-version=2.0`, as the runner's does. */
  requestUrl(baseUrl: string, run: RunRecord): string {
    return `${baseUrl}/_apis/distributedtask/hubs/Actions/plans/${run.runBackendId}/jobs/${run.jobBackendId}/idtoken?api-version=2.0`
  }

  /**
   * The `sub` claim for a run: the settable default subject for runs on the default branch, else
   * GitHub's default subject for the run's origin (a pull request, or a push to another branch).
   */
  subjectOf(run: RunRecord): string {
    const repository = this.state.repository
    if (run.event === 'pull_request') return `repo:${repository}:pull_request`
    if (run.headBranch !== DEFAULT_BRANCH) return `repo:${repository}:ref:refs/heads/${run.headBranch}`
    return this.subject
  }

  /** The claims GitHub puts in a job's token, derived from the subject (ref, environment, event). */
  claims(run: RunRecord, audience: string | null): JwtClaims {
    const [owner] = this.state.repository.split('/')
    const subject = this.subjectOf(run)
    const environment = /:environment:(.+)$/.exec(subject)?.[1]
    const pullRequest = subject.endsWith(':pull_request')
    const ref = pullRequest
      ? `refs/pull/${run.pullRequest ?? 1}/merge`
      : (/:ref:(.+)$/.exec(subject)?.[1] ?? `refs/heads/${run.headBranch}`)
    const workflowRef = `${this.state.repository}/.github/workflows/keyvault-backup.yml@${ref}`
    const now = nowSeconds()
    return {
      jti: randomUUID(),
      sub: subject,
      aud: audience ?? `https://github.com/${owner}`,
      ref,
      sha: run.headSha,
      repository: this.state.repository,
      repository_owner: owner,
      repository_owner_id: String(this.state.base.ownerId),
      repository_id: String(this.state.base.id),
      repository_visibility: 'private',
      run_id: run.runId,
      run_number: run.runId,
      run_attempt: String(run.attempt),
      actor: 'octocat',
      actor_id: '583231',
      workflow: 'Key Vault backup',
      head_ref: pullRequest ? run.headBranch : '',
      base_ref: pullRequest ? DEFAULT_BRANCH : '',
      event_name: pullRequest ? 'pull_request' : run.event,
      ref_type: ref.startsWith('refs/tags/') ? 'tag' : 'branch',
      ref_protected: 'false',
      workflow_ref: workflowRef,
      workflow_sha: run.headSha,
      job_workflow_ref: workflowRef,
      job_workflow_sha: run.headSha,
      runner_environment: 'github-hosted',
      ...(environment ? { environment } : {}),
      iss: GITHUB_ISSUER,
      // GitHub's tokens are valid from a few minutes before issue, like the real ones.
      nbf: now - 300,
      iat: now,
      exp: now + this.lifetimeSeconds
    }
  }

  /** Answers `GET <ACTIONS_ID_TOKEN_REQUEST_URL>&audience=...`; false when the path is not the OIDC one. */
  handle(req: IncomingMessage, res: ServerResponse, url: URL): boolean {
    const match = ID_TOKEN_PATH.exec(url.pathname)
    if (!match) return false
    if (bearerToken(req) !== this.requestToken) {
      sendJson(res, 401, { message: 'Unauthorized: the ACTIONS_ID_TOKEN_REQUEST_TOKEN is missing or wrong.' })
      return true
    }
    const run = this.state.runByBackendId(match[1])
    if (!run || req.method !== 'GET') {
      sendJson(res, 404, { message: 'Not Found' })
      return true
    }
    // GitHub gives a pull request from a fork no `id-token: write`, so it never gets a token.
    if (this.state.fromFork(run)) {
      sendJson(res, 403, { message: 'Forbidden: a pull request from a fork cannot request an OIDC token.' })
      return true
    }
    sendJson(res, 200, { value: signJwt(this.claims(run, url.searchParams.get('audience')), this.key) })
    return true
  }
}
