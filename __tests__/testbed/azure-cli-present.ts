/**
 * Whether the Azure CLI is on the PATH, found without running anything. Tests that need `az` run
 * when it is there and otherwise report themselves skipped, with the reason and how to install it.
 */
import { accessSync, constants, statSync } from 'node:fs'
import { delimiter, join } from 'node:path'

function findOnPath(command: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter).filter(Boolean)) {
    const candidate = join(dir, command)
    try {
      accessSync(candidate, constants.X_OK)
      if (statSync(candidate).isFile()) return candidate
    } catch {
      // not in this folder
    }
  }
  return undefined
}

export const azPath = findOnPath('az')

export const AZ_SKIP_REASON =
  'the Azure CLI (az) is not on the PATH. Install it to run these tests: `apt-get install azure-cli` ' +
  '(Debian/Ubuntu; .ci/run does this) or https://learn.microsoft.com/cli/azure/install-azure-cli'

/** A test title that says it was skipped and why when `az` is absent (and warns once per file). */
export function withAz(file: string, title: string): string {
  if (azPath) return title
  console.warn(`${file}: '${title}' skipped: ${AZ_SKIP_REASON}`)
  return `${title} (skipped: ${AZ_SKIP_REASON})`
}
