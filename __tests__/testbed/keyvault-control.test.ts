import { startControlServer } from '../../testbed/keyvault/control.js'
import {
  startTestEnv,
  TEST_OID,
  TEST_SUBSCRIPTION,
  type TestEnv
} from '../../testbed/keyvault/test-support.js'

describe('Key Vault emulator: control server', () => {
  let env: TestEnv
  let control: { url: string; stop(): Promise<void> }

  beforeAll(async () => {
    env = await startTestEnv()
    control = await startControlServer(env.emulator)
  })
  afterAll(async () => {
    await control.stop()
    await env.stop()
  })

  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${control.url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body)
    })
    const text = await res.text()
    return { status: res.status, body: text ? JSON.parse(text) : undefined }
  }

  it('creates a vault, seeds it, changes behaviour, advances the clock and reads state and log', async () => {
    const created = await call('POST', '/vaults', {
      config: {
        name: 'ctl',
        subscriptionId: TEST_SUBSCRIPTION,
        location: 'westeurope',
        geography: 'Europe',
        roleAssignments: [{ principalId: TEST_OID, role: 'Key Vault Administrator' }]
      },
      behaviour: { throttle: { limit: 100 } }
    })
    expect(created.status).toBe(201)
    expect(created.body.localUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
    expect(created.body.behaviour.throttle).toEqual({ limit: 100, windowMs: 10_000 })

    const seeded = await call('POST', '/vaults/ctl/seed', [
      { type: 'secret', name: 'a', value: 'x', versions: 2, tags: { t: '1' } },
      { type: 'key', name: 'k', kty: 'EC' },
      { type: 'certificate', name: 'c' },
      {
        type: 'certificate',
        name: 'locked',
        exportable: false,
        contentTypes: ['application/x-pkcs12', 'application/x-pem-file']
      }
    ])
    expect(seeded.body).toEqual({ seeded: 4 })
    const state = await call('GET', '/vaults/ctl/state')
    expect(state.body.secrets.active.map((s: { name: string }) => s.name)).toEqual(['a', 'c', 'locked'])
    expect(
      state.body.certificates.active.find((c: { name: string }) => c.name === 'locked').versions
    ).toHaveLength(2)
    expect(state.body.secrets.active[0].versions).toHaveLength(2)
    expect(state.body.keys.active.find((k: { name: string }) => k.name === 'c').managed).toBe(true)

    const locked = await env.clients(env.emulator.vault('ctl')).secrets.getSecret('locked')
    expect(locked.properties.contentType).toBe('application/x-pem-file')
    expect(locked.value).not.toContain('PRIVATE KEY')

    const knobs = await call('PATCH', '/vaults/ctl/behaviour', {
      clientAddress: '203.0.113.9',
      foreignBlobError: { status: 409, code: 'Conflict' }
    })
    expect(knobs.body).toMatchObject({
      clientAddress: '203.0.113.9',
      foreignBlobError: { status: 409, code: 'Conflict' }
    })

    const behaviour = await call('PATCH', '/vaults/ctl/behaviour', { faults: { p503: 1 } })
    expect(behaviour.body.faults).toMatchObject({ p503: 1, p500: 0 })
    expect(env.emulator.vault('ctl').behaviour.faults.p503).toBe(1)
    const { secrets } = env.clients(env.emulator.vault('ctl'))
    await expect(secrets.getSecret('a')).rejects.toMatchObject({ statusCode: 503 })
    await call('PATCH', '/vaults/ctl/behaviour', { faults: { p503: 0 } })

    const before = (await call('GET', '/clock')).body.now
    const after = (await call('POST', '/clock/advance', { days: 1 })).body.now
    expect(after - before).toBeGreaterThanOrEqual(86_400_000)

    const log = await call('GET', '/log?vault=ctl')
    expect(
      log.body.some(
        (e: { status: number; principal: string }) => e.status === 503 && e.principal === TEST_OID
      )
    ).toBe(true)
    expect((await call('DELETE', '/log')).status).toBe(204)
    expect((await call('GET', '/log')).body).toEqual([])
    expect((await call('GET', '/vaults/nope/state')).status).toBe(404)
    expect((await call('POST', '/vaults/ctl/seed', { type: 'blob', name: 'x' })).status).toBe(400)
  })
})
