import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Queue, QueueEvents } from 'bullmq'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RedisServer, startRedisServer } from '../../cli/dev/startRedisServer.js'
import { createDevProvider } from '../enclave/devProvider.js'
import { encryptSecrets } from '../enclave/secretsCipher.js'
import type { TeeProvider } from '../enclave/TeeProvider.js'
import { verifyEnvelope } from '../enclave/verifyEnvelope.js'
import { createRedisFunctionStore } from '../functions/createRedisFunctionStore.js'
import type { FunctionStore } from '../functions/FunctionStore.js'
import { createRedisConnection } from '../queue/createRedisConnection.js'
import { requestJobId } from '../queue/jobIds.js'
import type { DeliveryJobData, RequestJobData, RequestJobResult } from '../queue/jobs.js'
import { deliveryQueueName, queuePrefix, requestQueueName } from '../queue/names.js'
import { createSandboxPool, type SandboxPool } from '../sandbox/index.js'
import { startWorker, type TeeWorker } from './startWorker.js'

type Hex = `0x${string}`
const bytes32 = (byte: string) => `0x${byte.repeat(32)}` as Hex
const consumer = '0x5FbDB2315678afecb367f032d93F642f64180aa3' as Hex

let redisServer: RedisServer
let connection: Redis
let dir: string
let pool: SandboxPool
let provider: TeeProvider
let store: FunctionStore
let worker: TeeWorker
let requests: Queue<RequestJobData, RequestJobResult>
let events: QueueEvents
const registered = new Map<string, Hex>()

beforeAll(async () => {
  redisServer = await startRedisServer()
  connection = createRedisConnection({ url: redisServer.url })
  dir = await mkdtemp(join(tmpdir(), 'teefn-worker-'))
  provider = await createDevProvider({ keyFile: join(dir, 'worker.key') })
  pool = await createSandboxPool({ threads: 2 })
  store = createRedisFunctionStore({ redis: connection })
  // The registry of a chain, as the EVM adapter reads it: functionId -> codeHash.
  const registry = { codeHashOf: async (request: RequestJobData) => registered.get(request.functionId) }
  worker = startWorker({ connection, pool, provider, store, registries: { evm: registry, http: registry } })
  requests = new Queue(requestQueueName, { connection, prefix: queuePrefix })
  events = new QueueEvents(requestQueueName, {
    connection: createRedisConnection({ url: redisServer.url }),
    prefix: queuePrefix,
  })
  await events.waitUntilReady()
})

afterAll(async () => {
  await worker?.close()
  await requests?.close()
  await events?.close()
  await pool?.close()
  connection?.disconnect()
  await redisServer?.stop()
  await rm(dir, { recursive: true, force: true })
})

const run = async (data: RequestJobData) => {
  const job = await requests.add('request', data, { jobId: requestJobId(data) })
  return (await job.waitUntilFinished(events, 20_000)) as RequestJobResult
}

const evmRequest = (requestId: Hex, functionId: Hex, request = '0x'): RequestJobData => ({
  trigger: 'evm',
  chainId: '31337',
  destination: consumer,
  requestId,
  functionId,
  request,
  sender: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
  seenAt: Date.now(),
})

describe('startWorker', () => {
  it('answers an HTTP request with an envelope signed by the enclave key', async () => {
    const { codeHash } = await store.putFunction('export default (request) => "echo:" + request')
    const result = await run({
      trigger: 'http',
      chainId: '0',
      destination: `0x${'00'.repeat(20)}`,
      requestId: bytes32('01'),
      functionId: bytes32('00'),
      codeHash,
      request: 'hi',
      seenAt: Date.now(),
    })
    expect(result).toMatchObject({ status: 'OK', delivered: false })
    const verified = await verifyEnvelope(result.envelope, {
      worker: provider.publicKeys.evmAddress,
      chainId: 0,
      codeHash,
    })
    expect(Buffer.from(verified.result).toString()).toBe('echo:hi')
  })

  it('runs the code the registry names, with decrypted secrets, and queues the delivery once', async () => {
    const functionId = bytes32('f1')
    const { codeHash } = await store.putFunction(
      'export default (request, secrets, context) => [request, secrets.KEY, context.chainId, context.functionId === undefined].join("|")',
    )
    registered.set(functionId, codeHash)
    await store.putSecrets(
      functionId,
      encryptSecrets({
        workerKey: provider.publicKeys.encryption,
        functionId,
        secrets: { KEY: 'secret-value' },
      }),
    )
    const data = evmRequest(bytes32('02'), functionId, '0xabcd')
    const result = await run(data)
    expect(result.status).toBe('OK')
    const verified = await verifyEnvelope(result.envelope, {
      chainId: 31337,
      destination: consumer,
      requestId: data.requestId,
      codeHash,
    })
    expect(Buffer.from(verified.result).toString()).toBe('0xabcd|secret-value|31337|false')

    const deliveries = new Queue<DeliveryJobData>(deliveryQueueName({ family: 'evm', chainId: '31337' }), {
      connection,
      prefix: queuePrefix,
    })
    const delivery = await deliveries.getJob(requestJobId(data))
    expect(delivery?.data.envelope).toEqual(result.envelope)
    // The same request seen again is the same job: nothing runs or is delivered twice.
    await requests.add('request', data, { jobId: requestJobId(data) })
    expect(await requests.getJobCounts('completed')).toMatchObject({ completed: 2 })
    expect(await deliveries.getJobCountByTypes('waiting', 'active', 'completed', 'delayed')).toBe(1)
    await deliveries.close()
  })

  it('signs failures: a function error, an unknown function, unreadable secrets', async () => {
    const failing = bytes32('f2')
    registered.set(
      failing,
      (await store.putFunction('export default () => { throw new Error("upstream down") }')).codeHash,
    )
    const errorResult = await run(evmRequest(bytes32('03'), failing))
    expect(errorResult.status).toBe('FUNCTION_ERROR')
    const verified = await verifyEnvelope(errorResult.envelope, { worker: provider.publicKeys.evmAddress })
    expect(Buffer.from(verified.result).toString()).toMatch(/^Error: upstream down/)

    const unknown = await run(evmRequest(bytes32('04'), bytes32('f3')))
    expect(unknown.status).toBe('FUNCTION_NOT_FOUND')

    const locked = bytes32('f4')
    registered.set(locked, (await store.putFunction('export default () => "x"')).codeHash)
    await store.putSecrets(
      locked,
      encryptSecrets({
        workerKey: provider.publicKeys.encryption,
        functionId: bytes32('f5'),
        secrets: { A: 'b' },
      }),
    )
    const moved = await run(evmRequest(bytes32('05'), locked))
    expect(moved.status).toBe('SECRETS_INVALID')
    expect(moved.envelope.status).toBe('SECRETS_INVALID')
  })

  it('gives an HTTP request that names a functionId its secrets only for the code registered for it', async () => {
    const functionId = bytes32('f6')
    const leaky = await store.putFunction(
      'export default (request, secrets) => "leaked:" + JSON.stringify(secrets)',
    )
    const genuine = await store.putFunction(
      'export default (request, secrets) => "has key: " + (secrets.KEY === "s3cret-value")',
    )
    registered.set(functionId, genuine.codeHash)
    await store.putSecrets(
      functionId,
      encryptSecrets({
        workerKey: provider.publicKeys.encryption,
        functionId,
        secrets: { KEY: 's3cret-value' },
      }),
    )
    const http = (requestId: Hex, codeHash: Hex): RequestJobData => ({
      trigger: 'http',
      chainId: '0',
      destination: `0x${'00'.repeat(20)}`,
      requestId,
      functionId,
      codeHash,
      request: '',
      seenAt: Date.now(),
    })
    const forged = await run(http(bytes32('06'), leaky.codeHash))
    expect(forged.status).toBe('CODE_HASH_MISMATCH')
    expect(JSON.stringify(forged)).not.toContain('s3cret-value')
    const allowed = await run(http(bytes32('07'), genuine.codeHash))
    expect(allowed.status).toBe('OK')
    expect(Buffer.from(allowed.envelope.result.slice(2), 'hex').toString()).toBe('has key: true')
    registered.delete(functionId)
    const unregistered = await run(http(bytes32('08'), genuine.codeHash))
    expect(unregistered.status).toBe('FUNCTION_NOT_FOUND')
  })
})
