import type { ServerResponse } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { textOf } from './support/stackChecks.js'
import { type StartHttpServerReturnType, startHttpServer } from './support/startHttpServer.js'
import { startTeefnStack, type TeefnStack } from './support/startTeefnStack.js'

// Finding (issue 14): HTTP invocations and chain requests shared one FIFO queue, so three HTTP invocations of a
// function that sleeps delayed a trivial chain request by seconds. Anyone can send HTTP invocations for free; a
// chain request costs its requester gas and has a deadline. Now each has its lane: its own queue and BullMQ
// worker, and the sandbox pool keeps a thread for chain requests and runs them first.

let stack: TeefnStack
let hold: StartHttpServerReturnType
/** Responses the slow server holds until the test lets them go. */
const held: ServerResponse[] = []

beforeAll(async () => {
  hold = await startHttpServer((_request, response) => {
    held.push(response)
  })
  // Two sandbox threads: the defaults give HTTP one lane slot and one thread, chain requests the rest.
  stack = await startTeefnStack({
    server: true,
    worker: { threads: 2 },
    allowHosts: [`127.0.0.1:${hold.port}`],
  })
})
afterAll(async () => {
  for (const response of held.splice(0)) response.end('late')
  await stack?.close()
  await hold?.close()
})

const apiUrl = () => stack.node.serverUrl!

/** A function that sleeps until the slow server answers: it holds its sandbox thread all along. */
const sleeper = () => `export default async () => (await fetch('http://127.0.0.1:${hold.port}/hold')).text()`
const trivial = `export default (request) => 'chain:' + request`

type JobView = { jobId: string; state: string; trigger: string }
const readJob = async (jobId: string): Promise<JobView> => {
  const response = await fetch(`${apiUrl()}/v1/jobs/${jobId}`)
  expect(response.status).toBe(200)
  return (await response.json()) as JobView
}
const finished = (state: string) => state === 'completed' || state === 'failed'

describe('a chain request while HTTP invocations sleep', { timeout: 120_000 }, () => {
  it('is fulfilled on-chain while every HTTP invocation is still running or waiting; they finish after', async () => {
    const { codeHash } = await stack.store.putFunction(sleeper())
    const fn = await stack.register(trivial, 'request lanes: trivial')

    // Three sleeping HTTP invocations: more than the HTTP lane's one slot and one thread.
    const httpJobs: { jobId: string; jobToken: string }[] = []
    for (let i = 0; i < 3; i++) {
      const response = await fetch(`${apiUrl()}/v1/functions/${codeHash}/invoke`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ request: `http ${i}`, async: true }),
      })
      expect(response.status).toBe(202)
      httpJobs.push((await response.json()) as { jobId: string; jobToken: string })
    }
    // The HTTP capacity is taken: one invocation sleeps in the sandbox (its fetch is held), the others wait.
    while (held.length < 1) await sleep(20)
    const before = await Promise.all(httpJobs.map(({ jobId }) => readJob(jobId)))
    expect(before.map((job) => job.trigger)).toEqual(['http', 'http', 'http'])
    // Capacity is full: one runs, and there are more than it can take.
    expect(before.some((job) => job.state === 'active')).toBe(true)
    expect(before.some((job) => job.state === 'waiting')).toBe(true)

    // A trivial chain request, through the real watcher, worker and submitter.
    const { consumer } = stack.chains[0]!
    const sent = await stack.request(fn.functionId, '0x01')
    // Whichever ends first: the chain request on-chain, or any HTTP invocation (at the latest its deadline).
    let first: 'chain' | 'http' | undefined
    while (first === undefined) {
      if ((await consumer.lastRequestId()) === sent.requestId) first = 'chain'
      else if (
        (await Promise.all(httpJobs.map(({ jobId }) => readJob(jobId)))).some((job) => finished(job.state))
      )
        first = 'http'
      else await sleep(50)
    }
    expect(first).toBe('chain')
    expect(textOf(await consumer.lastResult())).toBe('chain:0x01')
    const chainJob = await readJob(stack.jobIdOf(sent.requestId))
    expect(chainJob).toMatchObject({ state: 'completed', trigger: 'evm' })
    // Still nothing of HTTP finished, and the sleeping one still holds the only HTTP thread.
    const during = await Promise.all(httpJobs.map(({ jobId }) => readJob(jobId)))
    expect(during.filter((job) => finished(job.state))).toEqual([])
    expect(held).toHaveLength(1)

    // Let the slow server answer: each HTTP invocation then completes in turn, with its signed result.
    const results: string[] = []
    for (const { jobId, jobToken } of httpJobs) {
      for (;;) {
        for (const response of held.splice(0)) response.end('slept')
        const response = await fetch(`${apiUrl()}/v1/jobs/${jobId}`, {
          headers: { 'x-teefn-job-token': jobToken },
        })
        const job = (await response.json()) as JobView & { outcome?: { status: string; result: string } }
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
  })
})
