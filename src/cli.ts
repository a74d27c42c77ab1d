#!/usr/bin/env node
import { tmpdir } from 'node:os'
import { routeSdkLog } from './adapters/sdk-log.js'
import { errorMessage } from './core/errors.js'
import { realSleep, systemClock } from './core/types.js'
import type { Host } from './lifecycle.js'
import { BACKUP_USAGE, backupCommand } from './operations/backup/cli.js'
import { COPY_USAGE, copyCommand } from './operations/copy/cli.js'
import { DISCOVER_USAGE, discoverCommand } from './operations/discover/cli.js'
import { RESTORE_USAGE, restoreCommand } from './operations/restore/cli.js'

type Command = (args: string[], host: Host & { failed: boolean }) => Promise<number>
const COMMANDS: Record<string, { usage: string; run: Command }> = {
  backup: { usage: BACKUP_USAGE, run: backupCommand },
  restore: { usage: RESTORE_USAGE, run: restoreCommand },
  copy: { usage: COPY_USAGE, run: copyCommand },
  discover: { usage: DISCOVER_USAGE, run: discoverCommand }
}

/**
 * A terminal as the lifecycle's host: the console, DefaultAzureCredential, no job summary. With
 * `--json` the progress goes to stderr, so stdout holds only the JSON (for `| jq`).
 */
function terminal(verbose: boolean, json: boolean): Host & { failed: boolean } {
  const say = json ? console.error : console.log
  const host = {
    failed: false,
    log: {
      info: (m: string) => say(m),
      warning: (m: string) => console.warn(`warning: ${m}`),
      debug: (m: string) => (verbose ? say(m) : undefined)
    },
    auth: {
      getIDToken: () =>
        Promise.reject(
          new Error('the CLI has no GitHub OIDC token: use --auth default (DefaultAzureCredential)')
        ),
      setSecret: () => undefined,
      env: process.env
    },
    clock: systemClock,
    sleep: realSleep,
    tempRoot: tmpdir(),
    setOutputs: () => undefined,
    writeSummary: async () => undefined,
    fail: (message: string) => {
      console.error(`error: ${message}`)
      host.failed = true
    }
  }
  return host
}

/** The CLI: `keyvault-backup <command> [options]`, over the same lifecycle and core as the action. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv
  const command = COMMANDS[name ?? '']
  if (!command || args.includes('--help') || args.includes('-h')) {
    console.error(
      command
        ? command.usage
        : Object.values(COMMANDS)
            .map(c => c.usage)
            .join('\n\n')
    )
    return command || name === '--help' || name === '-h' ? 0 : 2
  }
  const verbose = args.includes('--verbose')
  routeSdkLog(line => process.stderr.write(`${line}\n`))
  return command.run(args, terminal(verbose, args.includes('--json')))
}

main(process.argv.slice(2)).then(
  code => {
    process.exitCode = code
  },
  error => {
    console.error(`error: ${errorMessage(error)}`)
    process.exitCode = 1
  }
)
