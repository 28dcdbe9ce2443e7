import { setTimeout as sleep } from 'node:timers/promises'
import { id, keccak256 } from 'ethers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Hex } from '../../runtime/bytes.js'
import { computeEvmRequestId } from '../../runtime/chain/evm/computeEvmRequestId.js'
import type { Envelope } from '../../runtime/enclave/envelope.js'
import type { RequestJobData, RequestJobResult } from '../../runtime/queue/jobs.js'
import { defaultLimits } from '../../runtime/sandbox/limits.js'
import { type StartHttpServerReturnType, startHttpServer } from '../support/startHttpServer.js'
import { startTeefnStack, type TeefnStack } from '../support/startTeefnStack.js'

// Attack: whoever writes the node's Redis puts policy into a job: hosts the function may reach on private
// addresses (the operator's network), limits above the defaults, secrets of his choosing, another function's
// scope. Policy is the worker's own configuration and the chain's: the job's fields for it are not read, so a
// function reaches no private host the worker does not allow, runs under the default limits, and gets only
// the secrets its owner signed for its own scope.

let stack: TeefnStack
let server: StartHttpServerReturnType

beforeAll(async () => {
  // A private service the worker's configuration does not allow (the stack allows no host).
  server = await startHttpServer((_request, response) => response.end('internal data'))
  stack = await startTeefnStack()
})
afterAll(async () => {
  await stack?.close()
  await server?.close()
})

/** Job fields the type no longer has (or, for limits, that chain jobs must not use), written by the operator. */
type Widened = { allowHosts?: string[]; secrets?: Record<string, string> }
const widening = (server: StartHttpServerReturnType) => ({
  allowHosts: [`127.0.0.1:${server.port}`, '127.0.0.1', 'localhost'],
  limits: { timeoutMs: 60_000, maxFetches: 64, memoryBytes: 200 * 1024 * 1024 },
})

const textOf = (envelope: Envelope) => Buffer.from(envelope.result.slice(2), 'hex').toString()

/**
 * Queues, before the request is sent, a job for the request id it will get (ids are predictable) carrying
 * `extra`, under the job id the watcher will use, so the forged job is the one that runs. Then sends it.
 */
async function forgeThenRequest(functionId: Hex, payload: string, extra: Partial<RequestJobData> & Widened) {
  const chain = stack.chains[0]!
  const requester = chain.f.oracleOwner
  const requestId = computeEvmRequestId({
    chainId: BigInt(chain.anvil.chainId),
    consumer: chain.consumerAddress,
    nonce: await chain.consumer.requestCount(),
    requester: requester.address,
    functionId,
    payloadHash: keccak256(payload),
  })
  const forged = {
    trigger: 'evm',
    chainId: String(chain.anvil.chainId),
    destination: chain.consumerAddress,
    requestId,
    functionId,
    request: payload,
    sender: requester.address,
    seenAt: Date.now(),
    origin: { blockNumber: (await chain.f.provider.getBlockNumber()) + 1 },
    ...extra,
  } as RequestJobData
  const job = await stack.requests.add('request', forged, { jobId: stack.jobIdOf(requestId) })
  const sent = await stack.request(functionId, payload, { requester })
  expect(sent.requestId).toBe(requestId)
  const envelope = await stack.envelopeOf(requestId)
  // The job that ran is the forged one, with its widened fields.
  expect((await stack.requests.getJob(job.id!))?.data).toMatchObject(extra)
  return envelope
}

/** Tries to fetch the private service at `path` `attempts` times and reports each outcome's code. */
const probe = (attempts: number, path = '/internal') => `export default async (request, secrets) => {
  const codes = []
  for (let i = 0; i < ${attempts}; i++) {
    try { await fetch('${server.url}${path}'); codes.push('ok') } catch (e) { codes.push(e.code) }
  }
  return JSON.stringify({ codes, secrets })
}`
const hitsOn = (path: string) => server.requests.filter((request) => request.url === path)

describe('a chain job whose data widens policy', () => {
  it('reaches no private host the worker does not allow, and fetches no more than the default limit', async () => {
    const attempts = defaultLimits.maxFetches + 4
    const { functionId } = await stack.register(probe(attempts, '/chain'), 'job data: hosts and limits')
    const envelope = await forgeThenRequest(functionId, '0x01', widening(server))

    expect(envelope.status).toBe('OK')
    const { codes } = JSON.parse(textOf(envelope)) as { codes: string[] }
    // Every fetch refused as the worker's own policy says; after the default 16 (not the job's 64), no more tries.
    expect(codes).toEqual([
      ...Array(defaultLimits.maxFetches).fill('HOST_NOT_ALLOWED'),
      ...Array(4).fill('TOO_MANY_REQUESTS'),
    ])
    expect(hitsOn('/chain')).toHaveLength(0)
  })

  it('runs under the default memory limit, not the one the job asks for', async () => {
    const allocate = `export default () => {
      const blocks = []
      for (let i = 0; i < 100; i++) blocks.push(new Uint8Array(1024 * 1024).fill(i))
      return String(blocks.length)
    }`
    const { functionId } = await stack.register(allocate, 'job data: memory')
    const envelope = await forgeThenRequest(functionId, '0x02', widening(server))
    expect(envelope.status).toBe('MEMORY_LIMIT')
    expect(textOf(envelope)).toMatch(/64 MiB memory limit/)
  })

  it("gets no secrets from the job, nor another function's through a scope the job names", async () => {
    // Both functions have one owner, so the owner's signature on the victim's secrets would pass: only the
    // scope the worker reads from the chain, not the job's, keeps them apart.
    const victim = await stack.register(probe(0), 'job data: the victim')
    await stack.putSecrets(victim.functionId, { token: 'victim-token' })
    const { functionId } = await stack.register(probe(0), 'job data: secrets')
    const envelope = await forgeThenRequest(functionId, '0x03', {
      secrets: { token: 'chosen-by-the-operator' },
      scope: stack.scopeOf(victim.functionId),
    })
    expect(envelope.status).toBe('OK')
    expect(JSON.parse(textOf(envelope)).secrets).toEqual({})
  })
})

describe('an HTTP job whose data widens policy', () => {
  it('reaches no private host the worker does not allow', async () => {
    const { codeHash } = await stack.store.putFunction(probe(1, '/http'))
    const requestId = id('job data: an HTTP call') as Hex
    const forged = {
      trigger: 'http',
      chainId: '0',
      destination: `0x${'00'.repeat(20)}`,
      requestId,
      functionId: `0x${'00'.repeat(32)}`,
      codeHash,
      request: 'hello',
      seenAt: Date.now(),
      allowHosts: widening(server).allowHosts,
    } as RequestJobData
    const job = await stack.requests.add('request', forged, { jobId: `http-${requestId}` })
    for (let i = 0; i < 400 && !(await job.isCompleted()) && !(await job.isFailed()); i++) await sleep(50)
    const { returnvalue } = (await stack.requests.getJob(job.id!))!
    const { envelope } = returnvalue as unknown as RequestJobResult
    expect(JSON.parse(textOf(envelope)).codes).toEqual(['HOST_NOT_ALLOWED'])
    expect(hitsOn('/http')).toHaveLength(0)
  })
})
