import type { ServerResponse } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { textOf, until } from './support/stackChecks.js'
import { type StartHttpServerReturnType, startHttpServer } from './support/startHttpServer.js'
import { startTeefnStack, type TeefnStack } from './support/startTeefnStack.js'

// Finding (issue 14): HTTP invocations and chain requests shared one FIFO queue, so three HTTP invocations of a
// function that sleeps delayed a trivial chain request by seconds. Anyone can send HTTP invocations for free; a
// chain request costs its requester gas and has a deadline. Now each has its lane: its own queue and BullMQ
// worker (the HTTP lane's slots), and the sandbox pool keeps a thread for chain requests and runs them first (the
// HTTP threads). Each defence is shown alone: with HTTP's slots full, then with its threads full.

const trivial = `export default (request) => 'chain:' + request`

type JobView = { jobId: string; state: string; trigger: string }
type Worker = NonNullable<Parameters<typeof startTeefnStack>[0]>['worker']
/** The node, and the slow server its sleeping functions wait on, with the responses it holds. */
type Scenario = { stack: TeefnStack; hold: StartHttpServerReturnType; held: ServerResponse[] }

/** The real node (API, watcher, worker, submitter) on anvil, with the worker's lanes as given, and a slow server. */
function useScenario(worker: Worker): () => Scenario {
  const held: ServerResponse[] = []
  let closing = false
  let hold: StartHttpServerReturnType | undefined
  let stack: TeefnStack | undefined
  beforeAll(async () => {
    hold = await startHttpServer((_request, response) => {
      if (closing) response.end('late')
      else held.push(response)
    })
    stack = await startTeefnStack({ server: true, worker, allowHosts: [`127.0.0.1:${hold.port}`] })
  })
  afterAll(async () => {
    // Whatever still sleeps (a failed run) wakes now, so the node stops at once.
    closing = true
    for (const response of held.splice(0)) response.end('late')
    await stack?.close()
    await hold?.close()
  })
  return () => ({ stack: stack!, hold: hold!, held })
}

/**
 * Starts three sleeping HTTP invocations, waits until `full` says they took all of HTTP's capacity, sends a trivial
 * chain request, and asserts it is fulfilled on-chain before any HTTP invocation ends; then lets them finish.
 */
async function chainRequestWhileHttpSleeps(
  { stack, hold, held }: Scenario,
  full: (states: string[]) => boolean,
  label: string,
): Promise<void> {
  const apiUrl = stack.node.serverUrl!
  const readJob = async (jobId: string, jobToken?: string) => {
    const response = await fetch(`${apiUrl}/v1/jobs/${jobId}`, {
      headers: jobToken ? { 'x-teefn-job-token': jobToken } : {},
    })
    expect(response.status).toBe(200)
    return (await response.json()) as JobView & { outcome?: { status: string; result: string } }
  }
  const finished = (state: string) => state === 'completed' || state === 'failed'
  // Sleeps until the slow server answers: it holds its sandbox thread all along.
  const sleeper = `export default async () => (await fetch('http://127.0.0.1:${hold.port}/hold')).text()`
  const { codeHash } = await stack.store.putFunction(sleeper)
  const fn = await stack.register(trivial, `request lanes: ${label}`)

  const httpJobs: { jobId: string; jobToken: string }[] = []
  for (let i = 0; i < 3; i++) {
    const response = await fetch(`${apiUrl}/v1/functions/${codeHash}/invoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ request: `http ${i}`, async: true }),
    })
    expect(response.status).toBe(202)
    httpJobs.push((await response.json()) as { jobId: string; jobToken: string })
  }
  // One invocation sleeps in the sandbox (its fetch is held) on the one thread HTTP may hold.
  while (held.length < 1) await sleep(20)
  await until("HTTP's capacity to be full", async () => {
    const jobs = await Promise.all(httpJobs.map(({ jobId }) => readJob(jobId)))
    expect(jobs.map((job) => job.trigger)).toEqual(['http', 'http', 'http'])
    return full(jobs.map((job) => job.state))
  })

  // A trivial chain request, through the real watcher, worker and submitter.
  const { consumer } = stack.chains[0]!
  const sent = await stack.request(fn.functionId, '0x01')
  // Until the chain request is fulfilled on-chain or an HTTP invocation ends (at the latest at its deadline). The
  // HTTP states are read after the chain's: none finished then means none had finished when it was fulfilled.
  let fulfilled = false
  let httpFinished: string[] = []
  while (!fulfilled && httpFinished.length === 0) {
    fulfilled = (await consumer.lastRequestId()) === sent.requestId
    const jobs = await Promise.all(httpJobs.map(({ jobId }) => readJob(jobId)))
    httpFinished = jobs.filter((job) => finished(job.state)).map((job) => job.jobId)
    if (!fulfilled && httpFinished.length === 0) await sleep(50)
  }
  expect({ fulfilled, httpFinished }).toEqual({ fulfilled: true, httpFinished: [] })
  expect(textOf(await consumer.lastResult())).toBe('chain:0x01')
  expect(await readJob(stack.jobIdOf(sent.requestId))).toMatchObject({ state: 'completed', trigger: 'evm' })
  // The sleeping one still holds HTTP's only thread.
  expect(held).toHaveLength(1)

  // Let the slow server answer: each HTTP invocation then completes, with its signed result.
  const results: string[] = []
  for (const { jobId, jobToken } of httpJobs) {
    for (;;) {
      for (const response of held.splice(0)) response.end('slept')
      const job = await readJob(jobId, jobToken)
      // Read as it completes, the job may show `completed` before its outcome: read it again then.
      if (job.state === 'completed' && job.outcome) {
        expect(job.outcome.status).toBe('OK')
        results.push(job.outcome.result)
        break
      }
      expect(job.state).not.toBe('failed')
      await sleep(50)
    }
  }
  expect(results).toEqual(['slept', 'slept', 'slept'])
}

describe('a chain request while HTTP invocations fill their lane', { timeout: 120_000 }, () => {
  // The defaults on two threads: HTTP has one slot in its lane and one thread.
  const scenario = useScenario({ threads: 2 })

  it('is fulfilled on-chain while every HTTP invocation still runs or waits; they finish after', async () => {
    await chainRequestWhileHttpSleeps(
      scenario(),
      // The HTTP lane's slot is taken: one runs, the others wait in its queue.
      (states) => states.includes('active') && states.includes('waiting'),
      'lane',
    )
  })
})

describe('a chain request while HTTP invocations fill their sandbox threads', { timeout: 120_000 }, () => {
  // Enough HTTP slots for all three: only the sandbox pool's HTTP threads (one of two) hold them back.
  const scenario = useScenario({ threads: 2, concurrency: 4, httpConcurrency: 3 })

  it('runs on the thread HTTP may not take, ahead of the HTTP invocations waiting in the pool', async () => {
    await chainRequestWhileHttpSleeps(
      scenario(),
      // Every HTTP job holds a lane slot; two of them wait in the pool for the one HTTP thread.
      (states) => states.every((state) => state === 'active'),
      'threads',
    )
  })
})
