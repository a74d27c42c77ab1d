/** Command-line options of `npm run bench`. */

export interface BenchOptions {
  mode: 'quick' | 'full'
  items: number
  latencyMs: number
  jitterMs: number
  /** Token bucket per vault: Key Vault's documented 4,000 transactions per 10 s. */
  throttleLimit: number
  throttleWindowMs: number
  /** Items of the RSS run (0 skips it). */
  bigItems: number
  /** The copy's workload: secrets (versions: latest) and certificates (0 and 0 skip the copy). */
  copySecrets: number
  copyCertificates: number
  /** Secrets of the copy's peak-RSS run (0 skips it). */
  copyBigItems: number
  /** Discover over a generated fleet: vaults, subscriptions and Resource Manager's latency (0 vaults skips it). */
  discoverVaults: number
  discoverSubscriptions: number
  armLatencyMs: number
  azItems: number
  coldStartTrials: number
  /** The action's `concurrency` input; undefined leaves the action's default. */
  concurrency?: number
  /** Share of keys generated as RSA (the rest EC); the big run uses EC only. */
  rsaKeyShare: number
  /** Another bundle of the action instead of dist/index.js. */
  entry?: string
  outDir: string
  /** Run one more backup under `node --cpu-prof` and summarise the profile. */
  profile: boolean
}

export const USAGE = `npm run bench [-- options]
  --quick                200 items, no 10,000-item RSS runs, 5 az items, copy of 110, discover of 200 vaults
  --items N              items in the main workload (default 1000)
  --latency MS           fixed latency per request (default 25)
  --jitter MS            plus uniform jitter 0..MS (default 10)
  --throttle N/MS        token bucket per vault (default 4000/10000)
  --big N                items of the peak-RSS run (default 10000, 0 skips it)
  --copy-secrets N       secrets of the copy run (default 1000; --quick 100)
  --copy-certs N         certificates of the copy run (default 50; --quick 10)
  --copy-big N           secrets of the copy's peak-RSS run (default 10000, 0 skips it)
  --discover-vaults N    vaults of the discover run (default 2000; --quick 200; 0 skips it)
  --discover-subscriptions N  subscriptions they are spread over (default 10)
  --arm-latency MS       latency of each Resource Manager answer in the discover run (default 150)
  --az-items N           items of the az loop subset (default 10)
  --cold-start-trials N  (default 5)
  --concurrency N        the action's concurrency input (default: the action's own default)
  --rsa-share F          share of RSA keys in the main workload (default 0.25; the rest EC)
  --entry PATH           run another build of the action instead of dist/index.js
  --out DIR              where the JSON goes (default bench-results)
  --profile / --no-profile  one extra backup under node --cpu-prof (default: on, off with --quick)`

/** Parses argv (without node and the script). */
export function parseOptions(argv: string[]): BenchOptions {
  const quick = argv.includes('--quick')
  const options: BenchOptions = {
    mode: quick ? 'quick' : 'full',
    items: quick ? 200 : 1000,
    latencyMs: 25,
    jitterMs: 10,
    throttleLimit: 4000,
    throttleWindowMs: 10_000,
    bigItems: quick ? 0 : 10_000,
    copySecrets: quick ? 100 : 1000,
    copyCertificates: quick ? 10 : 50,
    copyBigItems: quick ? 0 : 10_000,
    discoverVaults: quick ? 200 : 2000,
    discoverSubscriptions: 10,
    armLatencyMs: 150,
    azItems: quick ? 5 : 10,
    coldStartTrials: quick ? 3 : 5,
    rsaKeyShare: 0.25,
    outDir: 'bench-results',
    profile: !quick
  }
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]
    if (flag === '--quick') continue
    if (flag === '--profile' || flag === '--no-profile') {
      options.profile = flag === '--profile'
      continue
    }
    if (flag === '--help' || flag === '-h') {
      console.log(USAGE)
      process.exit(0)
    }
    const value = argv[++i]
    if (value === undefined) throw new Error(`${flag} needs a value\n${USAGE}`)
    const num = (): number => {
      const n = Number(value)
      if (!Number.isFinite(n) || n < 0) throw new Error(`${flag} needs a number, got '${value}'`)
      return n
    }
    switch (flag) {
      case '--items':
        options.items = Math.max(10, Math.floor(num()))
        break
      case '--latency':
        options.latencyMs = num()
        break
      case '--jitter':
        options.jitterMs = num()
        break
      case '--throttle': {
        const [limit, windowMs] = value.split('/').map(Number)
        if (!(limit > 0 && windowMs > 0)) throw new Error(`--throttle needs N/MS, got '${value}'`)
        options.throttleLimit = limit
        options.throttleWindowMs = windowMs
        break
      }
      case '--big':
        options.bigItems = Math.floor(num())
        break
      case '--copy-secrets':
        options.copySecrets = Math.floor(num())
        break
      case '--copy-certs':
        options.copyCertificates = Math.floor(num())
        break
      case '--copy-big':
        options.copyBigItems = Math.floor(num())
        break
      case '--discover-vaults':
        options.discoverVaults = Math.floor(num())
        break
      case '--discover-subscriptions':
        options.discoverSubscriptions = Math.max(1, Math.floor(num()))
        break
      case '--arm-latency':
        options.armLatencyMs = num()
        break
      case '--az-items':
        options.azItems = Math.max(1, Math.floor(num()))
        break
      case '--cold-start-trials':
        options.coldStartTrials = Math.max(1, Math.floor(num()))
        break
      case '--concurrency':
        options.concurrency = Math.max(1, Math.floor(num()))
        break
      case '--rsa-share':
        options.rsaKeyShare = Math.min(1, num())
        break
      case '--entry':
        options.entry = value
        break
      case '--out':
        options.outDir = value
        break
      default:
        throw new Error(`unknown option ${flag}\n${USAGE}`)
    }
  }
  return options
}
