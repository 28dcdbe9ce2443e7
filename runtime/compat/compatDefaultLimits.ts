import type { SandboxLimits } from '../sandbox/limits.js'
import type { CompatMode } from './compatMode.js'

const MiB = 1024 * 1024

/**
 * Chainlink Functions' documented limits (functions-toolkit's simulation config): 10 s, 5 HTTP requests of at
 * most 9 s and 2 MB each, a 256-byte result. Its 128 MB of memory is not taken: a mode only lowers defaults.
 */
export const chainlinkLimits: Partial<SandboxLimits> = Object.freeze({
  timeoutMs: 10_000,
  maxFetches: 5,
  fetchTimeoutMs: 9_000,
  fetchResponseBytes: 2 * MiB,
  resultBytes: 256,
})

/**
 * Phat's documented limits: a 10 s query, 10 s per HTTP request (and per batch by default), 2 MB per response.
 * Its batches of at most 5 requests are the runtime's own rule (`runtime/compat/phat/pinkHttp.ts`), not a limit here.
 */
export const phatLimits: Partial<SandboxLimits> = Object.freeze({
  timeoutMs: 10_000,
  fetchTimeoutMs: 10_000,
  fetchResponseBytes: 2 * MiB,
})

/**
 * Lit Actions' documented limits (Naga's 30 s; Chipotle's 128 MB, 50 fetches, 1 MB responses). Each is above
 * teefn's plain default, so a `--compat lit` function gets the plain defaults; a caller may ask for more, up to
 * the operator maximum, as on Lit.
 */
export const litLimits: Partial<SandboxLimits> = Object.freeze({
  timeoutMs: 30_000,
  memoryBytes: 128 * MiB,
  maxFetches: 50,
  resultBytes: 1 * MiB,
})

/**
 * Gelato Web3 Functions' documented limits (the free plan): a 5 s run. Its 128 MB of memory and its HTTP allowance
 * (the SDK's runner: 510 requests, 10 MB down) are above teefn's and not taken; its RPC calls (5) and storage are
 * counted by the mode's runtime (`runtime/compat/gelato/gelatoLimits.ts`).
 */
export const gelatoLimits: Partial<SandboxLimits> = Object.freeze({ timeoutMs: 5_000 })

const modeLimits: Record<CompatMode, Partial<SandboxLimits>> = {
  chainlink: chainlinkLimits,
  phat: phatLimits,
  gelato: gelatoLimits,
  lit: litLimits,
}

/**
 * The defaults for a function built in `mode`: its home platform's limits where they are lower than `defaults`,
 * so a mode never gives more than a plain function gets. A caller may still ask for more, up to the maximum.
 */
export function compatDefaultLimits(mode: CompatMode | undefined, defaults: SandboxLimits): SandboxLimits {
  if (mode === undefined) return defaults
  const limits = { ...defaults }
  for (const [field, value] of Object.entries(modeLimits[mode]) as [keyof SandboxLimits, number][])
    limits[field] = Math.min(value, defaults[field])
  return limits
}
