/**
 * Discover's settings, and the operation run in-process through the shared lifecycle against the test
 * bed's fleet: OIDC sign-in at the real authority and Resource Manager through the proxy (the CA added
 * to Node's trust, as NODE_EXTRA_CA_CERTS does), outputs, the summary, unreadable subscriptions and
 * when they fail the step.
 */
import { getCACertificates, setDefaultCACertificates } from 'node:tls'
import { groupName, MAX_MATRIX_JOBS, type FleetMatrix, type VaultRecord } from '../../src/core/fleet.js'
import { runOperation, type Host } from '../../src/lifecycle.js'
import { discoverOperation } from '../../src/operations/discover/job.js'
import { outputSizeWarning, renderDiscoverSummary } from '../../src/operations/discover/summary.js'
import { parseDiscoverSettings } from '../../src/operations/discover/settings.js'
import { fleetLayout } from '../../testbed/fleet.js'
import { startTestbed, type Testbed } from '../../testbed/index.js'

const GUID = '00000000-0000-4000-8000-000000000001'
const ENV = { AZURE_CLIENT_ID: GUID, AZURE_TENANT_ID: GUID }
const parse = (inputs: Record<string, string>, env: NodeJS.ProcessEnv = ENV) =>
  parseDiscoverSettings({ read: name => inputs[name] ?? '', env })

describe('parseDiscoverSettings', () => {
  it('defaults: every subscription, no filter, 256 jobs, fail-on-error, the public cloud', () => {
    const s = parse({})
    expect(s).toMatchObject({
      operation: 'discover',
      subscriptions: [],
      filter: { include: [], exclude: [], tags: [], resourceGroups: [], locations: [] },
      maxJobs: MAX_MATRIX_JOBS,
      failOnError: true
    })
    expect(s.cloud.managementEndpoint).toBe('https://management.azure.com')
    expect(s.identity).toMatchObject({ method: 'oidc', clientId: GUID, tenantId: GUID })
  })

  it('reads every input', () => {
    const s = parse({
      subscriptions: `5F1C0000-0000-4000-8000-00000000F001\n5f1c0000-0000-4000-8000-00000000f001, 5f1c0000-0000-4000-8000-00000000f002`,
      'vault-include': 'kv-*\n*-prod',
      'vault-exclude': '*-dev',
      'vault-tags': 'env=prod*\nteam = billing',
      'resource-groups': 'rg-billing-prod, RG_(old).1',
      locations: 'West Europe\neastus*',
      'max-jobs': '20',
      environment: 'AzureUSGovernment',
      'fail-on-error': 'false'
    })
    expect(s.subscriptions).toEqual([
      '5f1c0000-0000-4000-8000-00000000f001',
      '5f1c0000-0000-4000-8000-00000000f002'
    ])
    expect(s.filter).toEqual({
      include: ['kv-*', '*-prod'],
      exclude: ['*-dev'],
      tags: [
        { key: 'env', value: 'prod*' },
        { key: 'team', value: 'billing' }
      ],
      resourceGroups: ['rg-billing-prod', 'RG_(old).1'],
      locations: ['West Europe', 'eastus*']
    })
    expect(s.maxJobs).toBe(20)
    expect(s.failOnError).toBe(false)
    expect(s.cloud.managementEndpoint).toBe('https://management.usgovcloudapi.net')
    expect(s.identity.audience).toBe('api://AzureADTokenExchangeUSGov')
  })

  it.each([
    [{ vault: 'prod' }, "Input 'vault' does not apply to operation 'discover'"],
    [{ types: 'secrets' }, "Input 'types' does not apply to operation 'discover'"],
    [{ 'max-jobs': '0' }, 'Invalid value for \'max-jobs\': "0". Expected a whole number from 1 to 256'],
    [{ 'max-jobs': '257' }, 'Invalid value for \'max-jobs\': "257"'],
    [
      { subscriptions: 'Production' },
      'Invalid value in \'subscriptions\': "Production". Expected a subscription id'
    ],
    [{ 'vault-include': 'kv_*' }, 'Invalid pattern in \'vault-include\': "kv_*"'],
    [
      { 'vault-include': 'kv-*', 'vault-exclude': 'KV-*' },
      "Inputs 'vault-include' and 'vault-exclude' both list"
    ],
    [{ 'vault-tags': 'env' }, 'Invalid line in \'vault-tags\': "env". Expected key=value'],
    [{ 'resource-groups': 'rg/x' }, 'Invalid pattern in \'resource-groups\': "rg/x"'],
    [{ locations: 'west-europe' }, 'Invalid pattern in \'locations\': "west-europe"'],
    [{ environment: 'Mars' }, 'Invalid value for \'environment\': "Mars"']
  ])('refuses %j', (inputs, message) => {
    expect(() => parse(inputs)).toThrow(message)
  })

  it('names every problem at once', () => {
    expect(() => parse({ vault: 'prod', 'max-jobs': 'many', 'vault-tags': '=x' })).toThrow(
      /Invalid inputs:\n- Input 'vault'.*\n- .*\n- /s
    )
  })

  it('needs client-id and tenant-id for OIDC', () => {
    expect(() => parse({}, {})).toThrow("Input 'client-id' is required for auth 'oidc'")
  })
})

describe('outputSizeWarning', () => {
  const outputs = (matrixChars: number, vaultsChars: number) => ({
    matrix: 'm'.repeat(matrixChars),
    vaults: 'v'.repeat(vaultsChars),
    count: '1'
  })

  it('says nothing while the outputs fit, counted as GitHub counts them (UTF-16)', () => {
    expect(outputSizeWarning(outputs(100_000, 349_000))).toBeUndefined()
  })

  it('names the vaults output and what to map instead when both together would not fit', () => {
    expect(outputSizeWarning(outputs(100_000, 360_000))).toBe(
      "The 'vaults' output takes about 720 kB as GitHub counts it; a job's outputs hold at most 1 MB. " +
        "Map only 'matrix' and 'count' to the job's outputs (the matrix jobs need no more)."
    )
  })

  it('asks for a smaller fleet when the matrix alone would not fit', () => {
    expect(outputSizeWarning(outputs(460_000, 0))).toMatch(
      /^The 'matrix' output takes about 920 kB .*split it over several discover steps \('subscriptions'\)/
    )
  })
})

describe('discover against a fleet (in-process, production path)', () => {
  let testbed: Testbed
  const originalCAs = getCACertificates('default')
  const saved = { HTTPS_PROXY: process.env.HTTPS_PROXY, NO_PROXY: process.env.NO_PROXY }
  let oid: string

  interface TestHost extends Host {
    outputs: Record<string, string>
    summary: string
    failed?: string
    infos: string[]
    warnings: string[]
  }

  function testHost(): TestHost {
    const env = testbed.env
    const host: TestHost = {
      outputs: {},
      summary: '',
      infos: [],
      warnings: [],
      log: {
        info: m => host.infos.push(m),
        warning: m => host.warnings.push(m),
        debug: () => undefined
      },
      auth: {
        // What @actions/core's getIDToken does: the runner's OIDC request URL with the audience.
        getIDToken: async audience => {
          const url = `${env.ACTIONS_ID_TOKEN_REQUEST_URL}&audience=${encodeURIComponent(audience)}`
          const res = await fetch(url, {
            headers: { authorization: `Bearer ${env.ACTIONS_ID_TOKEN_REQUEST_TOKEN}` }
          })
          return ((await res.json()) as { value: string }).value
        },
        setSecret: () => undefined,
        env
      },
      clock: testbed.clock,
      sleep: async ms => testbed.clock.advance(ms),
      tempRoot: '/tmp',
      setOutputs: outputs => (host.outputs = outputs),
      writeSummary: async markdown => {
        host.summary = markdown
      },
      fail: message => (host.failed = message)
    }
    return host
  }

  async function discover(inputs: Record<string, string> = {}) {
    const host = testHost()
    const settings = parseDiscoverSettings({ read: name => inputs[name] ?? '', env: testbed.env })
    const report = await runOperation(host, discoverOperation, settings)
    const vaults = JSON.parse(host.outputs.vaults) as VaultRecord[]
    const matrix = JSON.parse(host.outputs.matrix) as FleetMatrix
    return { host, report, vaults, matrix }
  }

  const defaultTenantSubs = () =>
    testbed.directory
      .subscriptions()
      .filter(s => s.tenant.tenantId === testbed.layout.tenantId)
      .map(s => s.config.subscriptionId)

  beforeAll(async () => {
    testbed = await startTestbed({ layout: fleetLayout() })
    process.env.HTTPS_PROXY = testbed.env.HTTPS_PROXY
    process.env.NO_PROXY = testbed.env.NO_PROXY
    setDefaultCACertificates([...originalCAs, testbed.tls.caPem])
    oid = testbed.layout.apps[0].objectId
  })
  afterAll(async () => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name]
      else process.env[name] = value
    }
    setDefaultCACertificates(originalCAs)
    await testbed?.stop()
  })

  it('finds every vault the identity may read, lists the subscription it may not, and does not fail for it', async () => {
    const expected = testbed.arm.view(oid)
    const { host, report, vaults, matrix } = await discover()
    const names = Object.values(expected.vaults).flat().sort()
    expect(vaults.map(v => v.name).sort()).toEqual(names)
    expect(host.outputs.count).toBe(String(names.length))
    expect(host.failed).toBeUndefined()
    // The matrix: at most 256 groups, every vault exactly once.
    expect(matrix.include.length).toBeLessThanOrEqual(256)
    const urls = matrix.include.flatMap(e => e.vaults.split('\n'))
    expect(urls.sort()).toEqual(vaults.map(v => v.url).sort())
    // The forbidden subscription: in the summary with the role to grant, and a warning.
    expect(expected.forbidden).toHaveLength(1)
    expect(report.unreadable.map(u => u.subscriptionId)).toEqual(expected.forbidden)
    expect(host.summary).toContain('### Subscriptions not read')
    expect(host.summary).toContain(expected.forbidden[0])
    expect(host.summary).toMatch(/Grant it the 'Reader' role/)
    expect(
      host.warnings.some(w => w.includes(expected.forbidden[0]) && w.includes('AuthorizationFailed'))
    ).toBe(true)
    // A progress line per subscription read.
    for (const id of Object.keys(expected.vaults)) {
      const line = host.infos.find(l => l.startsWith('Subscription ') && l.includes(id))
      expect(line).toMatch(new RegExp(`: ${expected.vaults[id].length} vaults listed`))
    }
    // The vaults table (all of them: fewer than the limit) and the groups.
    expect(host.summary).toContain('### Vaults')
    for (const name of names) expect(host.summary).toContain(`| ${name} |`)
    expect(host.summary).not.toContain('more vaults')
    expect(host.summary).toContain('### Matrix groups')
    expect(host.summary).toContain(`| ${groupName(names.length - 1)} | 1 |`)
    // The limit cuts the table off, and says where the rest is.
    const cut = renderDiscoverSummary(report, 10)
    expect(cut.split('\n').filter(l => /^\| .* \| group-\d{3} \|/.test(l))).toHaveLength(10)
    expect(cut).toContain(`…and ${names.length - 10} more vaults (the \`vaults\` output lists them all).`)
    // Discovery alone starts no vault server.
    expect(testbed.keyvault.vaults().some(v => testbed.keyvault.isListening(v.name))).toBe(false)
  })

  it('fails the step when nothing is found and a subscription could not be read (fail-on-error true)', async () => {
    const [forbidden] = testbed.arm.view(oid).forbidden
    const { host, vaults, matrix } = await discover({ subscriptions: forbidden })
    expect(vaults).toEqual([])
    expect(host.outputs.count).toBe('0')
    expect(host.failed).toMatch(/^No vault found, and 1 subscriptions could not be read:/)
    expect(host.failed).toContain("'Reader'")
    expect(matrix).toEqual({ include: [{ group: 'none', vaults: '' }] })
  })

  it('with fail-on-error false, warns instead', async () => {
    const [forbidden] = testbed.arm.view(oid).forbidden
    const { host } = await discover({ subscriptions: forbidden, 'fail-on-error': 'false' })
    expect(host.failed).toBeUndefined()
    expect(
      host.warnings.some(w => w.startsWith('No vault found') && w.includes('fail-on-error is false'))
    ).toBe(true)
  })

  it('explains named subscriptions it cannot see: no role, another tenant, no such subscription', async () => {
    const expected = testbed.arm.view(oid)
    const hidden = defaultTenantSubs().find(id => !expected.subscriptions.includes(id))!
    const partner = testbed.directory.tenant('partner')!.subscriptions![0].subscriptionId
    const missing = '5f1c0000-0000-4000-8000-0000000fffff'
    const readable = Object.keys(expected.vaults)[0]
    const { host, report, vaults } = await discover({
      subscriptions: [readable, hidden, partner, missing].join('\n')
    })
    expect(vaults.map(v => v.name).sort()).toEqual(expected.vaults[readable])
    expect(host.failed).toBeUndefined()
    const reasons = Object.fromEntries(report.unreadable.map(u => [u.subscriptionId, u.reason]))
    expect(Object.keys(reasons).sort()).toEqual([hidden, partner, missing].sort())
    expect(reasons[hidden]).toMatch(/^not visible to this identity; Permission denied.*'Reader'/)
    expect(reasons[partner]).toContain(`belongs to tenant '${testbed.directory.tenant('partner')!.tenantId}'`)
    expect(reasons[missing]).toContain('was not found in AzureCloud (404 SubscriptionNotFound)')
    for (const id of [hidden, partner, missing]) expect(host.summary).toContain(id)
  })

  it('applies the filters and max-jobs', async () => {
    const all = (await discover()).vaults
    const { vaults, matrix, host } = await discover({
      'vault-include': 'kv*',
      'vault-exclude': '*dev*',
      locations: 'West Europe, eastus',
      'max-jobs': '7'
    })
    const want = all.filter(
      v =>
        v.name.toLowerCase().startsWith('kv') &&
        !v.name.includes('dev') &&
        ['westeurope', 'eastus'].includes(v.location)
    )
    expect(want.length).toBeGreaterThan(7)
    expect(vaults.map(v => v.url).sort()).toEqual(want.map(v => v.url).sort())
    expect(matrix.include.map(e => e.group)).toEqual(Array.from({ length: 7 }, (_, i) => groupName(i)))
    const sizes = matrix.include.map(e => e.vaults.split('\n').length)
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1)
    expect(host.summary).toMatch(/Left out by the filters: /)
  })

  it('ends with one sign-in error, and still writes the outputs and the summary', async () => {
    const { host, vaults, matrix } = await discover({ 'client-id': '0bad0000-0000-4000-8000-000000000000' })
    expect(host.failed).toMatch(/^Could not list the subscriptions: Sign-in failed/)
    expect(vaults).toEqual([])
    expect(matrix.include).toHaveLength(1)
    expect(host.summary).toContain('> **Failed:**')
  })

  it('reads the same fleet into the same groups on a second run', async () => {
    const first = await discover({ 'max-jobs': '10' })
    const second = await discover({ 'max-jobs': '10' })
    expect(second.matrix).toEqual(first.matrix)
    expect(second.host.outputs.vaults).toBe(first.host.outputs.vaults)
  })
})
