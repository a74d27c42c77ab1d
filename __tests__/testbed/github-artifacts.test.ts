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
