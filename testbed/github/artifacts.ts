/**
 * The Actions Results artifact service as @actions/artifact 6.x calls it: Twirp JSON over
 * `POST /twirp/github.actions.results.api.v1.ArtifactService/<Method>`, snake_case fields, int64 as
 * strings, errors as Twirp JSON `{code, msg}`. The runtime token's `scp` claim names the run.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createSigningKey, signJwt, verifyJwt } from '../jwt.js'
import { bearerToken, nowSeconds, readBody, sendJson } from '../http.js'
import type { BlobStore } from './azurite.js'
import type { ArtifactRecord, GitHubState, RunRecord } from './state.js'

const PREFIX = '/twirp/github.actions.results.api.v1.ArtifactService/'

type Json = Record<string, unknown>

const TWIRP_STATUS: Record<string, number> = {
  malformed: 400,
  invalid_argument: 400,
  unauthenticated: 401,
  permission_denied: 403,
  bad_route: 404,
  not_found: 404,
  already_exists: 409,
  failed_precondition: 412,
  internal: 500
}

class TwirpError extends Error {
  constructor(
    readonly code: keyof typeof TWIRP_STATUS,
    message: string
  ) {
    super(message)
  }
}

interface Caller {
  run: RunRecord
  jobBackendId: string
}

export class ArtifactService {
  private readonly runtimeKey = createSigningKey()

  constructor(
    private readonly state: GitHubState,
    private readonly blobs: BlobStore
  ) {}

  /** ACTIONS_RUNTIME_TOKEN for a run: a JWT whose `scp` carries `Actions.Results:<run>:<job>`. */
  runtimeToken(run: RunRecord): string {
    const now = nowSeconds()
    return signJwt(
      {
        scp: `Actions.ExampleScope Actions.Results:${run.runBackendId}:${run.jobBackendId}`,
        iss: 'vstoken.actions.githubusercontent.com',
        aud: 'vso:' + run.runBackendId,
        nbf: now - 60,
        iat: now,
        exp: now + 6 * 3600
      },
      this.runtimeKey
    )
  }

  /** Handles a Twirp call; false when the path is not the artifact service's. */
  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    if (!url.pathname.startsWith(PREFIX)) return false
    try {
      if (req.method !== 'POST')
        throw new TwirpError('bad_route', `unsupported method ${req.method} (only POST is allowed)`)
      const caller = this.authenticate(req)
      let body: Json
      try {
        body = JSON.parse((await readBody(req)) || '{}') as Json
      } catch {
        throw new TwirpError('malformed', 'the json request could not be decoded')
      }
      if (body.workflow_run_backend_id !== caller.run.runBackendId) {
        throw new TwirpError(
          'permission_denied',
          'the runtime token does not grant access to this workflow run'
        )
      }
      const method = url.pathname.slice(PREFIX.length)
      sendJson(res, 200, await this.call(method, body, caller))
    } catch (error) {
      const e = error instanceof TwirpError ? error : new TwirpError('internal', String(error))
      sendJson(res, TWIRP_STATUS[e.code], { code: e.code, msg: e.message })
    }
    return true
  }

  private authenticate(req: IncomingMessage): Caller {
    const token = bearerToken(req)
    if (!token) throw new TwirpError('unauthenticated', 'missing bearer token')
    let scp: unknown
    try {
      scp = verifyJwt(token, [this.runtimeKey.publicJwk]).scp
    } catch (error) {
      throw new TwirpError('unauthenticated', `invalid runtime token: ${(error as Error).message}`)
    }
    const scope = String(scp ?? '')
      .split(' ')
      .map(s => s.split(':'))
      .find(parts => parts[0] === 'Actions.Results' && parts.length === 3)
    const run = scope && this.state.runByBackendId(scope[1])
    if (!scope || !run)
      throw new TwirpError('unauthenticated', 'the runtime token names no known workflow run')
    return { run, jobBackendId: scope[2] }
  }

  private async call(method: string, body: Json, caller: Caller): Promise<Json> {
    const name = typeof body.name === 'string' ? body.name : ''
    switch (method) {
      case 'CreateArtifact':
        return this.create(body, name, caller)
      case 'FinalizeArtifact':
        return this.finalize(body, name, caller)
      case 'ListArtifacts':
        return this.list(body, caller)
      case 'GetSignedArtifactURL': {
        const artifact = this.existing(caller, name)
        return { signed_url: this.blobs.downloadUrl(artifact.blobName, artifact.fileName) }
      }
      case 'DeleteArtifact': {
        const artifact = this.existing(caller, name)
        await this.blobs.deleteBlob(artifact.blobName)
        this.state.remove(artifact)
        return { ok: true, artifact_id: String(artifact.id) }
      }
      default:
        throw new TwirpError('bad_route', `no handler for path "${PREFIX}${method}"`)
    }
  }

  private create(body: Json, name: string, caller: Caller): Json {
    if (!name) throw new TwirpError('invalid_argument', 'name is required')
    if (this.state.find(caller.run.runBackendId, name)) {
      throw new TwirpError('already_exists', 'an artifact with this name already exists on the workflow run')
    }
    const expiresAt = typeof body.expires_at === 'string' ? new Date(body.expires_at) : undefined
    const mimeType = typeof body.mime_type === 'string' ? body.mime_type : 'application/zip'
    const jobBackendId = String(body.workflow_job_run_backend_id ?? caller.jobBackendId)
    const artifact = this.state.createArtifact(caller.run, jobBackendId, name, mimeType, expiresAt)
    return { ok: true, signed_upload_url: this.blobs.uploadUrl(artifact.blobName) }
  }

  private async finalize(body: Json, name: string, caller: Caller): Promise<Json> {
    const artifact = this.state.find(caller.run.runBackendId, name, true)
    if (!artifact) throw new TwirpError('not_found', `artifact ${name} not found or already finalized`)
    const blobSize = await this.blobs.blobSize(artifact.blobName)
    if (blobSize === undefined)
      throw new TwirpError('failed_precondition', 'no content was uploaded for this artifact')
    artifact.size = Number(body.size ?? blobSize)
    artifact.digest = typeof body.hash === 'string' ? body.hash : ''
    artifact.finalized = true
    artifact.updatedAt = new Date()
    return { ok: true, artifact_id: String(artifact.id) }
  }

  private list(body: Json, caller: Caller): Json {
    const nameFilter = typeof body.name_filter === 'string' ? body.name_filter : undefined
    const idFilter = body.id_filter !== undefined ? String(body.id_filter) : undefined
    const artifacts = this.state
      .finalized()
      .filter(a => a.runBackendId === caller.run.runBackendId)
      .filter(a => nameFilter === undefined || a.name === nameFilter)
      .filter(a => idFilter === undefined || String(a.id) === idFilter)
    return { artifacts: artifacts.map(toMonolithArtifact) }
  }

  private existing(caller: Caller, name: string): ArtifactRecord {
    const artifact = this.state.find(caller.run.runBackendId, name)
    if (!artifact) throw new TwirpError('not_found', `artifact ${name} not found`)
    return artifact
  }
}

function toMonolithArtifact(a: ArtifactRecord): Json {
  return {
    workflow_run_backend_id: a.runBackendId,
    workflow_job_run_backend_id: a.jobBackendId,
    database_id: String(a.id),
    name: a.name,
    size: String(a.size),
    created_at: a.createdAt.toISOString(),
    ...(a.digest ? { digest: a.digest } : {})
  }
}
