/**
 * Resource Manager's error answers, with the real wordings seen in public bug reports and SDK issues:
 * `{"error":{"code","message"}}`.
 */

export class ArmError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {}
  ) {
    super(message)
  }

  body(): { error: { code: string; message: string } } {
    return { error: { code: this.code, message: this.message } }
  }
}

/** ARM's 401s carry a challenge naming the authority (`login.windows.net` in the public cloud). */
const challenge = (authority: string, description: string): Record<string, string> => ({
  'www-authenticate': `Bearer authorization_uri="${authority}", error="invalid_token", error_description="${description}"`
})

export const ARM = {
  missingToken: (authority: string): ArmError =>
    new ArmError(
      401,
      'AuthenticationFailed',
      "Authentication failed. The 'Authorization' header is missing.",
      challenge(authority, "The authentication failed because of missing 'Authorization' header.")
    ),
  invalidToken: (authority: string): ArmError =>
    new ArmError(
      401,
      'InvalidAuthenticationToken',
      'The access token is invalid.',
      challenge(authority, 'The access token is invalid.')
    ),
  expiredToken: (authority: string, exp: number, now: number): ArmError =>
    new ArmError(
      401,
      'ExpiredAuthenticationToken',
      `The access token expiry UTC time '${armTime(exp)}' is earlier than current UTC time '${armTime(now)}'.`,
      challenge(authority, 'The access token expiry UTC time is earlier than current UTC time.')
    ),
  wrongAudience: (authority: string, aud: string, allowed: readonly string[]): ArmError =>
    new ArmError(
      401,
      'InvalidAuthenticationTokenAudience',
      `The access token has been obtained for wrong audience or resource '${aud}'. It should exactly match with ` +
        `one of the allowed audiences ${allowed.map(a => `'${a}'`).join(',')}.`,
      challenge(authority, 'The access token has been obtained from wrong audience or resource.')
    ),
  /** A token of one tenant used on another tenant's subscription (wording from many public reports). */
  wrongTenant: (authority: string, issuer: string, expectedIssuer: string, tenantId: string): ArmError =>
    new ArmError(
      401,
      'InvalidAuthenticationTokenTenant',
      `The access token is from the wrong issuer '${issuer}'. It must match the tenant '${expectedIssuer}' ` +
        `associated with this subscription. Please use the authority (URL) '${authority}/${tenantId}' to get the ` +
        'token. Note, if the subscription is transferred to another tenant there is no impact to the services, ' +
        'but information about new tenant could take time to propagate (up to an hour). If you just transferred ' +
        'your subscription and see this error message, please try back later.',
      challenge(`${authority}/${tenantId}`, 'The access token is from the wrong issuer.')
    ),
  missingApiVersion: (): ArmError =>
    new ArmError(
      400,
      'MissingApiVersionParameter',
      'The api-version query parameter (?api-version=) is required for all requests.'
    ),
  badApiVersion: (version: string): ArmError =>
    new ArmError(
      400,
      'InvalidApiVersionParameter',
      `The api-version '${version}' is invalid. The supported versions are '2026-02-01,2025-05-01,2024-11-01,2023-07-01,2022-12-01,2022-07-01,2019-09-01,2016-06-01,2015-11-01'.`
    ),
  methodNotAllowed: (method: string): ArmError =>
    new ArmError(405, 'MethodNotAllowed', `The requested resource does not support http method '${method}'.`),
  /** 403 for a missing management permission: the client and its object id are both the principal's oid. */
  authorizationFailed: (oid: string, action: string, scope: string): ArmError =>
    new ArmError(
      403,
      'AuthorizationFailed',
      `The client '${oid}' with object id '${oid}' does not have authorization to perform action '${action}' ` +
        `over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`
    ),
  subscriptionNotFound: (subscriptionId: string): ArmError =>
    new ArmError(404, 'SubscriptionNotFound', `The subscription '${subscriptionId}' could not be found.`),
  resourceGroupNotFound: (group: string): ArmError =>
    new ArmError(404, 'ResourceGroupNotFound', `Resource group '${group}' could not be found.`),
  resourceNotFound: (type: string, name: string, group: string): ArmError =>
    new ArmError(
      404,
      'ResourceNotFound',
      `The Resource '${type}/${name}' under resource group '${group}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`
    ),
  noRoute: (path: string): ArmError =>
    new ArmError(404, 'NotFound', `The test bed's Resource Manager has no route for '${path}'.`),
  /** ARM's token bucket is empty (wording from a 2025 public report). */
  throttled: (scope: 'subscription' | 'tenant', id: string, actor: string, retryAfter: number): ArmError =>
    new ArmError(
      429,
      scope === 'subscription' ? 'SubscriptionRequestsThrottled' : 'TenantRequestsThrottled',
      `Number of 'read' requests for ${scope} '${id}' actor '${actor}' exceeded. Please try again after ` +
        `'${retryAfter}' seconds after additional tokens are available. Refer to https://aka.ms/arm-throttling ` +
        'for additional information.',
      { 'retry-after': String(retryAfter) }
    )
}

/** ARM's time style in token errors: `10/02/2024 22:05:03`. */
function armTime(seconds: number): string {
  const d = new Date(seconds * 1000)
  const p = (n: number): string => String(n).padStart(2, '0')
  return `${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())}/${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`
}
