import { workerData } from 'node:worker_threads'
import { createMockTransport } from '../http/createMockTransport.js'
import { createNetworkPolicy } from '../http/createNetworkPolicy.js'
import { FetchError } from '../http/FetchError.js'
import { hostFetch } from '../http/hostFetch.js'
import type {
  BlockingFetchAnswer,
  BlockingFetchJob,
  BlockingFetchMessage,
  BlockingFetchResult,
  BlockingFetchThreadData,
} from './createBlockingFetcher.js'

/**
 * The helper thread of `createBlockingFetcher`: fetches each job's requests concurrently with `hostFetch`,
 * posts the results, then bumps the shared counter and wakes the caller blocked on it.
 */
const { port, signal } = workerData as BlockingFetchThreadData
const counter = new Int32Array(signal)

port.on('message', async ({ id, job }: BlockingFetchMessage) => {
  const results = await Promise.all(job.requests.map((request) => fetchOne(request, job)))
  const bodies = results.flatMap((result) => (result.ok ? [result.body.buffer as ArrayBuffer] : []))
  port.postMessage({ id, results } satisfies BlockingFetchAnswer, bodies)
  Atomics.add(counter, 0, 1)
  Atomics.notify(counter, 0)
})

async function fetchOne(
  request: BlockingFetchJob['requests'][number],
  job: BlockingFetchJob,
): Promise<BlockingFetchResult> {
  try {
    const response = await hostFetch(request, {
      policy: createNetworkPolicy({ allowHosts: job.allowHosts }),
      timeoutMs: job.timeoutMs,
      maxResponseBytes: job.maxResponseBytes,
      transport: job.httpMocks && createMockTransport({ mocks: job.httpMocks }),
    })
    // An exact-size copy: the body may be a view of a larger pooled buffer, and it is transferred.
    const body = response.body.slice()
    return {
      ok: true,
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
      body,
    }
  } catch (error) {
    if (error instanceof FetchError) return { ok: false, code: error.code, message: error.shortMessage }
    return { ok: false, code: 'NETWORK_ERROR', message: (error as Error)?.message ?? String(error) }
  }
}
