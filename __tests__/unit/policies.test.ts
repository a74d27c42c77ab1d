/**
 * The request guard: "backup and restore never read a secret value; the secret client refuses such
 * requests before they are sent" (README, Security and restore permissions). The table pins what each
 * request the Key Vault SDKs send needs; the guard tests show the refusal happens before `next`, is
 * shaped as a 404 (so the SDK's recover poller reads it as "not yet"), and leaves allowed requests
 * alone; the last tests drive a real SecretClient over a fake http client.
 */
import {
  createHttpHeaders,
  createPipelineRequest,
  type PipelineRequest,
  type PipelineResponse,
  type SendRequest
} from '@azure/core-rest-pipeline'
import { SecretClient } from '@azure/keyvault-secrets'
import { capabilityOf, requestGuard, type VaultCapability } from '../../src/adapters/policies.js'
import { IF_DELETED, IF_EXISTS } from '../../src/core/plan.js'
import { restoreCapabilities } from '../../src/operations/restore/job.js'
import { credentialStub, FakeVaultHttp, notFound, VAULT_URL } from './fake-vault-http.js'

type Row = [method: string, path: string, capability: VaultCapability | undefined]

/** Every request shape the secrets, keys and certificates SDKs send, by what it needs. */
const REQUESTS: Row[] = [
  // Listings: properties only.
  ['GET', '/secrets', 'list'],
  ['GET', '/secrets/x/versions', 'list'],
  ['GET', '/deletedsecrets', 'list'],
  ['GET', '/keys', 'list'],
  ['GET', '/keys/x/versions', 'list'],
  ['GET', '/deletedkeys', 'list'],
  ['GET', '/certificates', 'list'],
  ['GET', '/certificates/x/versions', 'list'],
  ['GET', '/deletedcertificates', 'list'],
  // Backup and restore.
  ['POST', '/secrets/x/backup', 'backup'],
  ['POST', '/keys/x/backup', 'backup'],
  ['POST', '/certificates/x/backup', 'backup'],
  ['POST', '/secrets/restore', 'restore'],
  ['POST', '/keys/restore', 'restore'],
  ['POST', '/certificates/restore', 'restore'],
  // A secret named 'restore' is backed up, not restored into.
  ['POST', '/secrets/restore/backup', 'backup'],
  // Delete, purge, recover.
  ['DELETE', '/secrets/x', 'delete'],
  ['DELETE', '/keys/x', 'delete'],
  ['DELETE', '/certificates/x', 'delete'],
  ['DELETE', '/deletedsecrets/x', 'purge'],
  ['DELETE', '/deletedkeys/x', 'purge'],
  ['DELETE', '/deletedcertificates/x', 'purge'],
  ['POST', '/deletedsecrets/x/recover', 'recover'],
  ['POST', '/deletedkeys/x/recover', 'recover'],
  ['POST', '/deletedcertificates/x/recover', 'recover'],
  // A secret's value (the latest version, or one version), a certificate and its policy.
  ['GET', '/secrets/x/', 'read-values'],
  ['GET', '/secrets/x', 'read-values'],
  ['GET', '/secrets/x/v1', 'read-values'],
  ['GET', '/secrets/x/0123456789abcdef0123456789abcdef', 'read-values'],
  ['GET', '/certificates/x/', 'read-values'],
  ['GET', '/certificates/x/v1', 'read-values'],
  ['GET', '/certificates/x/policy', 'read-values'],
  ['GET', '/certificates/x/pending', 'read-values'],
  // A single deleted item: its body carries the value; no operation may send it.
  ['GET', '/deletedsecrets/x', undefined],
  ['GET', '/deletedkeys/x', undefined],
  ['GET', '/deletedcertificates/x', undefined],
  // Writes: set a secret, import a certificate, update properties, cancel a pending operation.
  ['PUT', '/secrets/x', 'write'],
  ['PATCH', '/secrets/x/v1', 'write'],
  ['PATCH', '/secrets/x/', 'write'],
  ['POST', '/certificates/x/import', 'write'],
  ['PATCH', '/certificates/x/v1', 'write'],
  ['PATCH', '/certificates/x/policy', 'write'],
  ['PATCH', '/certificates/x/pending', 'write'],
  // Requests no operation of ours sends: keys read, created, imported, updated, rotated; pending merge/delete.
  ['GET', '/keys/x/', undefined],
  ['GET', '/keys/x/v1', undefined],
  ['PUT', '/keys/x', undefined],
  ['POST', '/keys/x/create', undefined],
  ['PATCH', '/keys/x/v1', undefined],
  ['POST', '/keys/x/rotate', undefined],
  ['POST', '/keys/x/v1/decrypt', undefined],
  ['POST', '/certificates/x/create', undefined],
  ['POST', '/certificates/x/pending/merge', undefined],
  ['DELETE', '/certificates/x/pending', undefined],
  ['PUT', '/certificates/x', undefined],
  ['POST', '/secrets/x', undefined],
  ['GET', '/secrets/x/v1/extra', undefined]
]

describe('capabilityOf', () => {
  it.each(REQUESTS)('%s %s needs %s', (method, path, capability) => {
    expect(capabilityOf(method, path)).toBe(capability)
  })

  it('reads the method in any case', () => {
    expect(capabilityOf('get', '/secrets/x/')).toBe('read-values')
    expect(capabilityOf('post', '/secrets/x/backup')).toBe('backup')
  })
})

const BACKUP: VaultCapability[] = ['list', 'backup']
/** The distinct capability sets restore builds its target with, over every policy combination. */
const RESTORE_SETS = [
  ...new Map(
    IF_EXISTS.flatMap(ifExists =>
      IF_DELETED.map(ifDeleted => {
        const allowed = restoreCapabilities({ ifExists, ifDeleted })
        return [[...new Set(allowed)].sort().join(','), allowed] as const
      })
    )
  ).entries()
].map(([title, allowed]) => ({ title: `restore [${title}]`, allowed }))
const SETS = [{ title: 'backup [backup,list]', allowed: BACKUP }, ...RESTORE_SETS]

/** Value reads and single deleted-item reads: refused by every operation. */
const NEVER: Array<[string, string]> = [
  ['GET', '/secrets/x/'],
  ['GET', '/secrets/x/0123456789abcdef0123456789abcdef'],
  ['GET', '/certificates/x/'],
  ['GET', '/certificates/x/policy'],
  ['GET', '/keys/x/'],
  ['GET', '/deletedsecrets/x'],
  ['GET', '/deletedkeys/x'],
  ['GET', '/deletedcertificates/x'],
  ['PUT', '/secrets/x']
]

const request = (method: string, path: string): PipelineRequest =>
  createPipelineRequest({
    url: `${VAULT_URL}${path}?api-version=2025-07-01`,
    method: method as PipelineRequest['method']
  })

/** A `next` that records the requests it is handed and answers 200. */
function recordingNext(): { next: SendRequest; calls: PipelineRequest[]; responses: PipelineResponse[] } {
  const calls: PipelineRequest[] = []
  const responses: PipelineResponse[] = []
  const next: SendRequest = async req => {
    calls.push(req)
    const response = { request: req, status: 200, headers: createHttpHeaders() }
    responses.push(response)
    return response
  }
  return { next, calls, responses }
}

describe.each(SETS)('requestGuard for $title', ({ allowed }) => {
  it.each(NEVER)('refuses %s %s before calling next, as a 404', async (method, path) => {
    const { next, calls } = recordingNext()
    const error = await requestGuard(allowed)
      .sendRequest(request(method, path), next)
      .then(
        () => undefined,
        (e: unknown) => e
      )
    expect(calls).toEqual([])
    expect(error).toBeInstanceOf(Error)
    expect(error).toMatchObject({ statusCode: 404, code: 'RequestRefusedByKeyvaultBackup' })
    expect((error as Error).message).toContain(`${method} ${path}`)
  })

  it('passes exactly the requests its capabilities allow, untouched, and refuses the rest', async () => {
    const seen: string[] = []
    const expected: string[] = []
    for (const [method, path, capability] of REQUESTS) {
      const { next, calls, responses } = recordingNext()
      const sent = request(method, path)
      const outcome = await requestGuard(allowed)
        .sendRequest(sent, next)
        .then(
          response =>
            calls.length === 1 && calls[0] === sent && response === responses[0] ? 'passed' : 'altered',
          (error: unknown) =>
            calls.length === 0 && (error as { statusCode?: number }).statusCode === 404 ? 'refused' : 'leaked'
        )
      seen.push(`${method} ${path}: ${outcome}`)
      expected.push(`${method} ${path}: ${capability && allowed.includes(capability) ? 'passed' : 'refused'}`)
    }
    expect(seen).toEqual(expected)
  })
})

describe('restore capabilities', () => {
  it.each([
    ['skip', 'fail', ['list', 'restore']],
    ['fail', 'skip', ['list', 'restore']],
    ['replace', 'fail', ['list', 'restore', 'delete', 'purge']],
    ['skip', 'purge', ['list', 'restore', 'purge']],
    ['skip', 'recover', ['list', 'restore', 'recover']],
    ['replace', 'recover', ['list', 'restore', 'delete', 'purge', 'recover']]
  ] as const)('if-exists %s, if-deleted %s: %j', (ifExists, ifDeleted, expected) => {
    expect([...restoreCapabilities({ ifExists, ifDeleted })].sort()).toEqual([...expected].sort())
  })

  it('never includes reading values or writing, whatever the policy', () => {
    for (const { allowed } of RESTORE_SETS) {
      expect(allowed).not.toContain('read-values')
      expect(allowed).not.toContain('write')
    }
  })
})

/**
 * The secret as the fake vault holds it: soft-deleted until a recover POST arrives, then active.
 * Its value must never be fetched by a guarded client.
 */
function deletedSecretVault(): FakeVaultHttp {
  let recovered = false
  const bundle = {
    id: `${VAULT_URL}/secrets/x/0123456789abcdef0123456789abcdef`,
    value: 'the-secret-value',
    attributes: { enabled: true, recoveryLevel: 'Recoverable+Purgeable' }
  }
  return new FakeVaultHttp((method, url) => {
    if (method === 'POST' && url.pathname === '/deletedsecrets/x/recover') {
      recovered = true
      return { status: 200, body: { ...bundle, value: undefined } }
    }
    if (method === 'GET' && /^\/secrets\/x\/[^/]*$/.test(url.pathname)) {
      return recovered ? { status: 200, body: bundle } : notFound('x')
    }
    return notFound(url.pathname)
  })
}

function secretClient(http: FakeVaultHttp, guarded: boolean): SecretClient {
  return new SecretClient(VAULT_URL, credentialStub, {
    httpClient: http,
    retryOptions: { maxRetries: 0 },
    disableChallengeResourceVerification: true,
    additionalPolicies: guarded ? [{ policy: requestGuard(['list', 'recover']), position: 'perCall' }] : []
  })
}

describe('a real SecretClient', () => {
  it('with the guard: the recover is sent, the poller and getSecret never read the value', async () => {
    const http = deletedSecretVault()
    const client = secretClient(http, true)
    const poller = await client.beginRecoverDeletedSecret('x')
    expect(poller.isDone()).toBe(false)
    await expect(client.getSecret('x')).rejects.toMatchObject({
      statusCode: 404,
      code: 'RequestRefusedByKeyvaultBackup'
    })
    expect(http.authorizedRequests).toEqual(['POST /deletedsecrets/x/recover'])
    expect(http.sent.filter(s => s.method === 'GET')).toEqual([])
  })

  it('without the guard the same calls read the value (so the test above holds the guard)', async () => {
    const http = deletedSecretVault()
    const client = secretClient(http, false)
    await client.beginRecoverDeletedSecret('x')
    const secret = await client.getSecret('x')
    expect(secret.value).toBe('the-secret-value')
    expect(http.authorizedRequests).toEqual([
      'GET /secrets/x/',
      'POST /deletedsecrets/x/recover',
      'GET /secrets/x/',
      'GET /secrets/x/'
    ])
  })
})
