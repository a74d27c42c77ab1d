/**
 * The runner harness: runs `node dist/index.js` the way a GitHub runner does. Inputs become
 * `INPUT_*` variables (with action.yml's defaults for those not given), the command files (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, GITHUB_ENV,
 * GITHUB_STATE) are real files, RUNNER_TEMP is a fresh folder, and the process trusts the test CA
 * through NODE_EXTRA_CA_CERTS. The action sees production addresses; only the proxy and CA
 * variables differ from a real runner.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
export const ACTION_ENTRY = join(ROOT, 'dist', 'index.js')

/**
 * The inputs a runner passes although the step did not set them: action.yml's defaults, with
 * `${{ github.token }}` evaluated as the runner does. An input not given and without a default
 * reaches the action as absent.
 */
export function actionDefaults(env: Record<string, string | undefined>): Record<string, string> {
  const action = parse(readFileSync(join(ROOT, 'action.yml'), 'utf8')) as {
    inputs: Record<string, { default?: string }>
  }
  const defaults: Record<string, string> = {}
  for (const [name, input] of Object.entries(action.inputs)) {
    if (input.default === undefined) continue
    defaults[name] = String(input.default).replace(/\$\{\{\s*github\.token\s*\}\}/g, env.GITHUB_TOKEN ?? '')
  }
  return defaults
}

export interface RunOptions {
  /** Action inputs by their action.yml names, e.g. `{ vault: 'prod', 'dry-run': 'true' }`. */
  inputs?: Record<string, string>
  /** The test bed's environment (`testbed.env`), or any runner environment. */
  env: Record<string, string>
  /** Extra or overriding variables, e.g. another run's ACTIONS_RUNTIME_TOKEN. */
  extraEnv?: Record<string, string | undefined>
  /** The script to run; defaults to the built action, dist/index.js. */
  entry?: string
  /** Kill the process after this many ms (default 120 s). */
  timeoutMs?: number
  /** Called once the process has started, e.g. to kill it midway. */
  onSpawn?: (child: ChildProcess) => void
}

export interface RunResult {
  exitCode: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  /** stdout and stderr interleaved in arrival order. */
  log: string
  outputs: Record<string, string>
  summary: string
  runnerTemp: string
  workspace: string
}

/** Each run's folder (its runner temp, workspace and command files), until `removeRunFolders`. */
const runRoots: string[] = []

/**
 * Removes the folders of every run so far. The bench and the demo call it as their process exits;
 * jest, whose test files see a sandboxed `process`, after each test file (see jest.config.js).
 */
export function removeRunFolders(): void {
  for (const root of runRoots.splice(0)) rmSync(root, { recursive: true, force: true })
}
process.once('exit', removeRunFolders)

function newRunRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'kvb-run-'))
  runRoots.push(root)
  return root
}

/** Runs the action once and collects what a runner would show. */
export async function runAction(options: RunOptions): Promise<RunResult> {
  const root = newRunRoot()
  const runnerTemp = join(root, 'temp')
  const workspace = join(root, 'workspace')
  const files = {
    GITHUB_OUTPUT: join(root, 'output'),
    GITHUB_STEP_SUMMARY: join(root, 'summary.md'),
    GITHUB_ENV: join(root, 'env'),
    GITHUB_STATE: join(root, 'state'),
    GITHUB_PATH: join(root, 'path')
  }
  mkdirSync(runnerTemp)
  mkdirSync(workspace)
  for (const file of Object.values(files)) writeFileSync(file, '')

  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? root,
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    RUNNER_OS: 'Linux',
    RUNNER_ARCH: 'X64',
    RUNNER_TEMP: runnerTemp,
    RUNNER_NAME: 'test-bed-runner',
    GITHUB_WORKSPACE: workspace,
    GITHUB_WORKFLOW: 'backup',
    GITHUB_JOB: 'backup',
    GITHUB_ACTION: 'keyvault-backup',
    GITHUB_EVENT_NAME: 'schedule',
    GITHUB_REF: 'refs/heads/main',
    GITHUB_SHA: '0000000000000000000000000000000000000000',
    GITHUB_RUN_ATTEMPT: '1',
    ...files,
    ...options.env
  }
  for (const [name, value] of Object.entries({ ...actionDefaults(env), ...options.inputs })) {
    env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value
  }
  for (const [name, value] of Object.entries(options.extraEnv ?? {})) {
    if (value === undefined) delete env[name]
    else env[name] = value
  }

  const child = spawn(process.execPath, [options.entry ?? ACTION_ENTRY], { env, cwd: workspace })
  options.onSpawn?.(child)
  let stdout = ''
  let stderr = ''
  let log = ''
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk
    log += chunk
  })
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk
    log += chunk
  })
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000)
  const [exitCode, signal] = await new Promise<[number | null, NodeJS.Signals | null]>(done =>
    child.on('close', (code, sig) => done([code, sig]))
  )
  clearTimeout(timer)
  return {
    exitCode,
    signal,
    stdout,
    stderr,
    log,
    outputs: parseCommandFile(readFileSync(files.GITHUB_OUTPUT, 'utf8')),
    summary: readFileSync(files.GITHUB_STEP_SUMMARY, 'utf8'),
    runnerTemp,
    workspace
  }
}

/** Parses a GITHUB_OUTPUT / GITHUB_ENV file: `name=value` lines and `name<<DELIM ... DELIM` blocks. */
export function parseCommandFile(text: string): Record<string, string> {
  const result: Record<string, string> = {}
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]
    const heredoc = line.match(/^([^=<]+)<<(.+)$/)
    if (heredoc) {
      const [, name, delimiter] = heredoc
      const value: string[] = []
      for (i++; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i])
      result[name] = value.join('\n')
    } else if (line.includes('=')) {
      const at = line.indexOf('=')
      result[line.slice(0, at)] = line.slice(at + 1)
    }
  }
  return result
}
