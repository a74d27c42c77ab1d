/**
 * What the fake GitHub remembers: workflow runs (with the backend ids the Results service keys on) and
 * artifacts. Plain data, shared by the Twirp service, the REST API and the OIDC issuer.
 */
import { createHash, randomUUID } from 'node:crypto'

export interface RunRecord {
  /** GITHUB_RUN_ID: the number users and the REST API see. */
  runId: string
  /** The Results service's ids, carried in ACTIONS_RUNTIME_TOKEN's `scp` claim. */
  runBackendId: string
  jobBackendId: string
  attempt: number
  headSha: string
}

export interface ArtifactRecord {
  id: number
  name: string
  runId: string
  runBackendId: string
  jobBackendId: string
  blobName: string
  /** The file name a download is saved as (`<name>.zip`, or the raw file's name). */
  fileName: string
  mimeType: string
  size: number
  digest: string
  createdAt: Date
  updatedAt: Date
  expiresAt: Date
  finalized: boolean
}

/** Retention when CreateArtifact names none: the repository default of 90 days. */
const DEFAULT_RETENTION_MS = 90 * 86_400_000

export class GitHubState {
  private readonly runs = new Map<string, RunRecord>()
  readonly artifactList: ArtifactRecord[] = []
  // Real artifact ids passed 2^31 long ago; starting above it catches int32 handling bugs.
  private nextId = 3_000_000_001

  constructor(readonly repository: string) {}

  /** The run with that GITHUB_RUN_ID, created on first use. */
  run(runId: string): RunRecord {
    let run = this.runs.get(runId)
    if (!run) {
      const headSha = createHash('sha1').update(`${this.repository}@${runId}`).digest('hex')
      run = { runId, runBackendId: randomUUID(), jobBackendId: randomUUID(), attempt: 1, headSha }
      this.runs.set(runId, run)
    }
    return run
  }

  /** The run with that GITHUB_RUN_ID if it was ever used. */
  knownRun(runId: string): RunRecord | undefined {
    return this.runs.get(runId)
  }

  runByBackendId(runBackendId: string): RunRecord | undefined {
    return [...this.runs.values()].find(r => r.runBackendId === runBackendId)
  }

  /** Creates (or, while not finalized, replaces) an artifact under upload. */
  createArtifact(
    run: RunRecord,
    jobBackendId: string,
    name: string,
    mimeType: string,
    expiresAt?: Date
  ): ArtifactRecord {
    const pending = this.find(run.runBackendId, name, true)
    if (pending) this.artifactList.splice(this.artifactList.indexOf(pending), 1)
    const id = this.nextId++
    const now = new Date()
    const fileName = mimeType === 'application/zip' ? `${name}.zip` : name
    const record: ArtifactRecord = {
      id,
      name,
      runId: run.runId,
      runBackendId: run.runBackendId,
      jobBackendId,
      blobName: `${run.runBackendId}/${id}/${fileName}`,
      fileName,
      mimeType,
      size: 0,
      digest: '',
      createdAt: now,
      updatedAt: now,
      expiresAt: expiresAt ?? new Date(now.getTime() + DEFAULT_RETENTION_MS),
      finalized: false
    }
    this.artifactList.push(record)
    return record
  }

  /** The run's artifact of that name (finalized ones unless `pending`). */
  find(runBackendId: string, name: string, pending = false): ArtifactRecord | undefined {
    return this.artifactList.find(
      a => a.runBackendId === runBackendId && a.name === name && a.finalized !== pending
    )
  }

  finalized(): ArtifactRecord[] {
    return this.artifactList.filter(a => a.finalized)
  }

  remove(record: ArtifactRecord): void {
    const index = this.artifactList.indexOf(record)
    if (index >= 0) this.artifactList.splice(index, 1)
  }
}
