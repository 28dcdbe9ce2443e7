/** What the sandbox pool throws: misuse and start failures (function failures are outcomes). */

import { BaseError } from '../errors/BaseError.js'

export class PoolClosedError extends BaseError {
  override name = 'PoolClosedError'
  constructor() {
    super('The sandbox pool is closed.', {
      code: 'POOL_CLOSED',
      hint: 'Create a new pool to run more invocations.',
    })
  }
}

export class InvalidHttpThreadsError extends BaseError {
  override name = 'InvalidHttpThreadsError'
  constructor(httpThreads: number) {
    super('The sandbox pool needs at least one thread for HTTP invocations.', {
      code: 'INVALID_HTTP_THREADS',
      details: `httpThreads is ${httpThreads}.`,
      hint: 'Give a whole number of at least 1, at most the pool threads (more are simply all of them).',
    })
  }
}

export class SandboxStartError extends BaseError {
  override name = 'SandboxStartError'
  constructor(cause: unknown) {
    super('A sandbox thread failed to start.', {
      code: 'SANDBOX_START_FAILED',
      details: (cause as Error)?.message ?? String(cause),
      hint: 'Check that quickjs-emscripten is installed (npm install) and that the build in dist/ is complete (npm run build).',
      cause,
    })
  }
}
