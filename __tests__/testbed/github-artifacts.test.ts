import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { defaultLayout } from '../../testbed/config.js'
import { startGitHubServices, type FakeGitHub } from '../../testbed/github/index.js'

type ArtifactModule = typeof import('@actions/artifact')

const layout = defaultLayout()
const [owner, repo] = layout.github.repository.split('/')
const OTHER_RUN = '2002'
const savedEnv = { ...process.env }
let github: FakeGitHub
let artifact: ArtifactModule
let workspace: string

/** Makes process.env look like a job of that run; @actions/artifact reads it at call time. */
function useRun(runId?: string): void {
  Object.assign(process.env, github.runEnv(runId), { GITHUB_WORKSPACE: workspace })
}

/** Writes files under a fresh folder and returns the folder and the file paths. */
function writeFiles(files: Record<string, string>): { root: string; paths: string[] } {
  const root = mkdtempSync(join(workspace, 'src-'))
  const paths = Object.entries(files).map(([name, content]) => {
    const path = join(root, name)
    mkdirSync(join(path, '..'), { recursive: true })
    writeFileSync(path, content)
    return path
  })
  return { root, paths }
}

async function rest(path: string, token = github.runEnv().GITHUB_TOKEN): Promise<Response> {
  return fetch(`${github.url}${path}`, { headers: { authorization: `Bearer ${token}` }, redirect: 'manual' })
}

beforeAll(async () => {
  workspace = mkdtempSync(join(tmpdir(), 'kvb-artifacts-test-'))
  github = await startGitHubServices({ ...layout.github })
  useRun()
  // @actions/github reads GITHUB_API_URL when first imported: the environment must be set before.
  artifact = await import('@actions/artifact')
})

afterAll(async () => {
  process.env = savedEnv
  await github?.stop()
})

describe('fake GitHub artifact services with @actions/artifact', () => {
  let uploaded: { id?: number; size?: number; digest?: string }

  it('uploads an artifact of the current run and records its size and digest', async () => {
    useRun()
    const { root, paths } = writeFiles({
      'manifest.json': '{"items":1}',
      'blobs/secret-a.bin': 'A'.repeat(5000)
    })
    uploaded = await new artifact.DefaultArtifactClient().uploadArtifact('kv-backup', paths, root, {
      retentionDays: 7
    })
    expect(uploaded.id).toBeGreaterThan(2 ** 31)
    expect(uploaded.size).toBeGreaterThan(0)
    const [recorded] = github.artifacts()
    expect(recorded).toMatchObject({
      id: uploaded.id,
      name: 'kv-backup',
      runId: layout.github.runId,
      size: uploaded.size,
      digest: `sha256:${uploaded.digest}`
    })
  })

  it('refuses a second artifact of the same name in the same run', async () => {
    useRun()
    const { root, paths } = writeFiles({ 'x.txt': 'x' })
    await expect(
      new artifact.DefaultArtifactClient().uploadArtifact('kv-backup', paths, root)
    ).rejects.toThrow(/409.*an artifact with this name already exists on the workflow run/)
  })

  it('lists, gets and downloads it in the same run', async () => {
    useRun()
    const client = new artifact.DefaultArtifactClient()
    const { artifacts } = await client.listArtifacts()
    expect(artifacts).toEqual([
      expect.objectContaining({ id: uploaded.id, name: 'kv-backup', size: uploaded.size })
    ])
    expect(artifacts[0].digest).toBe(`sha256:${uploaded.digest}`)
    const { artifact: found } = await client.getArtifact('kv-backup')
    expect(found.id).toBe(uploaded.id)

    const path = join(workspace, 'download-same-run')
    const result = await client.downloadArtifact(found.id, { path, expectedHash: found.digest })
    expect(result.digestMismatch).toBe(false)
    expect(readFileSync(join(path, 'manifest.json'), 'utf8')).toBe('{"items":1}')
    expect(readFileSync(join(path, 'blobs/secret-a.bin'), 'utf8')).toBe('A'.repeat(5000))
  })

  it('lists and downloads an artifact of another run through the REST API', async () => {
    useRun(OTHER_RUN)
    const { root, paths } = writeFiles({ 'manifest.json': '{"run":2002}' })
    const other = await new artifact.DefaultArtifactClient().uploadArtifact('kv-backup', paths, root)

    useRun()
    const findBy = {
      token: github.runEnv().GITHUB_TOKEN,
      workflowRunId: Number(OTHER_RUN),
      repositoryOwner: owner,
      repositoryName: repo
    }
    const client = new artifact.DefaultArtifactClient()
    const { artifacts } = await client.listArtifacts({ findBy })
    expect(artifacts.map(a => a.id)).toEqual([other.id])
    const { artifact: found } = await client.getArtifact('kv-backup', { findBy })
    expect(found.digest).toBe(`sha256:${other.digest}`)
    const path = join(workspace, 'download-other-run')
    const result = await client.downloadArtifact(found.id, { path, findBy, expectedHash: found.digest })
    expect(result.digestMismatch).toBe(false)
    expect(readFileSync(join(path, 'manifest.json'), 'utf8')).toBe('{"run":2002}')
  })

  it('keeps the raw file name of an artifact uploaded without archive', async () => {
    useRun()
    const { root, paths } = writeFiles({ 'report.txt': 'plain' })
    const client = new artifact.DefaultArtifactClient()
    const { id } = await client.uploadArtifact('ignored', paths, root, { skipArchive: true })
    const path = join(workspace, 'download-raw')
    await client.downloadArtifact(id!, { path })
    expect(readFileSync(join(path, 'report.txt'), 'utf8')).toBe('plain')
  })
})

describe('fake GitHub REST artifact listing', () => {
  const base = `/repos/${layout.github.repository}/actions/artifacts`

  it('lists artifacts by name across runs, newest first, paginated like GitHub', async () => {
    const all = await rest(`${base}?name=kv-backup`)
    expect(all.status).toBe(200)
    const body = (await all.json()) as { total_count: number; artifacts: Array<Record<string, unknown>> }
    expect(body.total_count).toBe(2)
    expect(body.artifacts.map(a => (a.workflow_run as { id: number }).id)).toEqual([
      Number(OTHER_RUN),
      Number(layout.github.runId)
    ])
    expect(body.artifacts[0]).toMatchObject({
      name: 'kv-backup',
      expired: false,
      archive_download_url: `${github.url}${base}/${body.artifacts[0].id}/zip`,
      digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
    })

    const page = await rest(`${base}?name=kv-backup&per_page=1&page=1`)
    const pageBody = (await page.json()) as { total_count: number; artifacts: unknown[] }
    expect(pageBody.total_count).toBe(2)
    expect(pageBody.artifacts).toHaveLength(1)
    expect(page.headers.get('link')).toContain('rel="next"')
  })

  it('redirects a zip download to a signed blob URL and requires the token', async () => {
    const [first] = github.artifacts()
    const zip = await rest(`${base}/${first.id}/zip`)
    expect(zip.status).toBe(302)
    const blob = await fetch(zip.headers.get('location')!)
    expect(blob.status).toBe(200)
    expect(
      Buffer.from(await blob.arrayBuffer())
        .subarray(0, 2)
        .toString()
    ).toBe('PK')

    const anonymous = await fetch(`${github.url}${base}/${first.id}/zip`, { redirect: 'manual' })
    expect(anonymous.status).toBe(401)
    expect(((await anonymous.json()) as { message: string }).message).toBe('Requires authentication')
    expect((await rest(`${base}/${first.id}`, 'ghs_wrong')).status).toBe(401)
    expect((await rest(`/repos/octo-org/other-repo/actions/artifacts`)).status).toBe(404)
  })
})

describe('fake GitHub Twirp errors and deletes', () => {
  const twirp = (method: string, body: unknown, token?: string) =>
    fetch(`${github.url}/twirp/github.actions.results.api.v1.ArtifactService/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body)
    })

  it('answers Twirp JSON errors for a missing token, another run and an unknown method', async () => {
    const env = github.runEnv()
    const otherRun = github.runEnv(OTHER_RUN)
    const ids = (runtimeToken: string) => {
      const scp = JSON.parse(Buffer.from(runtimeToken.split('.')[1], 'base64url').toString()).scp as string
      const [, run, job] = scp
        .split(' ')
        .find(s => s.startsWith('Actions.Results:'))!
        .split(':')
      return { workflow_run_backend_id: run, workflow_job_run_backend_id: job }
    }
    const cases: Array<[Response, number, string]> = [
      [await twirp('ListArtifacts', ids(env.ACTIONS_RUNTIME_TOKEN)), 401, 'unauthenticated'],
      [
        await twirp('ListArtifacts', ids(otherRun.ACTIONS_RUNTIME_TOKEN), env.ACTIONS_RUNTIME_TOKEN),
        403,
        'permission_denied'
      ],
      [
        await twirp('NoSuchMethod', ids(env.ACTIONS_RUNTIME_TOKEN), env.ACTIONS_RUNTIME_TOKEN),
        404,
        'bad_route'
      ],
      [
        await twirp(
          'GetSignedArtifactURL',
          { ...ids(env.ACTIONS_RUNTIME_TOKEN), name: 'absent' },
          env.ACTIONS_RUNTIME_TOKEN
        ),
        404,
        'not_found'
      ]
    ]
    for (const [res, status, code] of cases) {
      expect(res.status).toBe(status)
      expect(await res.json()).toEqual({ code, msg: expect.any(String) })
    }
  })

  it('deletes an artifact of the current run and one of another run', async () => {
    useRun()
    const client = new artifact.DefaultArtifactClient()
    const before = github.artifacts().length
    await client.deleteArtifact('report.txt')
    const findBy = {
      token: github.runEnv().GITHUB_TOKEN,
      workflowRunId: Number(OTHER_RUN),
      repositoryOwner: owner,
      repositoryName: repo
    }
    await client.deleteArtifact('kv-backup', { findBy })
    expect(github.artifacts().length).toBe(before - 2)
    expect(github.artifacts().map(a => `${a.runId}/${a.name}`)).toEqual([`${layout.github.runId}/kv-backup`])
  })
})

describe('fake GitHub runs from forks and other branches', () => {
  const base = `/repos/${layout.github.repository}/actions/artifacts`
  const FORK_RUN = '3003'
  const BRANCH_RUN = '3004'
  const fork = { headRepository: 'evil-user/octo-repo', headBranch: 'patch-1', event: 'pull_request' }

  type Listing = { total_count: number; artifacts: Array<Record<string, unknown>> }
  type WorkflowRun = {
    id: number
    repository_id: number
    head_repository_id: number
    head_branch: string
    head_sha: string
  }
  const listing = async (query: string): Promise<{ res: Response; body: Listing }> => {
    const res = await rest(`${base}?${query}`)
    return { res, body: (await res.json()) as Listing }
  }

  /** Uploads one small artifact as a job of that run, through Twirp like any job. */
  async function uploadAs(runId: string, name: string, content: string): Promise<number> {
    useRun(runId)
    const { root, paths } = writeFiles({ 'manifest.json': content })
    const { id } = await new artifact.DefaultArtifactClient().uploadArtifact(name, paths, root)
    return id!
  }

  it('gives a pull request from a fork the environment GitHub gives it: no OIDC, a runtime token', () => {
    const env = github.runEnv(FORK_RUN, fork)
    expect(env).toMatchObject({
      GITHUB_REPOSITORY: layout.github.repository,
      GITHUB_EVENT_NAME: 'pull_request',
      GITHUB_HEAD_REF: 'patch-1',
      GITHUB_BASE_REF: 'main',
      GITHUB_REF: expect.stringMatching(/^refs\/pull\/\d+\/merge$/),
      ACTIONS_RUNTIME_TOKEN: expect.any(String)
    })
    expect(env).not.toHaveProperty('ACTIONS_ID_TOKEN_REQUEST_URL')
    expect(env).not.toHaveProperty('ACTIONS_ID_TOKEN_REQUEST_TOKEN')

    const branch = github.runEnv(BRANCH_RUN, { event: 'push', headBranch: 'release/next' })
    expect(branch).toMatchObject({
      GITHUB_EVENT_NAME: 'push',
      GITHUB_REF: 'refs/heads/release/next',
      GITHUB_REF_NAME: 'release/next',
      ACTIONS_ID_TOKEN_REQUEST_URL: expect.any(String)
    })
    expect(branch).not.toHaveProperty('GITHUB_HEAD_REF')
    expect(github.runEnv()).toMatchObject({
      GITHUB_REF: 'refs/heads/main',
      GITHUB_REPOSITORY_ID: expect.stringMatching(/^\d+$/)
    })
  })

  it("keeps a run's origin: the same options again are fine, other ones or a push from a fork throw", () => {
    expect(github.runEnv(FORK_RUN).GITHUB_HEAD_REF).toBe('patch-1')
    expect(github.runEnv(FORK_RUN, fork).GITHUB_HEAD_REF).toBe('patch-1')
    expect(() => github.runEnv(FORK_RUN, { headBranch: 'main' })).toThrow(/run 3003 already exists/)
    expect(() => github.runEnv('3005', { headRepository: 'evil-user/octo-repo', event: 'push' })).toThrow(
      /only a pull_request run can come from a fork/
    )
    expect(() => github.runEnv('3006', { headRepository: 'not a repository' })).toThrow(/owner\/name/)
  })

  it('lists artifacts of fork and branch runs with their workflow_run head repository and branch', async () => {
    const mainId = await uploadAs(layout.github.runId, 'kv-prod', '{"run":"main"}')
    const branchId = await uploadAs(BRANCH_RUN, 'kv-prod', '{"run":"branch"}')
    // The poisoning attempt: the fork's run uploads under the very name the backups use, and is newest.
    const forkId = await uploadAs(FORK_RUN, 'kv-prod', '{"run":"fork"}')

    const { res, body } = await listing('name=kv-prod')
    expect(res.status).toBe(200)
    expect(body.total_count).toBe(3)
    expect(body.artifacts.map(a => a.id)).toEqual([forkId, branchId, mainId])
    const runs = body.artifacts.map(a => a.workflow_run as WorkflowRun)
    const repositoryId = Number(github.runEnv().GITHUB_REPOSITORY_ID)
    for (const run of runs) {
      expect(Object.keys(run).sort()).toEqual([
        'head_branch',
        'head_repository_id',
        'head_sha',
        'id',
        'repository_id'
      ])
      expect(run.repository_id).toBe(repositoryId)
      expect(run.head_sha).toMatch(/^[0-9a-f]{40}$/)
    }
    expect(runs.map(r => [r.id, r.head_branch])).toEqual([
      [Number(FORK_RUN), 'patch-1'],
      [Number(BRANCH_RUN), 'release/next'],
      [Number(layout.github.runId), 'main']
    ])
    expect(runs[0].head_repository_id).not.toBe(repositoryId)
    expect(runs[0].head_repository_id).toBeGreaterThan(0)
    expect(runs[1].head_repository_id).toBe(repositoryId)
    expect(runs[2].head_repository_id).toBe(repositoryId)

    const perRun = await rest(`/repos/${layout.github.repository}/actions/runs/${FORK_RUN}/artifacts`)
    const perRunBody = (await perRun.json()) as Listing
    expect(perRunBody.artifacts.map(a => [a.id, (a.workflow_run as WorkflowRun).head_branch])).toEqual([
      [forkId, 'patch-1']
    ])
  })

  it('shapes each artifact like api.github.com and pages with per_page, page and Link', async () => {
    const { body } = await listing('name=kv-prod')
    expect(Object.keys(body.artifacts[0]).sort()).toEqual(
      [
        'archive_download_url',
        'created_at',
        'digest',
        'expired',
        'expires_at',
        'id',
        'name',
        'node_id',
        'size_in_bytes',
        'updated_at',
        'url',
        'workflow_run'
      ].sort()
    )
    expect(body.artifacts[0]).toMatchObject({
      id: expect.any(Number),
      node_id: expect.any(String),
      size_in_bytes: expect.any(Number),
      url: `${github.url}${base}/${body.artifacts[0].id}`,
      expires_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
    })

    const first = await listing('name=kv-prod&per_page=2')
    const second = await listing('name=kv-prod&per_page=2&page=2')
    expect(first.body.total_count).toBe(3)
    expect(second.body.total_count).toBe(3)
    expect([...first.body.artifacts, ...second.body.artifacts].map(a => a.id)).toEqual(
      body.artifacts.map(a => a.id)
    )
    const links = (res: Response): string[] =>
      [...(res.headers.get('link') ?? '').matchAll(/rel="(\w+)"/g)].map(m => m[1])
    expect(links(first.res)).toEqual(['next', 'last'])
    expect(first.res.headers.get('link')).toContain('page=2')
    expect(links(second.res)).toEqual(['prev', 'first'])
    const past = await listing('name=kv-prod&per_page=2&page=3')
    expect(past.body.artifacts).toEqual([])
  })

  it('serves GET /repos/{owner}/{repo}: the id of the listing, the default branch, and forks as forks', async () => {
    const { body } = await listing('name=kv-prod')
    const [forkRun, , mainRun] = body.artifacts.map(a => a.workflow_run as WorkflowRun)

    const res = await rest(`/repos/${layout.github.repository}`)
    expect(res.status).toBe(200)
    const repository = (await res.json()) as Record<string, unknown>
    expect(repository).toMatchObject({
      id: mainRun.repository_id,
      name: repo,
      full_name: layout.github.repository,
      private: true,
      fork: false,
      default_branch: 'main',
      owner: { login: owner, id: expect.any(Number), type: 'Organization' },
      html_url: `http://github.localhost:${new URL(github.url).port}/${layout.github.repository}`,
      url: `${github.url}/repos/${layout.github.repository}`
    })
    // Owner and name are case-insensitive, as on GitHub.
    expect((await rest(`/repos/${layout.github.repository.toUpperCase()}`)).status).toBe(200)

    const forkRes = await rest('/repos/evil-user/octo-repo')
    const forkRepository = (await forkRes.json()) as Record<string, unknown>
    expect(forkRepository).toMatchObject({
      id: forkRun.head_repository_id,
      full_name: 'evil-user/octo-repo',
      fork: true,
      owner: { login: 'evil-user', type: 'User' },
      parent: { id: mainRun.repository_id, full_name: layout.github.repository }
    })

    expect((await rest('/repos/octo-org/no-such-repo')).status).toBe(404)
    expect((await rest(`/repos/${layout.github.repository}`, 'ghs_wrong')).status).toBe(401)
    const anonymous = await fetch(`${github.url}/repos/${layout.github.repository}`)
    expect(anonymous.status).toBe(401)
  })
})
