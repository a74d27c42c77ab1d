import { join } from 'node:path'
import { splitList } from '../../src/inputs.js'
import { parseBackupSettings } from '../../src/operations/backup/settings.js'
import { parseRestoreSettings } from '../../src/operations/restore/settings.js'

const ids = {
  'client-id': 'a11c0000-0000-4000-8000-00000000c001',
  'tenant-id': '72f988bf-0000-4000-8000-00000000a001'
}
const env = { RUNNER_TEMP: '/runner/temp', GITHUB_REPOSITORY: 'octo-org/octo-repo' }
const backup = (values: Record<string, string>, e: NodeJS.ProcessEnv = env) =>
  parseBackupSettings({ read: name => ({ vault: 'prod', ...ids, ...values })[name] ?? '', env: e })
const restore = (values: Record<string, string>) =>
  parseRestoreSettings({
    read: name => ({ vault: 'staging', 'artifact-name': 'kv', ...ids, ...values })[name] ?? '',
    env
  })

describe('backup settings: defaults', () => {
  it('fills every default from a minimal input set', () => {
    expect(backup({})).toEqual({
      operation: 'backup',
      targets: [
        {
          vault: { url: 'https://prod.vault.azure.net', name: 'prod', knownHost: true },
          path: join('/runner/temp', 'keyvault-backup', 'prod'),
          artifactName: 'keyvault-backup-prod'
        }
      ],
      vaultConcurrency: 1,
      identity: expect.objectContaining({
        method: 'oidc',
        cloud: expect.objectContaining({ name: 'AzureCloud' }),
        audience: 'api://AzureADTokenExchange',
        ...{ clientId: ids['client-id'], tenantId: ids['tenant-id'] }
      }),
      filter: {
        types: ['secrets', 'keys', 'certificates'],
        include: [],
        exclude: [],
        tags: [],
        skipDisabled: false
      },
      concurrency: 32,
      failOnError: true,
      dryRun: false,
      upload: { compressionLevel: 0 }
    })
  })

  it('takes client and tenant ids from AZURE_CLIENT_ID and AZURE_TENANT_ID', () => {
    const settings = backup(
      { 'client-id': '', 'tenant-id': '' },
      { AZURE_CLIENT_ID: ids['client-id'], AZURE_TENANT_ID: 'contoso.onmicrosoft.com' }
    )
    expect(settings.identity).toMatchObject({
      clientId: ids['client-id'],
      tenantId: 'contoso.onmicrosoft.com'
    })
  })
})

describe('backup settings: accepted values', () => {
  const cases: { name: string; inputs: Record<string, string>; expected: object }[] = [
    {
      name: 'US Government cloud',
      inputs: { environment: 'azureusgovernment' },
      expected: {
        targets: [{ vault: { url: 'https://prod.vault.usgovcloudapi.net' } }],
        identity: {
          cloud: expect.objectContaining({ authorityHost: 'https://login.microsoftonline.us' }),
          audience: 'api://AzureADTokenExchangeUSGov'
        }
      }
    },
    {
      name: 'China cloud',
      inputs: { environment: 'AzureChinaCloud' },
      expected: {
        targets: [{ vault: { url: 'https://prod.vault.azure.cn' } }],
        identity: { audience: 'api://AzureADTokenExchangeChina' }
      }
    },
    {
      name: 'loopback URL',
      inputs: { vault: 'https://127.0.0.1:8443/' },
      expected: {
        targets: [{ vault: { url: 'https://127.0.0.1:8443', knownHost: false, name: '127.0.0.1-8443' } }]
      }
    },
    {
      name: 'full Key Vault URL',
      inputs: { vault: 'https://Prod.vault.azure.net' },
      expected: {
        targets: [{ vault: { url: 'https://prod.vault.azure.net', knownHost: true, name: 'prod' } }]
      }
    },
    {
      name: 'lists and tags',
      inputs: {
        types: 'keys,\ncertificates',
        include: 'db-*\napi-?',
        exclude: 'tmp-*',
        tags: 'env=prod\nteam = data'
      },
      expected: {
        filter: {
          types: ['keys', 'certificates'],
          include: ['db-*', 'api-?'],
          exclude: ['tmp-*'],
          tags: [
            { key: 'env', value: 'prod' },
            { key: 'team', value: 'data' }
          ]
        }
      }
    },
    {
      name: 'booleans and numbers',
      inputs: {
        'dry-run': 'true',
        'fail-on-error': 'FALSE',
        'retention-days': '7',
        'compression-level': '9',
        concurrency: '16'
      },
      expected: {
        dryRun: true,
        failOnError: false,
        upload: { retentionDays: 7, compressionLevel: 9 },
        concurrency: 16
      }
    },
    {
      name: 'azure-cli needs no ids',
      inputs: { auth: 'azure-cli', 'client-id': '', 'tenant-id': '' },
      expected: { identity: { method: 'azure-cli' } }
    },
    {
      name: 'custom audience',
      inputs: { audience: 'api://custom' },
      expected: { identity: { audience: 'api://custom' } }
    }
  ]
  it.each(cases)('$name', ({ inputs, expected }) => {
    expect(backup(inputs)).toMatchObject(expected)
  })
})

describe('backup settings: several vaults', () => {
  it('gives each vault its own folder and artifact', () => {
    const settings = backup({
      vault: 'prod\nhttps://staging.vault.azure.net\n',
      'artifact-name': 'kv-{vault}-nightly',
      path: '/backups',
      'vault-concurrency': '4'
    })
    expect(settings.targets.map(t => [t.vault.name, t.path, t.artifactName])).toEqual([
      ['prod', join('/backups', 'prod'), 'kv-prod-nightly'],
      ['staging', join('/backups', 'staging'), 'kv-staging-nightly']
    ])
    expect(settings.vaultConcurrency).toBe(4)
  })

  it.each([
    [
      'an artifact name without {vault}',
      { 'artifact-name': 'kv-nightly' },
      /must hold '\{vault\}' when 'vault' lists several vaults/
    ],
    ['a vault twice', { vault: 'prod\nstaging\nPROD' }, /lists vault 'prod' twice/i],
    [
      'a vault twice under two URLs',
      { vault: 'prod\nhttps://prod.privatelink.vaultcore.azure.net' },
      /lists vault 'prod' twice/
    ],
    [
      'more than four at once',
      { 'vault-concurrency': '5' },
      /'vault-concurrency': "5". Expected a whole number from 1 to 4/
    ]
  ])('refuses %s', (_, inputs, message) => {
    expect(() => backup({ vault: 'prod\nstaging', ...inputs })).toThrow(message)
  })
})

describe('backup settings: upload false', () => {
  it('writes the folder only', () => {
    expect(backup({ upload: 'False' }).upload).toBeUndefined()
  })
})

describe('rejected values name the input, the value and what is allowed', () => {
  const cases: [string, Record<string, string>, RegExp][] = [
    ['missing vault', { vault: '' }, /Input 'vault' is required/],
    [
      'bad vault name',
      { vault: 'my_vault' },
      /Invalid value for 'vault': 'my_vault' is neither a vault name/
    ],
    ['http URL', { vault: 'http://prod.vault.azure.net' }, /'vault'.*must use https/],
    ['URL with path', { vault: 'https://prod.vault.azure.net/secrets' }, /'vault'.*bare origin/],
    [
      'environment',
      { environment: 'AzureGermany' },
      /'environment': "AzureGermany". Valid options are: AzureCloud, AzureUSGovernment, AzureChinaCloud/
    ],
    [
      'auth',
      { auth: 'password' },
      /'auth': "password". Valid options are: oidc, azure-cli, managed-identity/
    ],
    [
      'types',
      { types: 'secrets, blobs' },
      /'types': "blobs". Valid options are: secrets, keys, certificates/
    ],
    ['include pattern', { include: 'db_*' }, /pattern in 'include': "db_\*"/],
    ['tag line', { tags: 'env' }, /line in 'tags': "env". Expected key=value/],
    ['boolean', { 'dry-run': 'yes' }, /'dry-run': "yes". Valid options are: true, false/],
    ['retention', { 'retention-days': '91' }, /'retention-days': "91". Expected a whole number from 1 to 90/],
    ['compression', { 'compression-level': '-1' }, /'compression-level': "-1"/],
    ['concurrency', { concurrency: '2.5' }, /'concurrency': "2.5"/],
    ['artifact name', { 'artifact-name': 'a/b' }, /'artifact-name': "a\/b"/],
    [
      'client id that is not a GUID',
      { 'client-id': 'my-app' },
      /'client-id': "my-app". Expected the application \(client\) id, a GUID/
    ],
    [
      'tenant id that is neither a GUID nor a domain',
      { 'tenant-id': 'contoso' },
      /'tenant-id': "contoso". Expected the directory \(tenant\) id, a GUID, or one of its domains/
    ],
    [
      'oidc without client id',
      { 'client-id': '' },
      /Input 'client-id' is required for auth 'oidc' \(or set AZURE_CLIENT_ID and AZURE_TENANT_ID\)/
    ],
    [
      'include and exclude together',
      { include: 'db', exclude: 'DB' },
      /Inputs 'include' and 'exclude' both list "db"/
    ],
    [
      'audience with azure-cli',
      { auth: 'azure-cli', audience: 'api://x' },
      /Inputs 'audience' and 'auth: azure-cli' cannot be used together/
    ],
    [
      'upload inputs without upload',
      { upload: 'false', 'retention-days': '3' },
      /Inputs 'upload: false' and 'retention-days' cannot be used together/
    ],
    ['a restore input', { 'if-exists': 'replace' }, /Input 'if-exists' does not apply to operation 'backup'/],
    ['another restore input', { 'run-id': 'latest' }, /Input 'run-id' does not apply to operation 'backup'/]
  ]
  it.each(cases)('%s', (_, inputs, message) => {
    expect(() => backup(inputs)).toThrow(message)
  })

  it('reports every problem at once', () => {
    expect(() => backup({ vault: '', concurrency: '0', upload: 'maybe', 'client-id': '' })).toThrow(
      /Invalid inputs:\n- .*'vault'[\s\S]*'client-id'[\s\S]*'upload'[\s\S]*'concurrency'/
    )
  })

  it.each([
    ['user and password', 'https://user:S3cret@prod.vault.azure.net', 'S3cret'],
    ['a query string', 'https://prod.vault.azure.net/?sig=S3cretSig', 'S3cretSig'],
    ['a fragment', 'https://prod.vault.azure.net/#S3cretFrag', 'S3cretFrag'],
    ['a name with a query', 'prod?sig=S3cretSig', 'S3cretSig'],
    ['a name with a user part', 'me:S3cret@prod', 'S3cret']
  ])('never repeats what may be a credential: %s', (_, vault, secret) => {
    let message = ''
    try {
      backup({ vault })
    } catch (error) {
      message = (error as Error).message
    }
    expect(message).toMatch(/'vault'/)
    expect(message).not.toContain(secret)
  })
})

describe('restore settings', () => {
  it('reads the source, the policies and the checks', () => {
    expect(
      restore({
        'run-id': 'latest',
        'run-branch': 'release',
        'github-token': 't',
        'if-exists': 'replace',
        'if-deleted': 'recover',
        'manifest-sha256': 'A'.repeat(64),
        'allow-partial': 'true'
      })
    ).toMatchObject({
      source: {
        kind: 'artifact',
        artifact: {
          kind: 'latest',
          name: 'kv',
          repository: 'octo-org/octo-repo',
          token: 't',
          branch: 'release'
        }
      },
      policy: { ifExists: 'replace', ifDeleted: 'recover' },
      expectedManifestSha256: 'a'.repeat(64),
      allowPartial: true,
      verify: true,
      planDir: join('/runner/temp', 'keyvault-restore')
    })
  })

  it.each([
    [
      'skip-disabled',
      { 'skip-disabled': 'true' },
      /Input 'skip-disabled' does not apply to operation 'restore'/
    ],
    ['upload', { upload: 'false' }, /Input 'upload' does not apply to operation 'restore'/],
    ['retention-days', { 'retention-days': '3' }, /Input 'retention-days' does not apply/],
    ['compression-level', { 'compression-level': '1' }, /Input 'compression-level' does not apply/],
    [
      'a bad manifest-sha256',
      { 'manifest-sha256': 'sha256:abc' },
      /'manifest-sha256': "sha256:abc". Expected the 64 hex digits/
    ],
    ['run-branch without latest', { 'run-branch': 'main' }, /Input 'run-branch' needs 'run-id: latest'/],
    ['no source', { 'artifact-name': '' }, /needs a source/],
    ['path and artifact', { path: '/b' }, /Inputs 'path' and 'artifact-name' cannot be used together/],
    ['repository without run-id', { repository: 'o/r' }, /Input 'repository' needs 'run-id'/],
    [
      'a policy',
      { 'if-exists': 'overwrite' },
      /'if-exists': "overwrite". Valid options are: skip, fail, replace/
    ]
  ])('refuses %s', (_, inputs, message) => {
    expect(() => restore(inputs)).toThrow(message)
  })
})

describe('splitList', () => {
  it.each([
    ['a, b\nc', ['a', 'b', 'c']],
    ['\n  a  \n\n# comment\n', ['a']],
    ['', []]
  ])('%j', (raw, expected) => {
    expect(splitList(raw)).toEqual(expected)
  })
})

describe('the contract with action.yml', () => {
  it('names every input and output that action.yml declares, and no other', async () => {
    const { parse } = await import('yaml')
    const { readFileSync } = await import('node:fs')
    const { Inputs, Outputs } = await import('../../src/inputs.js')
    const action = parse(readFileSync(new URL('../../action.yml', import.meta.url), 'utf8'))
    expect(Object.keys(action.inputs).sort()).toEqual([...Object.values(Inputs)].sort())
    expect(Object.keys(action.outputs).sort()).toEqual([...Object.values(Outputs)].sort())
  })
})
