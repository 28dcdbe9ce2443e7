import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Queue, QueueEvents } from 'bullmq'
import { hexlify, id, keccak256, toUtf8Bytes, type Wallet } from 'ethers'
import type { Redis } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import { type RedisServer, startRedisServer } from '../../dev/startRedisServer.js'
import {
  deployTestConsumer,
  mined,
  sentRequestsOf,
  type TeefnContractsFixture,
  type TestConsumerContract,
} from '../../test/support/teefnContracts.js'
import { useTeefnChain } from '../../test/support/useTeefnChain.js'
import type { Hex } from '../bytes.js'
import { createEvmChainReader, type EvmChainReader } from '../chain/evm/createEvmChainReader.js'
import { createDevProvider } from '../enclave/devProvider.js'
import type { FunctionScope } from '../enclave/functionScope.js'
import { signSecretsUpdate } from '../enclave/ownerRecords.js'
import { encryptSecrets } from '../enclave/secretsCipher.js'
import type { TeeProvider } from '../enclave/TeeProvider.js'
import { verifyEnvelope } from '../enclave/verifyEnvelope.js'
import { createRedisConnection } from '../queue/createRedisConnection.js'
import { requestJobId } from '../queue/jobIds.js'
import type { DeliveryJobData, RequestJobData, RequestJobResult } from '../queue/jobs.js'
import { openDeliveryQueue, openQueueEvents, openRequestQueue } from '../queue/queues.js'
import { createSandboxPool, type SandboxPool } from '../sandbox/index.js'
import { createRedisFunctionStore } from '../store/createRedisFunctionStore.js'
import type { FunctionStore } from '../store/FunctionStore.js'
import { functionStoreKeys } from '../store/functionStoreKeys.js'
import { startWorker, type TeeWorker } from './startWorker.js'

const zeroBytes32 = `0x${'00'.repeat(32)}` as Hex

let f: TeefnContractsFixture
let redisServer: RedisServer
let connection: Redis
let dir: string
let pool: SandboxPool
let provider: TeeProvider
let store: FunctionStore
let reader: EvmChainReader
let worker: TeeWorker
let consumer: TestConsumerContract
let consumerAddress: Hex
let requests: Queue<RequestJobData, RequestJobResult>
let deliveries: Queue<DeliveryJobData>
let events: QueueEvents

useTeefnChain({}, async (chain) => {
  f = chain.f
  redisServer = await startRedisServer()
  connection = createRedisConnection({ url: redisServer.url })
  dir = await mkdtemp(join(tmpdir(), 'teefn-worker-'))
  provider = await createDevProvider({ keyFile: join(dir, 'worker.key') })
  await mined(
    f.registry.admitWorker(provider.publicKeys.evmAddress, id('dev attestation'), f.workerExpiresAt),
  )
  consumer = await deployTestConsumer(f.admin, { registry: String(f.registry.target) })
  consumerAddress = (await consumer.getAddress()) as Hex
  pool = await createSandboxPool({ threads: 2 })
  store = createRedisFunctionStore({ redis: connection })
  reader = createEvmChainReader({
    chainId: chain.anvil.chainId,
    registry: String(f.registry.target),
    rpcUrls: [chain.anvil.rpcUrl],
    quorum: 1,
    confirmations: 0,
  })
  worker = startWorker({
    connection,
    pool,
    provider,
    store,
    chains: { evm: [reader] },
    retryPolicy: { baseDelayMs: 100, maxDelayMs: 200, horizonMs: 60_000 },
  })
  requests = openRequestQueue(connection)
  deliveries = openDeliveryQueue(connection, { family: 'evm', chainId: String(chain.anvil.chainId) })
  events = await openQueueEvents(createRedisConnection({ url: redisServer.url }), 'requests', {
    from: 'start',
  })
  await events.waitUntilReady()
})

afterAll(async () => {
  await worker?.close()
  await Promise.all([requests?.close(), deliveries?.close(), events?.close()])
  reader?.close()
  await pool?.close()
  connection?.disconnect()
  await redisServer?.stop()
  if (dir) await rm(dir, { recursive: true, force: true })
})

const run = async (data: RequestJobData) => {
  const job = await requests.add('request', data, { jobId: requestJobId(data) })
  return (await job.waitUntilFinished(events, 20_000)) as RequestJobResult
}

/** Registers `code` under a fresh functionId (owned by the fixture's function owner) and uploads it. */
async function register(code: string, label: string): Promise<{ functionId: Hex; codeHash: Hex }> {
  const functionId = id(`worker test: ${label}`) as Hex
  const { codeHash } = await store.putFunction(code)
  await mined(f.registry.connect(f.functionOwner).registerFunction(functionId, codeHash))
  return { functionId, codeHash }
}

/** Asks the test consumer to run `functionId` on `payload`; the job is what the watcher would queue. */
async function request(functionId: Hex, payload: string): Promise<RequestJobData> {
  const receipt = await mined(consumer.connect(f.oracleOwner).request(functionId, payload))
  const [sent] = sentRequestsOf(receipt, consumerAddress)
  return {
    trigger: 'evm',
    chainId: String(f.chainId),
    destination: consumerAddress,
    requestId: sent!.requestId as Hex,
    functionId,
    request: payload,
    sender: f.oracleOwner.address,
    seenAt: Date.now(),
    origin: { blockNumber: receipt.blockNumber, blockHash: receipt.blockHash, index: 0 },
  }
}

const scopeOf = (functionId: Hex): FunctionScope => ({
  family: 'evm',
  chainId: String(f.chainId),
  registry: String(f.registry.target).toLowerCase() as Hex,
  functionId,
})

async function putSecrets(functionId: Hex, secrets: Record<string, string>, signer: Wallet, version = 1) {
  const scope = scopeOf(functionId)
  const ciphertext = encryptSecrets({ workerKey: provider.publicKeys.encryption, scope, secrets })
  await store.putSecrets(await signSecretsUpdate(signer, { scope, ciphertext, version }))
}

describe('startWorker', () => {
  it('answers an HTTP request with an envelope that binds the payload, signed by the enclave key', async () => {
    const { codeHash } = await store.putFunction('export default (request) => "echo:" + request')
    const result = await run({
      trigger: 'http',
      chainId: '0',
      destination: `0x${'00'.repeat(20)}`,
      requestId: keccak256(toUtf8Bytes('http 1')) as Hex,
      functionId: zeroBytes32,
      codeHash,
      request: 'hi',
      seenAt: Date.now(),
    })
    expect(result).toMatchObject({ status: 'OK', delivered: false })
    const verified = await verifyEnvelope(result.envelope, {
      worker: provider.publicKeys.evmAddress,
      chainId: 0,
      codeHash,
      payloadHash: keccak256(toUtf8Bytes('hi')) as Hex,
    })
    expect(Buffer.from(verified.result).toString()).toBe('echo:hi')
  })

  it('runs the code the registry names on the payload the chain holds, with owner-signed secrets, and delivers once', async () => {
    const { functionId, codeHash } = await register(
      'export default (request, secrets, context) => [request, secrets.KEY, context.chainId, context.sender].join("|")',
      'echo with secret',
    )
    await putSecrets(functionId, { KEY: 'secret-value' }, f.functionOwner)
    const payload = hexlify(toUtf8Bytes('{"pair":"ETH/USD"}'))
    const data = await request(functionId, payload)
    const result = await run(data)
    expect(result.status).toBe('OK')
    const verified = await verifyEnvelope(result.envelope, {
      chainId: f.chainId,
      destination: consumerAddress,
      requestId: data.requestId,
      payloadHash: keccak256(payload) as Hex,
      codeHash,
    })
    expect(Buffer.from(verified.result).toString()).toBe(
      `${payload}|secret-value|${f.chainId}|${f.oracleOwner.address}`,
    )
    const delivery = await deliveries.getJob(requestJobId(data))
    expect(delivery?.data.envelope).toEqual(result.envelope)
    // The same request seen again is the same job: nothing runs or is delivered twice.
    await requests.add('request', data, { jobId: requestJobId(data) })
    expect(await deliveries.getJobCountByTypes('waiting', 'active', 'completed', 'delayed')).toBe(1)
  })

  it('signs failures: a function error, and secrets its owner did not sign', async () => {
    const failing = await register('export default () => { throw new Error("upstream down") }', 'failing')
    const errorResult = await run(await request(failing.functionId, '0x'))
    expect(errorResult.status).toBe('FUNCTION_ERROR')
    const verified = await verifyEnvelope(errorResult.envelope, { worker: provider.publicKeys.evmAddress })
    expect(Buffer.from(verified.result).toString()).toMatch(/^Error: upstream down/)

    const guarded = await register('export default (r, secrets) => JSON.stringify(secrets)', 'guarded')
    await putSecrets(guarded.functionId, { A: 'chosen by a stranger' }, f.stranger)
    const refused = await run(await request(guarded.functionId, '0x'))
    expect(refused.status).toBe('SECRETS_INVALID')
    expect(JSON.stringify(refused)).not.toContain('chosen by a stranger')
  })

  it('signs SECRETS_INVALID for a secrets record written around the store, and runs HTTP calls without secrets when the settings are such a record', async () => {
    const code = 'export default (r, secrets) => JSON.stringify(secrets)'
    const fn = await register(code, 'records around the store')
    const scope = scopeOf(fn.functionId)
    const keys = functionStoreKeys('teefn')
    const chosen = 'chosen around the store'
    // What the store's own writes refuse: no signature at all.
    const unsigned = {
      scope,
      ciphertext: encryptSecrets({
        workerKey: provider.publicKeys.encryption,
        scope,
        secrets: { A: chosen },
      }),
      version: 1,
    }
    await connection.hset(keys.secrets(scope), { version: '1', record: JSON.stringify(unsigned) })
    const refused = await run(await request(fn.functionId, '0x'))
    expect(refused.status).toBe('SECRETS_INVALID')
    await verifyEnvelope(refused.envelope, {
      worker: provider.publicKeys.evmAddress,
      functionId: fn.functionId,
    })
    expect(JSON.stringify(refused)).not.toContain(chosen)

    // Settings that say httpSecrets true, unsigned: the HTTP call runs, with no secrets.
    await connection.hset(keys.settings(scope), {
      version: '1',
      record: JSON.stringify({ scope, httpSecrets: true, version: 1 }),
    })
    const http = await run({
      trigger: 'http',
      chainId: '0',
      destination: `0x${'00'.repeat(20)}`,
      requestId: id('worker test: settings around the store') as Hex,
      functionId: fn.functionId,
      codeHash: fn.codeHash,
      scope,
      request: '',
      seenAt: Date.now(),
    })
    expect(http.status).toBe('OK')
    expect(Buffer.from(http.envelope.result.slice(2), 'hex').toString()).toBe('{}')
  })

  it('refuses at once, unsigned, a job for a request the chain does not hold', async () => {
    const { functionId } = await register('export default () => "x"', 'forged target')
    const real = await request(functionId, '0x')
    const forged = { ...real, requestId: keccak256(toUtf8Bytes('no such request')) as Hex }
    const job = await requests.add('request', forged, { jobId: requestJobId(forged) })
    await expect(job.waitUntilFinished(events, 20_000)).rejects.toThrow(/has no request/)
    const failed = await requests.getJob(job.id!)
    expect(failed?.attemptsMade).toBe(1)
    expect(await deliveries.getJob(requestJobId(forged))).toBeUndefined()
  })

  it('retries, without signing, while the bundle the registry names is missing, then answers', async () => {
    const code = 'export default () => "late bundle"'
    const functionId = id('worker test: late bundle') as Hex
    await mined(
      f.registry.connect(f.functionOwner).registerFunction(functionId, keccak256(toUtf8Bytes(code))),
    )
    const data = await request(functionId, '0x')
    const job = await requests.add('request', data, { jobId: requestJobId(data) })
    for (let i = 0; i < 100 && (await requests.getJob(job.id!))!.attemptsMade < 2; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    expect((await requests.getJob(job.id!))!.failedReason).toMatch(/not stored here/)
    expect(await deliveries.getJob(requestJobId(data))).toBeUndefined()
    await store.putFunction(code)
    const result = (await job.waitUntilFinished(events, 20_000)) as RequestJobResult
    expect(result.status).toBe('OK')
  })
})
