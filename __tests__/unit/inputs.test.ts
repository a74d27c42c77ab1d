import { join } from 'node:path'
import { parseBackupSettings, readInputs, splitList } from '../../src/inputs.js'

const ids = {
  'client-id': 'a11c0000-0000-4000-8000-00000000c001',
  'tenant-id': '72f988bf-0000-4000-8000-00000000a001'
}
const reader = (values: Record<string, string>) => (name: string) => values[name] ?? ''
const env = { RUNNER_TEMP: '/runner/temp' }

describe('readInputs: defaults', () => {
  it('fills every default from a minimal input set', () => {
    const inputs = readInputs(reader({ vault: 'prod', ...ids }), env)
    expect(inputs).toMatchObject({
      operation: 'backup',
      vault: { url: 'https://prod.vault.azure.net', name: 'prod', knownHost: true },
      cloud: { name: 'AzureCloud' },
      auth: 'oidc',
      audience: 'api://AzureADTokenExchange',
      filter: {
        types: ['secrets', 'keys', 'certificates'],
        include: [],
        exclude: [],
        tags: [],
        skipDisabled: false
      },
      artifactName: 'keyvault-backup-prod',
      compressionLevel: 0,
      upload: true,
      path: join('/runner/temp', 'keyvault-backup', 'prod'),
      concurrency: 32,
      failOnError: true,
      dryRun: false
    })
    expect(inputs.retentionDays).toBeUndefined()
  })

  it('takes client and tenant ids from AZURE_CLIENT_ID and AZURE_TENANT_ID', () => {
    const inputs = readInputs(reader({ vault: 'prod' }), { AZURE_CLIENT_ID: 'c-1', AZURE_TENANT_ID: 't-1' })
    expect(inputs).toMatchObject({ clientId: 'c-1', tenantId: 't-1' })
  })
})

describe('readInputs: accepted values', () => {
  const cases: { name: string; inputs: Record<string, string>; expected: object }[] = [
    {
      name: 'US Government cloud',
      inputs: { environment: 'azureusgovernment' },
      expected: {
        vault: { url: 'https://prod.vault.usgovcloudapi.net' },
        cloud: { authorityHost: 'https://login.microsoftonline.us' },
        audience: 'api://AzureADTokenExchangeUSGov'
      }
    },
    {
      name: 'China cloud',
      inputs: { environment: 'AzureChinaCloud' },
      expected: { vault: { url: 'https://prod.vault.azure.cn' }, audience: 'api://AzureADTokenExchangeChina' }
    },
    {
      name: 'loopback URL',
      inputs: { vault: 'https://127.0.0.1:8443/' },
      expected: { vault: { url: 'https://127.0.0.1:8443', knownHost: false, name: '127.0.0.1-8443' } }
    },
    {
      name: 'full Key Vault URL',
      inputs: { vault: 'https://Prod.vault.azure.net' },
      expected: { vault: { url: 'https://prod.vault.azure.net', knownHost: true, name: 'prod' } }
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
        upload: 'False',
        'fail-on-error': 'FALSE',
        'retention-days': '7',
        'compression-level': '9',
        concurrency: '16'
      },
      expected: {
        dryRun: true,
        upload: false,
        failOnError: false,
        retentionDays: 7,
        compressionLevel: 9,
        concurrency: 16
      }
    },
    {
      name: 'azure-cli needs no ids',
      inputs: { auth: 'azure-cli', 'client-id': '', 'tenant-id': '' },
      expected: { auth: 'azure-cli' }
    },
    { name: 'custom audience', inputs: { audience: 'api://custom' }, expected: { audience: 'api://custom' } }
  ]
  it.each(cases)('$name', ({ inputs, expected }) => {
    expect(readInputs(reader({ vault: 'prod', ...ids, ...inputs }), env)).toMatchObject(expected)
  })
})

describe('readInputs: rejected values name the input, the value and what is allowed', () => {
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
    ['operation', { operation: 'copy' }, /'operation': "copy". Valid options are: backup, restore/],
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
      'oidc without client id',
      { 'client-id': '' },
      /Input 'client-id' is required for auth 'oidc' \(or set AZURE_CLIENT_ID\)/
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
    ]
  ]
  it.each(cases)('%s', (_, inputs, message) => {
    expect(() => readInputs(reader({ vault: 'prod', ...ids, ...inputs }), env)).toThrow(message)
  })

  it('reports every problem at once', () => {
    const attempt = () => readInputs(reader({ vault: '', concurrency: '0', upload: 'maybe' }), {})
    expect(attempt).toThrow(
      /Invalid inputs:\n- .*'vault'[\s\S]*'concurrency'[\s\S]*'client-id'[\s\S]*'upload'/
    )
  })
})

describe('parseBackupSettings (shared with the CLI)', () => {
  it('needs no sign-in inputs and throws on bad ones', () => {
    expect(parseBackupSettings(reader({ vault: 'prod', path: '/tmp/out' }), {})).toMatchObject({
      path: '/tmp/out'
    })
    expect(() => parseBackupSettings(reader({ vault: 'prod', types: 'x' }), {})).toThrow(/'types'/)
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
