import { mkdir, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { errorMessage } from '../core/errors.js'
import type { Clock, Logger } from '../core/types.js'

/**
 * The plan file behind a `plan-path` output: written before the first write, then rewritten as
 * outcomes arrive (at most once a second), so a killed run still leaves the plan and what it did.
 */
export class PlanFile {
  private last = Number.NEGATIVE_INFINITY
  private chain: Promise<void> = Promise.resolve()

  constructor(
    readonly path: string,
    private readonly document: () => unknown,
    private readonly clock: Clock,
    private readonly log: Logger
  ) {}

  /** Writes the plan as it stands, after any write in progress. */
  write(): Promise<void> {
    this.last = this.clock.now()
    this.chain = this.chain.then(() => this.save())
    return this.chain
  }

  /** Writes again if a second has passed since the last write. */
  soon(): void {
    if (this.clock.now() - this.last >= 1000) void this.write()
  }

  private async save(): Promise<void> {
    try {
      await mkdir(dirname(this.path), { recursive: true })
      await writeFile(this.path, `${JSON.stringify(this.document(), null, 2)}\n`)
    } catch (error) {
      this.log.warning(`Could not write the plan file: ${errorMessage(error)}`)
    }
  }
}
