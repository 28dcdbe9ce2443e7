import { BaseError } from '../errors/BaseError.js'

/**
 * The host used a sandbox out of its one-invocation lifecycle (run twice, ran another bundle than it preloaded,
 * or a host call came with no invocation running): a bug in the host, never the function's fault.
 */
export class SandboxStateError extends BaseError {
  override name = 'SandboxStateError'
  constructor(shortMessage: string) {
    super(shortMessage, {
      code: 'SANDBOX_STATE_INVALID',
      hint: 'Prepare a new sandbox for every invocation, and preload only the bundle it will run (the pool does both).',
    })
  }
}
