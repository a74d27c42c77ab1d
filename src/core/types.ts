/** The object collections a vault holds, named as in the REST paths (`/secrets`, `/keys`, `/certificates`). */
export type ItemType = 'secrets' | 'keys' | 'certificates'

/** Every item type, in the order backup and reports use. */
export const ITEM_TYPES: readonly ItemType[] = ['secrets', 'keys', 'certificates']

/** What listing a vault tells us about one object (never its value). */
export interface VaultItem {
  type: ItemType
  name: string
  enabled: boolean
  /** True for the key and secret that back a certificate; they are covered by the certificate's backup. */
  managed: boolean
  contentType?: string
  tags: Record<string, string>
  /** ISO 8601. */
  updatedOn?: string
  recoveryLevel?: string
}

/** Where log lines go: `@actions/core` in the action, the console in the CLI, an array in tests. */
export interface Logger {
  info(message: string): void
  warning(message: string): void
  debug(message: string): void
}

/** Milliseconds since the epoch; injected so tests control time. */
export interface Clock {
  now(): number
}

/** Waits the given milliseconds; injected so retry tests run instantly. */
export type Sleep = (ms: number) => Promise<void>

/** The real clock and sleep, for production wiring. */
export const systemClock: Clock = { now: () => Date.now() }

/** A real `setTimeout` sleep. */
export const realSleep: Sleep = ms => new Promise(resolve => setTimeout(resolve, ms))
