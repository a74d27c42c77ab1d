/**
 * What the fake GitHub remembers: repositories (the base one and the forks runs come from), workflow
 * runs (with the backend ids the Results service keys on, the event, head branch and head repository)
 * and artifacts. Plain data, shared by the Twirp service, the REST API and the OIDC issuer.
 */
import { createHash, randomUUID } from 'node:crypto'

/** The base repository's default branch, as `GET /repos/{owner}/{repo}` reports it. */
export const DEFAULT_BRANCH = 'main'
/** The base repository's id and its owner's (the same numbers the OIDC claims carry). */
export const REPOSITORY_ID = 123456789
export const REPOSITORY_OWNER_ID = 1342004

/** How a run came about: what `runEnv(runId, options)` accepts when it first creates the run. */
export interface RunOptions {
  /** GITHUB_EVENT_NAME. Default `pull_request` for a run from a fork, else `workflow_dispatch`. */
  event?: string
  /** The branch the run is for (a pull request's head branch): `workflow_run.head_branch`. Default `main`. */
  headBranch?: string
  /**
   * `owner/name` of the repository the head commit comes from. Another repository than the base one
   * makes a pull_request run from a fork: its `workflow_run.head_repository_id` is the fork's id.
   */
  headRepository?: string
}

export interface RunRecord {
  /** GITHUB_RUN_ID: the number users and the REST API see. */
  runId: string
  /** The Results service's ids, carried in ACTIONS_RUNTIME_TOKEN's `scp` claim. */
  runBackendId: string
  jobBackendId: string
  attempt: number
  headSha: string
  event: string
  headBranch: string
  /** `owner/name`; the base repository unless the run is a pull request from a fork. */
  headRepository: string
  /** The pull request's number, for pull_request runs. */
  pullRequest?: number
}

export interface RepositoryRecord {
  id: number
  fullName: string
  ownerId: number
  /** True for a fork of the base repository (the head repository of a pull request from a fork). */
  fork: boolean
  createdAt: Date
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
  private readonly repositories = new Map<string, RepositoryRecord>()
  readonly artifactList: ArtifactRecord[] = []
  // Real artifact ids passed 2^31 long ago; starting above it catches int32 handling bugs.
  private nextId = 3_000_000_001
  private nextForkId = 700_000_001
  private nextPullRequest = 1

  constructor(readonly repository: string) {
    this.repositories.set(repository.toLowerCase(), {
      id: REPOSITORY_ID,
      fullName: repository,
      ownerId: REPOSITORY_OWNER_ID,
      fork: false,
      createdAt: new Date('2024-01-15T09:30:00Z')
    })
  }

  /** The base repository's record. */
  get base(): RepositoryRecord {
    return this.repositories.get(this.repository.toLowerCase())!
  }

  /** A repository the fake knows (the base one, or a fork a run came from), by `owner/name`, any case. */
  knownRepository(fullName: string): RepositoryRecord | undefined {
    return this.repositories.get(fullName.toLowerCase())
  }

  /**
   * The run with that GITHUB_RUN_ID, created on first use with `options`. Options given again for an
   * existing run must match how it was created: a run's origin never changes.
   */
  run(runId: string, options?: RunOptions): RunRecord {
    const existing = this.runs.get(runId)
    if (existing) {
      if (options) this.checkSameOrigin(existing, options)
      return existing
    }
    const headRepository = this.repositoryOf(options?.headRepository)
    const fromFork = headRepository.fork
    const event = options?.event ?? (fromFork ? 'pull_request' : 'workflow_dispatch')
    if (fromFork && event !== 'pull_request')
      throw new Error(
        `run ${runId}: only a pull_request run can come from a fork (${headRepository.fullName})`
      )
    const headSha = createHash('sha1').update(`${headRepository.fullName}@${runId}`).digest('hex')
    const run: RunRecord = {
      runId,
      runBackendId: randomUUID(),
      jobBackendId: randomUUID(),
      attempt: 1,
      headSha,
      event,
      headBranch: options?.headBranch ?? DEFAULT_BRANCH,
      headRepository: headRepository.fullName,
      ...(event === 'pull_request' ? { pullRequest: this.nextPullRequest++ } : {})
    }
    this.runs.set(runId, run)
    return run
  }

  /** The repository a run's head comes from; another name than the base one registers a fork. */
  private repositoryOf(fullName: string | undefined): RepositoryRecord {
    if (!fullName) return this.base
    if (!/^[\w.-]+\/[\w.-]+$/.test(fullName))
      throw new Error(`headRepository must be owner/name: ${fullName}`)
    let record = this.knownRepository(fullName)
    if (!record) {
      const id = this.nextForkId++
      record = { id, fullName, ownerId: id + 50_000_000, fork: true, createdAt: new Date() }
      this.repositories.set(fullName.toLowerCase(), record)
    }
    return record
  }

  private checkSameOrigin(run: RunRecord, options: RunOptions): void {
    const differs =
      (options.event !== undefined && options.event !== run.event) ||
      (options.headBranch !== undefined && options.headBranch !== run.headBranch) ||
      (options.headRepository !== undefined &&
        options.headRepository.toLowerCase() !== run.headRepository.toLowerCase())
    if (differs) {
      throw new Error(
        `run ${run.runId} already exists (${run.event} on ${run.headRepository}:${run.headBranch}); use another run id`
      )
    }
  }

  /** The repository id of a run's head repository: `workflow_run.head_repository_id`. */
  headRepositoryId(run: RunRecord): number {
    return this.knownRepository(run.headRepository)!.id
  }

  /** True when the run is a pull request whose head is a fork (no OIDC, read-only token on GitHub). */
  fromFork(run: RunRecord): boolean {
    return this.knownRepository(run.headRepository)!.fork
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
