import * as core from '@actions/core'

/** The log the jobs write to: the runner's log. */
export const stepLog = { info: core.info, warning: (m: string) => core.warning(m), debug: core.debug }

/** Fails the step when items failed, unless `fail-on-error: false`, which turns it into a warning. */
export function concludeStep(failures: string | undefined, failOnError: boolean): void {
  if (failures && failOnError) core.setFailed(failures)
  else if (failures) core.warning(`${failures}\n(fail-on-error is false, so the step succeeds)`)
}
