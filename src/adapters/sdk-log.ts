import { AzureLogger } from '@azure/logger'
import { TypeSpecRuntimeLogger } from '@typespec/ts-http-runtime'
import { format } from 'node:util'

const BEARER = /\b(Bearer|PoP|Basic)\s+[^\s"',;]+/gi
// A user and password in a URL (a proxy's, most often): http://user:pass@host.
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@:"']+:[^\s/@"']+@/gi
const JWT = /\beyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]*/g
// A credential in a form or JSON: a quoted value is redacted whole (it may hold spaces).
const QUOTED_SECRET =
  /\b(client_assertion|client_secret|access_token|refresh_token|id_token|password|pwd|value)("?\s*:\s*")(?:[^"\\]|\\.)*"/gi
const FORM_SECRET =
  /\b(client_assertion|client_secret|access_token|refresh_token|id_token|password|pwd|value)(["']?\s*[:=]\s*["']?)[^\s"'&,}]+/gi
// A SAS signature (and any `sig`/`signature` parameter) in a URL.
const SIGNATURE = /\b(sig|signature)=[^\s&"']+/gi
// Backup blobs are long base64url runs; nothing else the SDK logs looks like that.
const LONG_BASE64 = /[A-Za-z0-9_-]{200,}={0,2}/g
// A key or secret in hex: 32 hex digits (128 bits) or more.
const HEX = /\b[0-9a-fA-F]{32,}\b/g
// A key or secret in base64 (standard or url-safe): a run of 24 or more with upper case, lower case and digits.
const BASE64 = /(?<![\w+/-])(?=[\w+/-]*[A-Z])(?=[\w+/-]*[a-z])(?=[\w+/-]*\d)[A-Za-z0-9+/_-]{24,}={0,2}/g

/** Replaces tokens, credentials, signatures and secret-like runs in a log line. */
export function redactCredentials(text: string): string {
  return text
    .replace(BEARER, '$1 [redacted]')
    .replace(URL_CREDENTIALS, '$1[redacted]@')
    .replace(JWT, '[redacted JWT]')
    .replace(QUOTED_SECRET, '$1$2[redacted]"')
    .replace(FORM_SECRET, '$1$2[redacted]')
    .replace(SIGNATURE, '$1=[redacted]')
    .replace(LONG_BASE64, '[redacted]')
    .replace(HEX, '[redacted hex]')
    .replace(BASE64, '[redacted]')
}

/**
 * Users turn on AZURE_LOG_LEVEL (or TYPESPEC_RUNTIME_LOG_LEVEL) to debug sign-in or network
 * trouble. The SDK then prints raw objects to stderr, sockets with their `authorization: Bearer ...`
 * headers among them. Route both loggers through `write` (core.debug in the action) with
 * credentials redacted, so no level of SDK logging can print a token, a secret or a blob.
 */
export function routeSdkLog(write: (line: string) => void): void {
  const log = (...args: unknown[]): void => write(redactCredentials(format(...args)))
  AzureLogger.log = log
  TypeSpecRuntimeLogger.log = log
}
