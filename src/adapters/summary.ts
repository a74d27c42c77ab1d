import * as core from '@actions/core'
import { errorMessage } from '../core/errors.js'

/**
 * Writes the job summary, replacing what this step wrote before (a restore writes its plan before
 * any write, then the outcomes at the end). Never throws: the summary must not mask the real error.
 */
export async function writeJobSummary(markdown: string): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return
  try {
    await core.summary.emptyBuffer().addRaw(markdown, true).write({ overwrite: true })
  } catch (error) {
    core.warning(`Could not write the job summary: ${errorMessage(error)}`)
  }
}
