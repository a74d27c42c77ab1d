import {
  createHttpHeaders,
  type HttpClient,
  type PipelineRequest,
  type PipelineResponse
} from '@azure/core-rest-pipeline'
import type { TokenCredential } from '@azure/identity'

/** A vault address no test resolves: every request ends in the fake http client below. */
export const VAULT_URL = 'https://fake-vault.vault.azure.net'

/** A credential that hands out one opaque token, valid far into the future. */
export const credentialStub: TokenCredential = {
  getToken: async () => ({ token: 'stub-access-token', expiresOnTimestamp: Date.UTC(2100, 0, 1) })
}

/** One request as the fake saw it. */
export interface SentRequest {
  method: string
  /** Path and query, e.g. `/secrets?api-version=...`. */
  url: URL
  /** Whether it carried a bearer token (the SDK's first request goes without, to get the challenge). */
  authorized: boolean
}

/** What the fake answers to an authorized request. */
export interface FakeAnswer {
  status: number
  body?: unknown
}

/**
 * core-rest-pipeline's `HttpClient`, answering like Key Vault: a 401 challenge to a request without a
 * token (the SDK's challenge policy sends one first), else whatever `answer` says. Records every
 * request in `sent`, so a test sees exactly what would have left the process.
 */
export class FakeVaultHttp implements HttpClient {
  readonly sent: SentRequest[] = []

  constructor(private readonly answer: (method: string, url: URL) => FakeAnswer | Promise<FakeAnswer>) {}

  /** `METHOD /path` of each request that carried a token, in order. */
  get authorizedRequests(): string[] {
    return this.sent.filter(s => s.authorized).map(s => `${s.method} ${s.url.pathname}`)
  }

  async sendRequest(request: PipelineRequest): Promise<PipelineResponse> {
    const url = new URL(request.url)
    const authorized = request.headers.has('authorization')
    this.sent.push({ method: request.method, url, authorized })
    if (!authorized) {
      return {
        request,
        status: 401,
        headers: createHttpHeaders({
          'www-authenticate':
            'Bearer authorization="https://login.microsoftonline.com/72f988bf-0000-4000-8000-00000000a001", resource="https://vault.azure.net"'
        })
      }
    }
    const { status, body } = await this.answer(request.method, url)
    return {
      request,
      status,
      headers: createHttpHeaders({ 'content-type': 'application/json; charset=utf-8' }),
      ...(body !== undefined && { bodyAsText: JSON.stringify(body) })
    }
  }
}

/** The service's 404 body for a name it does not hold. */
export const notFound = (what: string): FakeAnswer => ({
  status: 404,
  body: {
    error: {
      code: 'SecretNotFound',
      message: `A secret with (name/id) ${what} was not found in this key vault.`
    }
  }
})
