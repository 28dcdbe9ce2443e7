import type { Invocation, InvocationOutcome, SandboxPool } from '../../runtime/sandbox/index.js'

/** Runs `code` through the pool as the CLI would, with overridable request, secrets, limits and allowlist. */
export function invokeFunction(
  pool: SandboxPool,
  code: string,
  overrides: Partial<Invocation> = {},
): Promise<InvocationOutcome> {
  return pool.invoke({
    code,
    request: '',
    context: { requestId: 'test-request', trigger: 'cli', codeHash: '0x00' },
    ...overrides,
  })
}

/** The outcome's error code, or `OK`. */
export function codeOf(outcome: InvocationOutcome): string {
  return outcome.ok ? 'OK' : outcome.error.code
}
