import { withTimeout } from '../runtime/async/withTimeout.js'
import { redactHosts } from './redactHosts.js'

/** What one `/healthz` check found. */
export type HealthCheckResult = {
  ok: boolean
  detail?: string | undefined
  latencyMs?: number | undefined
  counts?: Record<string, number> | undefined
}

/** How long a check may take before it counts as failing: a Redis that is down must not hang `/healthz`. */
export const healthCheckTimeoutMs = 2_000

/**
 * Runs one health check with a deadline: a check that throws or does not answer in time fails, with a detail
 * that names no host (cut to 200 characters).
 */
export async function runHealthCheck(
  check: () => HealthCheckResult | Promise<HealthCheckResult>,
  timeoutMs = healthCheckTimeoutMs,
): Promise<HealthCheckResult> {
  const answer = Promise.resolve()
    .then(check)
    .catch((error: Error) => ({ ok: false, detail: String(error?.message ?? error) }))
  const result = await withTimeout<HealthCheckResult>(answer, {
    timeoutMs,
    fallback: () => ({ ok: false, detail: `no answer within ${timeoutMs} ms` }),
  })
  return result.detail === undefined
    ? result
    : { ...result, detail: redactHosts(result.detail).slice(0, 200) }
}
