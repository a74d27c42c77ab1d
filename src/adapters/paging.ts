import { AsyncLocalStorage } from 'node:async_hooks'
import type { SecretClientOptions } from '@azure/keyvault-secrets'
import type { Page } from '../core/paging.js'

type PipelinePolicy = NonNullable<SecretClientOptions['additionalPolicies']>[number]['policy']

/** What the policy saw of the one page request made inside a `readPage` scope. */
interface PageCapture {
  seen: boolean
  nextLink?: string
  /** A refused page: its status and the service's error body. */
  refused?: { status: number; body: string | undefined }
}

const scope = new AsyncLocalStorage<PageCapture>()

/**
 * Records a listing page's `nextLink`. The Key Vault SDKs (secrets 4.12, keys and certificates
 * 4.10) map each page with `page.map(...)`, which drops the `continuationToken` the inner pager
 * sets, so a caller of `byPage()` cannot resume a listing after a failed page. The policy reads the
 * raw body of a successful GET made inside a `readPage` scope (AsyncLocalStorage keeps concurrent
 * listings apart); `byPage({ continuationToken: nextLink })` then resumes exactly there.
 */
export const pageLinkPolicy: PipelinePolicy = {
  name: 'keyvaultBackupPageLink',
  sendRequest: async (request, next) => {
    const response = await next(request)
    const capture = scope.getStore()
    if (capture && request.method === 'GET' && response.status === 200) {
      capture.seen = true
      capture.nextLink = readNextLink(response.bodyAsText)
    } else if (capture && request.method === 'GET' && response.status >= 400) {
      capture.refused = { status: response.status, body: response.bodyAsText ?? undefined }
    }
    return response
  }
}

function readNextLink(body: string | null | undefined): string | undefined {
  if (!body) return undefined
  try {
    const link = (JSON.parse(body) as { nextLink?: unknown }).nextLink
    return typeof link === 'string' && link !== '' ? link : undefined
  } catch {
    return undefined
  }
}

type ByPage<T> = (settings: { continuationToken?: string; maxPageSize?: number }) => AsyncIterator<T[]>

/**
 * Fetches exactly one page of an SDK listing, starting at `continuationToken` (the first page when
 * undefined), and returns its items with the token of the next page (absent on the last page).
 * Throws rather than guess when neither the page nor the policy tells where the listing goes on:
 * treating an unknown as "last page" would silently drop items.
 */
export async function readPage<T>(
  byPage: ByPage<T>,
  continuationToken: string | undefined,
  maxPageSize = 25
): Promise<Page<T>> {
  const capture: PageCapture = { seen: false }
  const iterator = byPage({ continuationToken, maxPageSize })
  try {
    const result = await scope
      .run(capture, () => iterator.next())
      .catch((error: unknown) => {
        throw serviceError(error, capture.refused)
      })
    const items = result.done ? [] : (result.value ?? [])
    const own = items as T[] & { continuationToken?: string }
    let next: string | undefined
    if (typeof own.continuationToken === 'string') next = own.continuationToken || undefined
    else if (capture.seen) next = capture.nextLink
    else if (!result.done)
      throw new Error(
        'cannot tell where the listing continues (the clients lack the page-link policy: build them with createVaultClients)'
      )
    return { items, ...(next && { continuationToken: next }) }
  } finally {
    // One page per iterator: close it so the SDK's generator does not wait on a page never read.
    await iterator.return?.().catch(() => undefined)
  }
}

/**
 * The SDKs' pagers turn a refused page into "Pagination failed with unexpected statusCode 403",
 * dropping the service's answer: the refusal the policy saw takes its place, with the status, the
 * error code and the message (which names the missing data action, or the firewall's refusal).
 */
function serviceError(error: unknown, refused: PageCapture['refused']): unknown {
  if (!refused || !/Pagination failed/i.test(String((error as Error)?.message))) return error
  let body: { error?: { code?: string; message?: string; innererror?: { code?: string } } } = {}
  try {
    body = JSON.parse(refused.body ?? '{}')
  } catch {
    // not JSON: keep the status
  }
  return Object.assign(new Error(body.error?.message ?? `the service answered ${refused.status}`), {
    name: 'RestError',
    statusCode: refused.status,
    ...(body.error?.code && { code: body.error.code }),
    ...(body.error?.innererror?.code && { innerCode: body.error.innererror.code }),
    ...((error as { response?: unknown }).response !== undefined && {
      response: (error as { response?: unknown }).response
    })
  })
}
