export type { CreateSandboxPoolParameters, SandboxPool, SandboxPoolStats } from './createSandboxPool.js'
export {
  createSandboxPool,
  InvalidHttpThreadsError,
  PoolClosedError,
  SandboxStartError,
} from './createSandboxPool.js'
export type { SandboxLimits } from './limits.js'
export {
  defaultHttpMaximumLimits,
  defaultLimits,
  defaultMaximumLimits,
  InvalidLimitError,
  LimitExceedsMaximumError,
  resolveLimits,
} from './limits.js'
export { resultToBytes } from './resultToBytes.js'
export type {
  Invocation,
  InvocationContext,
  InvocationError,
  InvocationOutcome,
  InvocationStats,
  LogEntry,
  LogLevel,
  Trigger,
} from './types.js'
