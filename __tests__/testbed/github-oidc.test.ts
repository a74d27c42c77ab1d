import { DEFAULT_AUDIENCE, GITHUB_ISSUER, defaultLayout } from '../../testbed/config.js'
import { startGitHubServices, type FakeGitHub } from '../../testbed/github/index.js'
import { verifyJwt } from '../../testbed/jwt.js'

const layout = defaultLayout()
let github: FakeGitHub
const savedEnv = { ...process.env }

beforeAll(async () => {
  github = await startGitHubServices({ ...layout.github })
})

afterAll(async () => {
  process.env = savedEnv
  await github?.stop()
})

/** Points @actions/core at the fake for a run; core reads the variables at call time. */
function useRun(runId?: string): void {
  const env = github.runEnv(runId)
  process.env.ACTIONS_ID_TOKEN_REQUEST_URL = env.ACTIONS_ID_TOKEN_REQUEST_URL
  process.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN
}

describe('fake GitHub OIDC issuer', () => {
  it('answers core.getIDToken with a token shaped like GitHub Actions tokens', async () => {
    useRun()
    const core = await import('@actions/core')
    const claims = verifyJwt(await core.getIDToken(DEFAULT_AUDIENCE), github.jwks())
    expect(claims).toMatchObject({
      iss: GITHUB_ISSUER,
      sub: layout.github.subject,
      aud: DEFAULT_AUDIENCE,
      repository: layout.github.repository,
      repository_owner: 'octo-org',
      run_id: layout.github.runId,
      ref: 'refs/heads/main',
      job_workflow_ref: expect.stringMatching(
        /^octo-org\/octo-repo\/\.github\/workflows\/.+@refs\/heads\/main$/
      )
    })
    expect(claims.exp! - claims.iat!).toBe(300)
    expect(claims).not.toHaveProperty('environment')
  })

  it("defaults the audience to the owner's URL and follows the subject, run and lifetime", async () => {
    useRun('2002')
    github.subject = 'repo:octo-org/octo-repo:environment:production'
    github.oidcTokenLifetimeSeconds = 60
    try {
      const core = await import('@actions/core')
      const claims = verifyJwt(await core.getIDToken(), github.jwks())
      expect(claims).toMatchObject({
        aud: 'https://github.com/octo-org',
        sub: 'repo:octo-org/octo-repo:environment:production',
        environment: 'production',
        run_id: '2002'
      })
      expect(claims.exp! - claims.iat!).toBe(60)
    } finally {
      github.subject = layout.github.subject
      github.oidcTokenLifetimeSeconds = 300
    }
  })

  it('refuses a request without the request token', async () => {
    const env = github.runEnv()
    const anonymous = await fetch(`${env.ACTIONS_ID_TOKEN_REQUEST_URL}&audience=x`)
    expect(anonymous.status).toBe(401)
    const wrong = await fetch(`${env.ACTIONS_ID_TOKEN_REQUEST_URL}&audience=x`, {
      headers: { authorization: 'Bearer not-the-token' }
    })
    expect(wrong.status).toBe(401)
    expect(github.requestLog.filter(r => r.status === 401).length).toBeGreaterThanOrEqual(2)
  })
})

describe('fake GitHub OIDC issuer for runs on other branches and pull requests', () => {
  const idToken = async (env: Record<string, string>, audience = DEFAULT_AUDIENCE) => {
    const res = await fetch(`${env.ACTIONS_ID_TOKEN_REQUEST_URL}&audience=${audience}`, {
      headers: { authorization: `Bearer ${env.ACTIONS_ID_TOKEN_REQUEST_TOKEN}` }
    })
    expect(res.status).toBe(200)
    return verifyJwt(((await res.json()) as { value: string }).value, github.jwks())
  }

  it("gives a run on another branch that branch's subject and ref", async () => {
    const claims = await idToken(github.runEnv('4001', { event: 'push', headBranch: 'feature/x' }))
    expect(claims).toMatchObject({
      sub: 'repo:octo-org/octo-repo:ref:refs/heads/feature/x',
      ref: 'refs/heads/feature/x',
      event_name: 'push',
      run_id: '4001'
    })
  })

  it('gives a pull request from a branch of the repository the pull_request subject', async () => {
    const env = github.runEnv('4002', { event: 'pull_request', headBranch: 'patch-2' })
    const claims = await idToken(env)
    expect(claims).toMatchObject({
      sub: 'repo:octo-org/octo-repo:pull_request',
      ref: env.GITHUB_REF,
      head_ref: 'patch-2',
      base_ref: 'main',
      event_name: 'pull_request'
    })
  })

  it('refuses a token to a pull request from a fork, which has no request URL either', async () => {
    const env = github.runEnv('4003', { headRepository: 'someone/octo-repo', headBranch: 'main' })
    expect(env.GITHUB_EVENT_NAME).toBe('pull_request')
    expect(env.ACTIONS_ID_TOKEN_REQUEST_URL).toBeUndefined()
    // The URL the runner would have handed it, rebuilt from the runtime token's scope.
    const scp = JSON.parse(Buffer.from(env.ACTIONS_RUNTIME_TOKEN.split('.')[1], 'base64url').toString())
      .scp as string
    const [, runBackendId, jobBackendId] = scp
      .split(' ')
      .find(s => s.startsWith('Actions.Results:'))!
      .split(':')
    const url = `${github.url}/_apis/distributedtask/hubs/Actions/plans/${runBackendId}/jobs/${jobBackendId}/idtoken?api-version=2.0&audience=x`
    const res = await fetch(url, { headers: { authorization: `Bearer ${github.oidcRequestToken}` } })
    expect(res.status).toBe(403)
  })
})
