/**
 * The table of bad inputs (issue 6): every input of action.yml with invalid values and contradictory
 * combinations, run through the built action as a runner would. Each must fail with one clear error
 * naming the input and what is allowed, a non-zero exit, and without a single request to the vault
 * (nor a token request to Entra): inputs are checked before anything is signed in or listed.
 *
 * The cases run in a small pool in `beforeAll` (each run is a fresh Node process of ~0.3 s); each
 * case is then its own test. `KVB_ACTION_ENTRY` may point at another build of the action.
 */
import { runAction, type RunResult } from '../../testbed/harness.js'
import { startTestbed, type Testbed } from '../../testbed/index.js'

interface BadInput {
  /** What is wrong, in words (the test's name). */
  title: string
  inputs: Record<string, string>
  /** Must appear in the error: the input's name, quoted as the action quotes it. */
  names: string[]
  /** Must appear in the error: what is allowed. */
  allowed: RegExp
}

const restore = { operation: 'restore', vault: 'staging' }

const CASES: BadInput[] = [
  // operation, vault, environment, auth
  {
    title: 'unknown operation',
    inputs: { operation: 'rollback' },
    names: ['operation'],
    allowed: /backup, restore/
  },
  { title: 'missing vault', inputs: { vault: '' }, names: ['vault'], allowed: /vault name.*https:\/\//i },
  { title: 'vault name too short', inputs: { vault: 'ab' }, names: ['vault'], allowed: /3-24 letters/ },
  {
    title: 'vault name with underscore',
    inputs: { vault: 'my_vault' },
    names: ['vault'],
    allowed: /3-24 letters/
  },
  {
    title: 'vault name with a double hyphen',
    inputs: { vault: 'my--vault' },
    names: ['vault'],
    allowed: /single hyphens/
  },
  {
    title: 'vault name starting with a digit',
    inputs: { vault: '1vault' },
    names: ['vault'],
    allowed: /starting with a letter/
  },
  {
    title: 'vault as an http URL',
    inputs: { vault: 'http://prod.vault.azure.net' },
    names: ['vault'],
    allowed: /https:\/\//
  },
  {
    title: 'vault URL with a path',
    inputs: { vault: 'https://prod.vault.azure.net/secrets/x' },
    names: ['vault'],
    allowed: /bare origin/
  },
  {
    title: 'vault URL with credentials',
    inputs: { vault: 'https://u:S3cret@prod.vault.azure.net' },
    names: ['vault'],
    allowed: /must not carry a user name or password/
  },
  {
    title: 'vault URL that does not parse',
    inputs: { vault: 'https://prod vault' },
    names: ['vault'],
    allowed: /not a valid URL|https:\/\//
  },
  {
    title: 'vault with another scheme',
    inputs: { vault: 'ftp://prod.vault.azure.net' },
    names: ['vault'],
    allowed: /https:\/\//
  },
  {
    title: 'unknown environment',
    inputs: { environment: 'AzureMars' },
    names: ['environment'],
    allowed: /AzureCloud, AzureUSGovernment, AzureChinaCloud/
  },
  {
    title: 'unknown auth',
    inputs: { auth: 'password' },
    names: ['auth'],
    allowed: /oidc, azure-cli, managed-identity/
  },
  {
    title: 'client-id that is no GUID',
    inputs: { 'client-id': 'my app!' },
    names: ['client-id'],
    allowed: /GUID/
  },
  {
    title: 'tenant-id that is no GUID',
    inputs: { 'tenant-id': 'contoso tenant' },
    names: ['tenant-id'],
    allowed: /GUID/
  },
  {
    title: 'audience with auth azure-cli',
    inputs: { auth: 'azure-cli', audience: 'api://AzureADTokenExchange' },
    names: ['audience'],
    allowed: /auth.*only to 'oidc'/
  },
  // selection
  {
    title: 'unknown type',
    inputs: { types: 'secrets, passwords' },
    names: ['types'],
    allowed: /secrets, keys, certificates/
  },
  {
    title: 'malformed include glob',
    inputs: { include: 'db-[a-z]*' },
    names: ['include'],
    allowed: /letters, digits and '-'.*'\*' and '\?'/
  },
  {
    title: 'include glob with a slash',
    inputs: { include: 'secrets/db' },
    names: ['include'],
    allowed: /letters, digits and '-'/
  },
  {
    title: 'malformed exclude glob',
    inputs: { exclude: 'tmp_*' },
    names: ['exclude'],
    allowed: /letters, digits and '-'/
  },
  {
    title: 'include and exclude naming the same glob',
    inputs: { include: 'db-*', exclude: 'DB-*' },
    names: ['include', 'exclude'],
    allowed: /keep it in one/
  },
  { title: 'tag line without =', inputs: { tags: 'env=prod\napp' }, names: ['tags'], allowed: /key=value/ },
  { title: 'tag line with an empty key', inputs: { tags: '=prod' }, names: ['tags'], allowed: /key=value/ },
  {
    title: 'skip-disabled not a boolean',
    inputs: { 'skip-disabled': 'yes' },
    names: ['skip-disabled'],
    allowed: /true, false/
  },
  // artifact and folder
  {
    title: 'artifact-name with a slash',
    inputs: { 'artifact-name': 'backups/prod' },
    names: ['artifact-name'],
    allowed: /must not contain/
  },
  {
    title: 'artifact-name with a line break',
    inputs: { 'artifact-name': 'prod\nother' },
    names: ['artifact-name'],
    allowed: /must not contain/
  },
  {
    title: 'retention-days 0',
    inputs: { 'retention-days': '0' },
    names: ['retention-days'],
    allowed: /1 to 90/
  },
  {
    title: 'retention-days 91',
    inputs: { 'retention-days': '91' },
    names: ['retention-days'],
    allowed: /1 to 90/
  },
  {
    title: 'retention-days negative',
    inputs: { 'retention-days': '-5' },
    names: ['retention-days'],
    allowed: /1 to 90/
  },
  {
    title: 'retention-days a fraction',
    inputs: { 'retention-days': '1.5' },
    names: ['retention-days'],
    allowed: /1 to 90/
  },
  {
    title: 'retention-days a word',
    inputs: { 'retention-days': 'thirty' },
    names: ['retention-days'],
    allowed: /1 to 90/
  },
  {
    title: 'compression-level 10',
    inputs: { 'compression-level': '10' },
    names: ['compression-level'],
    allowed: /0 to 9/
  },
  {
    title: 'compression-level -1',
    inputs: { 'compression-level': '-1' },
    names: ['compression-level'],
    allowed: /0 to 9/
  },
  { title: 'upload not a boolean', inputs: { upload: 'maybe' }, names: ['upload'], allowed: /true, false/ },
  // run control
  {
    title: 'negative concurrency',
    inputs: { concurrency: '-4' },
    names: ['concurrency'],
    allowed: /1 to 64/
  },
  { title: 'concurrency 0', inputs: { concurrency: '0' }, names: ['concurrency'], allowed: /1 to 64/ },
  { title: 'concurrency 65', inputs: { concurrency: '65' }, names: ['concurrency'], allowed: /1 to 64/ },
  {
    title: 'concurrency a word',
    inputs: { concurrency: 'many' },
    names: ['concurrency'],
    allowed: /1 to 64/
  },
  {
    title: 'fail-on-error not a boolean',
    inputs: { 'fail-on-error': 'nope' },
    names: ['fail-on-error'],
    allowed: /true, false/
  },
  { title: 'dry-run not a boolean', inputs: { 'dry-run': 'y' }, names: ['dry-run'], allowed: /true, false/ },
  // backup given restore-only inputs: the user believes they matter, so say they do not
  {
    title: 'backup with run-id',
    inputs: { 'run-id': '123' },
    names: ['run-id', 'backup'],
    allowed: /does not apply to operation 'backup'/
  },
  {
    title: 'backup with a restore policy',
    inputs: { 'if-exists': 'replace' },
    names: ['if-exists'],
    allowed: /does not apply to operation 'backup'/
  },
  // restore
  {
    title: 'restore without a source',
    inputs: { ...restore },
    names: ['artifact-name', 'path'],
    allowed: /needs a source/
  },
  {
    title: 'restore with path and run-id',
    inputs: { ...restore, path: 'backup', 'run-id': '42', 'github-token': 'x' },
    names: ['path', 'run-id'],
    allowed: /cannot be used together/
  },
  {
    title: 'restore with path and artifact-name',
    inputs: { ...restore, path: 'backup', 'artifact-name': 'kv' },
    names: ['path', 'artifact-name'],
    allowed: /cannot be used together/
  },
  {
    title: 'restore with path and repository',
    inputs: { ...restore, path: 'backup', repository: 'o/r' },
    names: ['path', 'repository'],
    allowed: /cannot be used together/
  },
  {
    title: 'restore with a run-id that is no number',
    inputs: { ...restore, 'artifact-name': 'kv', 'run-id': 'last', 'github-token': 'x' },
    names: ['run-id'],
    allowed: /digits.*'latest'/
  },
  {
    title: 'restore from another run without github-token',
    // action.yml defaults it to the job's token; only a step that empties it meets this.
    inputs: { ...restore, 'artifact-name': 'kv', 'run-id': '42', 'github-token': '' },
    names: ['run-id', 'github-token'],
    allowed: /actions: read/
  },
  {
    title: 'restore with a malformed repository',
    inputs: {
      ...restore,
      'artifact-name': 'kv',
      'run-id': 'latest',
      'github-token': 'x',
      repository: 'just-a-name'
    },
    names: ['repository'],
    allowed: /owner\/name/
  },
  {
    title: 'restore with repository but no run-id',
    inputs: { ...restore, 'artifact-name': 'kv', repository: 'o/r' },
    names: ['repository', 'run-id'],
    allowed: /'latest'/
  },
  {
    title: 'restore with an unknown if-exists',
    inputs: { ...restore, path: 'backup', 'if-exists': 'overwrite' },
    names: ['if-exists'],
    allowed: /skip, fail, replace/
  },
  {
    title: 'restore with an unknown if-deleted',
    inputs: { ...restore, path: 'backup', 'if-deleted': 'delete' },
    names: ['if-deleted'],
    allowed: /fail, skip, recover, purge/
  },
  {
    title: 'restore with verify not a boolean',
    inputs: { ...restore, path: 'backup', verify: 'perhaps' },
    names: ['verify'],
    allowed: /true, false/
  },
  {
    title: 'restore with an artifact-name holding a colon',
    inputs: { ...restore, 'artifact-name': 'kv:prod' },
    names: ['artifact-name'],
    allowed: /must not contain/
  }
]

let testbed: Testbed
let tokenRequests = 0
const results = new Map<string, RunResult>()

/** Runs `work` over `items` with at most `limit` in flight (two cores: a few node processes at once). */
async function pool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items]
  const worker = async (): Promise<void> => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(item)
  }
  await Promise.all(Array.from({ length: limit }, worker))
}

/** The error the runner shows: the `::error::` command's text, with the runner's escapes undone. */
function errorText(result: RunResult): string {
  return result.stdout
    .split('\n')
    .filter(line => line.startsWith('::error'))
    .map(line =>
      line
        .replace(/^::error[^:]*::/, '')
        .replace(/%0A/g, '\n')
        .replace(/%0D/g, '\r')
        .replace(/%25/g, '%')
    )
    .join('\n')
}

beforeAll(async () => {
  testbed = await startTestbed()
  testbed.keyvault.vault('prod').seedSecret('present', 'value-never-read')
  testbed.keyvault.clearLog()
  const tokensBefore = testbed.entra.tokenLog.length
  await pool(CASES, 4, async c => {
    // Backups write the folder only; restore refuses 'upload' (a backup input).
    const inputs = { vault: 'prod', ...(c.inputs.operation ? {} : { upload: 'false' }), ...c.inputs }
    results.set(c.title, await runAction({ env: testbed.env, inputs, entry: process.env.KVB_ACTION_ENTRY }))
  })
  tokenRequests = testbed.entra.tokenLog.length - tokensBefore
}, 120_000)
afterAll(() => testbed?.stop())

describe('bad inputs', () => {
  it.each(CASES.map(c => [c.title, c] as const))('%s: refused with a clear error', (_title, c) => {
    const result = results.get(c.title)!
    expect(result.exitCode).not.toBe(0)
    expect(result.signal).toBeNull()
    const error = errorText(result)
    expect(error).not.toBe('')
    for (const name of c.names) expect(error).toContain(`'${name}'`)
    expect(error).toMatch(c.allowed)
    // No credential of a vault URL is ever repeated.
    expect(error).not.toContain('S3cret')
    // No stack trace, no SDK noise: the error is the whole story.
    expect(result.stderr).not.toMatch(/\n\s+at /)
  })

  it('made zero requests to any vault and asked Entra for no token', () => {
    // The runs share one emulator, so the log cannot say which case called; the cases that ran to
    // completion (exit 0) are the ones that did.
    const requests = testbed.keyvault.requestLog.map(e => `${e.method} ${e.vault}${e.path} ${e.status}`)
    const ran = CASES.filter(c => results.get(c.title)?.exitCode === 0).map(c => c.title)
    expect({ requests: requests.slice(0, 10), tokenRequests, ran }).toEqual({
      requests: [],
      tokenRequests: 0,
      ran: []
    })
  })

  it('reports several bad inputs together in one error', async () => {
    const result = await runAction({
      env: testbed.env,
      inputs: { vault: 'prod', 'retention-days': '0', 'compression-level': '12', concurrency: '-1' },
      entry: process.env.KVB_ACTION_ENTRY
    })
    expect(result.exitCode).not.toBe(0)
    const error = errorText(result)
    for (const name of ['retention-days', 'compression-level', 'concurrency'])
      expect(error).toContain(`'${name}'`)
  })
})
