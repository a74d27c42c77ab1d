/**
 * Entra's OAuth error answers, with the real AADSTS wordings (as seen in public bug reports) and the
 * real body shape: `{error, error_description, error_codes, timestamp, trace_id, correlation_id, error_uri}`,
 * the description ending in trace id, correlation id and timestamp lines.
 */
import { randomUUID } from 'node:crypto'

export interface EntraError {
  status: number
  error: string
  code: number
  message: string
}

/** Entra's timestamp style: `2024-10-02 22:05:03Z`. */
export const entraTimestamp = (ms = Date.now()): string =>
  new Date(ms).toISOString().replace('T', ' ').slice(0, 19) + 'Z'

/** .NET round-trip style used inside AADSTS700024: `2024-10-02T22:05:03.0000000Z`. */
const dotnetTime = (seconds: number): string =>
  new Date(seconds * 1000).toISOString().slice(0, 19) + '.0000000Z'

/** Builds the JSON body Entra sends for an error; `correlationId` echoes the client's `client-request-id`. */
export function errorBody(
  e: EntraError,
  host: string,
  correlationId: string = randomUUID()
): Record<string, unknown> {
  const traceId = randomUUID()
  const timestamp = entraTimestamp()
  return {
    error: e.error,
    error_description:
      `AADSTS${e.code}: ${e.message}\r\nTrace ID: ${traceId}\r\n` +
      `Correlation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
    error_codes: [e.code],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `https://${host}/error?code=${e.code}`
  }
}

/** The errors the fake raises; each returns the status, the OAuth error and the AADSTS text. */
export const AADSTS = {
  tenantNotFound: (tenant: string): EntraError => ({
    status: 400,
    error: 'invalid_tenant',
    code: 90002,
    message:
      `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into ` +
      'the correct cloud. Check with your subscription administrator, this may happen if there are no active ' +
      'subscriptions for the tenant.'
  }),
  govTenantOnPublicEndpoint: (): EntraError => ({
    status: 400,
    error: 'invalid_request',
    code: 900439,
    message:
      'Confidential Client requests are not supported on the public endpoint (login.microsoftonline.com) for ' +
      'tenants in the Azure Government cloud. Send your login requests to https://login.microsoftonline.us ' +
      'instead. Please see https://devblogs.microsoft.com/azuregov/azure-government-aad-authority-endpoint-update/ ' +
      'for more details'
  }),
  noTenantInRequest: (): EntraError => ({
    status: 400,
    error: 'invalid_request',
    code: 50059,
    message:
      'No tenant-identifying information found in either the request or implied by any provided credentials.'
  }),
  unknownClient: (clientId: string, tenant: string): EntraError => ({
    status: 400,
    error: 'unauthorized_client',
    code: 700016,
    message:
      `Application with identifier '${clientId}' was not found in the directory '${tenant}'. This can happen ` +
      'if the application has not been installed by the administrator of the tenant or consented to by any ' +
      'user in the tenant. You may have sent your authentication request to the wrong tenant.'
  }),
  invalidSecret: (clientId: string): EntraError => ({
    status: 401,
    error: 'invalid_client',
    code: 7000215,
    message:
      'Invalid client secret provided. Ensure the secret being sent in the request is the client secret ' +
      `value, not the client secret ID, for a secret added to app '${clientId}'.`
  }),
  noCredential: (): EntraError => ({
    status: 401,
    error: 'invalid_client',
    code: 7000216,
    message:
      "'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type."
  }),
  unsupportedGrant: (grant: string): EntraError => ({
    status: 400,
    error: 'unsupported_grant_type',
    code: 70003,
    message: `The app requested an unsupported grant type '${grant}'.`
  }),
  missingField: (field: string): EntraError => ({
    status: 400,
    error: 'invalid_request',
    code: 900144,
    message: `The request body must contain the following parameter: '${field}'.`
  }),
  badScope: (scope: string): EntraError => ({
    status: 400,
    error: 'invalid_scope',
    code: 1002012,
    message:
      `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value ` +
      'with /.default suffixed to the resource identifier (application ID URI).'
  }),
  badAssertionType: (): EntraError => ({
    status: 400,
    error: 'invalid_request',
    code: 50027,
    message: "The client_assertion_type must be 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'."
  }),
  malformedAssertion: (): EntraError => ({
    status: 400,
    error: 'invalid_request',
    code: 50027,
    message: 'JWT token is invalid or is malformed.'
  }),
  assertionSignature: (): EntraError => ({
    status: 401,
    error: 'invalid_client',
    code: 700027,
    message: 'Client assertion failed signature validation.'
  }),
  assertionTime: (now: number, nbf: number, exp: number): EntraError => ({
    status: 401,
    error: 'invalid_client',
    code: 700024,
    message:
      `Client assertion is not within its valid time range. Current time: ${dotnetTime(now)}, assertion ` +
      `valid from ${dotnetTime(nbf)}, expiry time of assertion ${dotnetTime(exp)}. Review the documentation ` +
      'at https://learn.microsoft.com/entra/identity-platform/certificate-credentials .'
  }),
  noFederatedRecord: (issuer: string, subject: string, audience: string): EntraError => ({
    status: 400,
    error: 'invalid_request',
    code: 70021,
    message:
      'No matching federated identity record found for presented assertion. ' +
      `Assertion Issuer: '${issuer}'. Assertion Subject: '${subject}'. Assertion Audience: '${audience}'. ` +
      'https://learn.microsoft.com/entra/workload-id/workload-identity-federation'
  })
}
