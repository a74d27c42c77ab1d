/**
 * The little of Azure Resource Manager that `az login` reads: the subscriptions and tenants listings.
 * Bearer tokens must be this fake Entra's, issued for the management audience.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { JsonWebKey } from 'node:crypto'
import { verifyJwt } from '../jwt.js'
import { bearerToken, sendJson } from '../http.js'

const MANAGEMENT_AUDIENCES = [
  'https://management.core.windows.net/',
  'https://management.core.windows.net',
  'https://management.azure.com/',
  'https://management.azure.com'
]

function armError(res: ServerResponse, status: number, code: string, message: string): void {
  sendJson(res, status, { error: { code, message } })
}

/** Answers `/subscriptions` and `/tenants`; returns false for any other path. */
export function handleArm(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  ctx: { tenantId: string; jwks: JsonWebKey[] }
): boolean {
  if (path !== '/subscriptions' && path !== '/tenants') return false
  const token = bearerToken(req)
  if (!token) {
    armError(
      res,
      401,
      'AuthenticationFailed',
      "Authentication failed. The 'Authorization' header is missing."
    )
    return true
  }
  let aud: unknown
  try {
    aud = verifyJwt(token, ctx.jwks).aud
  } catch {
    armError(res, 401, 'InvalidAuthenticationToken', 'The access token is invalid.')
    return true
  }
  if (typeof aud !== 'string' || !MANAGEMENT_AUDIENCES.includes(aud)) {
    armError(
      res,
      401,
      'InvalidAuthenticationTokenAudience',
      `The access token has been obtained for wrong audience or resource '${String(aud)}'. It should exactly ` +
        `match with one of the allowed audiences ${MANAGEMENT_AUDIENCES.map(a => `'${a}'`).join(',')}.`
    )
    return true
  }
  if (req.method !== 'GET') {
    armError(
      res,
      405,
      'MethodNotAllowed',
      `The requested resource does not support http method '${req.method}'.`
    )
    return true
  }
  if (path === '/subscriptions') {
    sendJson(res, 200, { value: [] })
  } else {
    sendJson(res, 200, {
      value: [
        {
          id: `/tenants/${ctx.tenantId}`,
          tenantId: ctx.tenantId,
          countryCode: 'US',
          displayName: 'Test Bed',
          domains: ['testbed.onmicrosoft.com'],
          tenantCategory: 'Home',
          defaultDomain: 'testbed.onmicrosoft.com',
          tenantType: 'AAD'
        }
      ]
    })
  }
  return true
}
