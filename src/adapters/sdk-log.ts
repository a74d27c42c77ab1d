import { AzureLogger } from '@azure/logger'
import { format } from 'node:util'

const BEARER = /\b(Bearer|PoP)\s+[^\s"',;]+/gi
const JWT = /\beyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]*/g
const FORM_SECRET =
  /\b(client_assertion|client_secret|access_token|refresh_token|id_token)(["']?\s*[:=]\s*["']?)[^\s"'&,}]+/gi
// Backup blobs are long base64url runs; nothing else the SDK logs looks like that.
const LONG_BASE64 = /[A-Za-z0-9_-]{200,}={0,2}/g

/** Replaces tokens, credentials and blob-like runs in a log line. */
export function redactCredentials(text: string): string {
  return text
    .replace(BEARER, '$1 [redacted]')
    .replace(JWT, '[redacted JWT]')
    .replace(FORM_SECRET, '$1$2[redacted]')
    .replace(LONG_BASE64, '[redacted]')
}

/**
 * Users turn on AZURE_LOG_LEVEL to debug sign-in or network trouble. The SDK then prints raw objects
 * to stderr, sockets with their `authorization: Bearer ...` headers among them. Route its log
 * through `write` (core.debug in the action) with credentials redacted, so no level of SDK logging
 * can print a token or a blob.
 */
export function routeSdkLog(write: (line: string) => void): void {
  AzureLogger.log = (...args: unknown[]) => write(redactCredentials(format(...args)))
}
