import { BaseError } from '../runtime/errors/BaseError.js'

/** The demo ran, but a step did not end as it must (a reverted transaction, a delivery that failed, a wrong price). */
export class DemoError extends BaseError {
  override name = 'DemoError'
  constructor(shortMessage: string, details?: string) {
    super(shortMessage, {
      code: 'DEMO_FAILED',
      details,
      hint: 'Run it again with TEEFN_LOG_LEVEL=debug to see the worker and relayer logs; report it if it persists.',
    })
  }
}
