import { defaultHttpMaximumLimits, resolveLimits, type SandboxLimits } from '../../runtime/sandbox/index.js'
import { ConfigError } from './ConfigError.js'
import type { NodeConfig } from './nodeConfigSchema.js'

/** The configured HTTP maxima over the defaults; each at most the operator maximum the pool enforces. */
export function httpMaximumLimitsOf(config: NodeConfig, maximum: SandboxLimits): SandboxLimits {
  // A lowered operator maximum lowers the HTTP defaults with it.
  const defaults = { ...defaultHttpMaximumLimits }
  for (const field of Object.keys(defaults) as (keyof SandboxLimits)[]) {
    defaults[field] = Math.min(defaults[field], maximum[field])
  }
  try {
    return resolveLimits({ requested: config.worker?.httpMaximumLimits, defaults, maximum })
  } catch (error) {
    throw new ConfigError('worker.httpMaximumLimits is above the operator maximum.', {
      details: (error as { details?: string }).details,
      hint: 'HTTP callers get at most what chain requests may use; lower the value.',
    })
  }
}
