import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { createManagementPlane } from './adapters/arm.js'
import { signIn, type AuthEnvironment, type SignedIn } from './adapters/auth.js'
import { VaultLocator } from './adapters/locator.js'
import { checkAccess, createVaultClients, type VaultClients } from './adapters/keyvault.js'
import type { VaultCapability } from './adapters/policies.js'
import type { VaultTarget } from './core/cloud.js'
import { errorMessage } from './core/errors.js'
import {
  explain,
  explainManagement,
  explainNetwork,
  explainSignIn,
  explainVaultRefusal,
  type Scene
} from './core/explain.js'
import type { FleetVault } from './core/fleet.js'
import { identityKey, type Identity } from './core/identity.js'
import { RequestPace } from './core/pace.js'
import { describeRetry, RateController } from './core/rate.js'
import type { Clock, ItemType, Logger, Sleep } from './core/types.js'
import { TOOL_NAME, TOOL_VERSION } from './version.js'

/**
 * One lifecycle for every operation, in the action and in the CLI alike:
 *   settings -> sign in and one cheap call per vault (a set-up mistake ends the step with one error)
 *   -> the operation's plan and work -> outputs, job summary and exit status, written on every exit
 *   path, whatever failed, and the run's temporary files removed.
 */

/** Where an operation runs: the action on a runner, or the CLI in a terminal. */
export interface Host {
  log: Logger
  auth: AuthEnvironment
  clock: Clock
  sleep: Sleep
  /** The folder for this run's temporary files (RUNNER_TEMP on a runner). */
  tempRoot: string
  /** Sets the step's outputs (the CLI prints them). */
  setOutputs(outputs: Record<string, string>): void
  /** Writes the job summary, replacing what this step wrote before; never throws. */
  writeSummary(markdown: string): Promise<void>
  /** Marks the step failed with this one error. */
  fail(message: string): void
}

/** What every operation's report carries. */
export interface Report {
  /** The failure that stopped the run, as the user reads it. */
  fatal?: string
}

/** An operation: its report, its work, and how the report becomes outputs, a summary and failures. */
export interface Operation<S extends { failOnError: boolean }, R extends Report> {
  readonly name: string
  newReport(settings: S): R
  /** Does the work, filling `report` as it goes (so a failure still reports what was done). */
  run(run: Run, settings: S, report: R): Promise<void>
  outputs(report: R): Record<string, string>
  summary(report: R): string
  /** Failed items in one message, or undefined when none failed. */
  failures(report: R): string | undefined
}

/** Thrown for a mistake in the set-up (or a refusal before any write): the step ends with this one message. */
export class StepError extends Error {}

/** One vault as this run reaches it: clients, pace and rate control, and its explainer. */
export interface VaultConnection {
  vault: VaultTarget
  identity: Identity
  clients: VaultClients
  rate: RateController
  pace: RequestPace
  /** The region the vault answers from (from its first call on), if it says. */
  region(): string | undefined
  /** Explains a failure of a call to this vault. */
  explain(error: unknown, scene?: Pick<Scene, 'type' | 'operation'>): string
}

export interface ConnectOptions {
  /** What the operation may send to this vault; everything else is refused locally. */
  allow: readonly VaultCapability[]
  /** The type listed by the first call (needs only the list permission of that type). */
  firstType: ItemType
  /** Starting parallelism. */
  concurrency: number
  /** The input names of this side, for explanations (a copy's target has `target-*`). */
  inputs?: Scene['inputs']
}

/** The shared context of one run: one credential per identity, one pace and rate controller per vault. */
export class Run {
  readonly log: Logger
  readonly clock: Clock
  readonly sleep: Sleep
  private readonly identities = new Map<string, SignedIn>()
  private readonly locators = new Map<string, VaultLocator>()
  private readonly connections = new Map<string, VaultConnection>()
  private readonly temps: string[] = []

  constructor(
    private readonly host: Host,
    /** Writes the summary as the report stands now (e.g. a plan before the first write). */
    readonly publish: () => Promise<void>
  ) {
    this.log = host.log
    this.clock = host.clock
    this.sleep = host.sleep
  }

  /** Signs in as `identity` once per run; equal identities share one credential. */
  signIn(identity: Identity): SignedIn {
    const key = identityKey(identity)
    let signedIn = this.identities.get(key)
    if (!signedIn) {
      signedIn = signIn(identity, this.host.auth, this.clock)
      this.identities.set(key, signedIn)
    }
    return signedIn
  }

  /**
   * Connects to a vault: signs in, builds its clients, and makes the first call (one item of one
   * listing). Any failure there is a set-up mistake (sign-in, name, cloud, network, firewall,
   * permission) and throws a StepError with the one message that names the cause and the fix.
   */
  async connect(vault: VaultTarget, identity: Identity, options: ConnectOptions): Promise<VaultConnection> {
    const key = `${vault.url}|${identityKey(identity)}|${[...options.allow].sort().join(',')}`
    const existing = this.connections.get(key)
    if (existing) return existing
    let signedIn: SignedIn
    try {
      signedIn = this.signIn(identity)
    } catch (error) {
      throw new StepError(errorMessage(error))
    }
    const pace = new RequestPace(this.clock, this.sleep)
    const rate = new RateController({
      concurrency: options.concurrency,
      clock: this.clock,
      sleep: this.sleep,
      onRetry: e => this.log.debug(`${vault.name}: ${describeRetry(e)}, pace ${pace.perWindow} per 10 s`)
    })
    let region: string | undefined
    const clients = createVaultClients(vault, signedIn.credential, {
      userAgent: `${TOOL_NAME}/${TOOL_VERSION}`,
      pace,
      allow: options.allow,
      onRegion: value => (region = value)
    })
    const scene = (extra: Pick<Scene, 'type' | 'operation'> = {}): Scene => ({
      vault,
      identity,
      claims: signedIn.claims(),
      ...(options.inputs && { inputs: options.inputs }),
      ...(process.env.HTTPS_PROXY && { proxy: process.env.HTTPS_PROXY }),
      ...extra
    })
    const connection: VaultConnection = {
      vault,
      identity,
      clients,
      rate,
      pace,
      region: () => region,
      explain: (error, extra) => explain(error, scene(extra))
    }
    try {
      await rate.run(() => checkAccess(clients, options.firstType))
    } catch (error) {
      throw new StepError(explain(error, scene({ type: options.firstType, operation: 'list' })))
    }
    this.connections.set(key, connection)
    return connection
  }

  /**
   * The vault's resource in Resource Manager (subscription, resource group, location, tenant), when
   * the identity may read it (Reader, or `Microsoft.KeyVault/vaults/read`); otherwise why not, in
   * words for one log line. Never throws: without that permission the run goes on as before.
   */
  async vaultResource(
    vault: VaultTarget,
    identity: Identity
  ): Promise<{ resource: FleetVault } | { unreadable: string }> {
    const key = identityKey(identity)
    let locator = this.locators.get(key)
    if (!locator) {
      const plane = createManagementPlane(identity.cloud, this.signIn(identity).credential, {
        userAgent: `${TOOL_NAME}/${TOOL_VERSION}`
      })
      locator = new VaultLocator(
        plane,
        new RateController({ concurrency: 1, clock: this.clock, sleep: this.sleep })
      )
      this.locators.set(key, locator)
    }
    try {
      const resource = await locator.locate(vault.url)
      return resource
        ? { resource }
        : {
            unreadable: `no subscription this identity may read holds vault '${vault.name}' (Reader on it, or Microsoft.KeyVault/vaults/read, would let it)`
          }
    } catch (error) {
      return { unreadable: explainManagement(error, { identity }) }
    }
  }

  /**
   * Explains a failure that stopped the run: sign-in, network and vault refusals get their
   * explanation; anything else (our own checks) keeps its whole message.
   */
  explainFatal(error: unknown): string {
    if (error instanceof StepError) return error.message
    const scene: Scene = {}
    return (
      explainSignIn(error, scene) ??
      explainNetwork(error, scene) ??
      explainVaultRefusal(error, scene) ??
      errorMessage(error)
    )
  }

  /**
   * Registers a value as a secret of the log before anything can print it: the whole value and each
   * of its lines (the runner masks line by line). Copy calls it on every value it reads.
   */
  mask(value: string): void {
    if (!value) return
    this.host.auth.setSecret(value)
    for (const line of value.split(/\r?\n/))
      if (line.trim() && line !== value) this.host.auth.setSecret(line.trim())
  }

  /** One line on throttling and retries of a vault, when there were any. */
  logRateControl(connection: VaultConnection): void {
    const { throttled, transientRetries } = connection.rate.stats
    if (throttled + transientRetries === 0) return
    this.log.info(
      `Rate control on ${connection.vault.name}: ${connection.pace.stats.requests} requests, ${throttled} throttled, ` +
        `${transientRetries} transient retries; pace now ${connection.pace.perWindow} requests per 10 s`
    )
  }

  /** A fresh folder for temporary files, removed when the run ends (success or failure). */
  async tempDir(prefix: string): Promise<string> {
    await mkdir(this.host.tempRoot, { recursive: true })
    const dir = await mkdtemp(join(this.host.tempRoot, `${prefix}-`))
    this.temps.push(dir)
    return dir
  }

  /** Removes the run's temporary folders. */
  async close(): Promise<void> {
    for (const dir of this.temps.splice(0)) {
      await rm(dir, { recursive: true, force: true }).catch(error =>
        this.log.warning(`Could not remove the temporary folder ${dir}: ${errorMessage(error)}`)
      )
    }
  }
}

/**
 * Runs an operation in a host: the report is filled by the operation; whatever happens, the
 * outputs and the job summary are written from it, temporary files are removed, and the step
 * fails with one error for a fatal failure, or with the failed items (unless `fail-on-error` is
 * false, which turns them into a warning).
 */
export async function runOperation<S extends { failOnError: boolean }, R extends Report>(
  host: Host,
  operation: Operation<S, R>,
  settings: S
): Promise<R> {
  const report = operation.newReport(settings)
  const run = new Run(host, () => host.writeSummary(operation.summary(report)))
  try {
    await operation.run(run, settings, report)
    const failures = operation.failures(report)
    if (failures && settings.failOnError) host.fail(failures)
    else if (failures) host.log.warning(`${failures}\n(fail-on-error is false, so the step succeeds)`)
  } catch (error) {
    report.fatal = run.explainFatal(error)
    host.fail(report.fatal)
  } finally {
    await run.close()
    host.setOutputs(operation.outputs(report))
    await host.writeSummary(operation.summary(report))
  }
  return report
}
