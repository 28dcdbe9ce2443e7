import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Job, Queue } from 'bullmq'
import { AbiCoder, hexlify, id, type JsonRpcProvider, keccak256, toUtf8Bytes, Wallet } from 'ethers'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { NodeConfig } from '../cli/node/nodeConfigSchema.js'
import { type RunningNode, startNode } from '../cli/node/startNode.js'
import { deployPriceOracle, deployRegistry } from '../contracts/artifacts.js'
import type {
  EnvelopeStruct,
  PriceOracleContract,
  TeefnRegistryContract,
} from '../contracts/contractTypes.js'
import { type AnvilInstance, startAnvil } from '../dev/startAnvil.js'
import { type RedisServer, startRedisServer } from '../dev/startRedisServer.js'
import { connectEvmHttp } from '../relayer/evm/connectEvm.js'
import type { EvmDeliveryResult, EvmSubmitter } from '../relayer/evm/startEvmSubmitter.js'
import type { Hex } from '../runtime/bytes.js'
import { attestWorker } from '../runtime/enclave/attestWorker.js'
import { createDevProvider } from '../runtime/enclave/devProvider.js'
import type { Envelope } from '../runtime/enclave/envelope.js'
import { signEnvelope } from '../runtime/enclave/signEnvelope.js'
import type { TeeProvider } from '../runtime/enclave/TeeProvider.js'
import { createLogger } from '../runtime/logging/createLogger.js'
import { createDeliveryReader } from '../runtime/queue/createDeliveryReader.js'
import { createRedisConnection } from '../runtime/queue/createRedisConnection.js'
import { requestJobId } from '../runtime/queue/jobIds.js'
import type { DeliveryJobData, RequestJobData } from '../runtime/queue/jobs.js'
import { openDeliveryQueue, openRequestQueue } from '../runtime/queue/queues.js'
import { statusCode } from '../runtime/resultStatus.js'
import { createRedisFunctionStore } from '../runtime/store/createRedisFunctionStore.js'
import type { FunctionStore } from '../runtime/store/FunctionStore.js'
import { loadExampleFunction } from './support/loadExampleFunction.js'
import { type StartHttpServerReturnType, startHttpServer } from './support/startHttpServer.js'
import { type NodeProcess, startNodeProcess } from './support/startNodeProcess.js'
import { eventsNamed, mined, revertOf } from './support/teefnContracts.js'

// The whole EVM loop on real parts: anvil, redis-server, the QuickJS sandbox, the dev TEE provider.
// requestPrice -> watcher -> request job -> worker (registry, sandbox, fetch, signature) -> delivery job
// -> submitter -> fulfil transaction -> the oracle verifies the envelope and stores the price.

let anvil: AnvilInstance
let redisServer: RedisServer
let connection: Redis
let dir: string
let http: JsonRpcProvider
let prices: StartHttpServerReturnType
let provider: TeeProvider
let store: FunctionStore
let node: RunningNode
let submitter: EvmSubmitter
let registry: TeefnRegistryContract
let oracle: PriceOracleContract
let admin: Wallet
let functionOwner: Wallet
let oracleOwner: Wallet
let stranger: Wallet
let deliveries: Queue<DeliveryJobData, EvmDeliveryResult>
let requestQueue: Queue<RequestJobData>
let priceFeed: { code: string; codeHash: string }
let attestationHash: string
const functionId = id('teefn.examples.priceFeed')
const logger = createLogger({ name: 'evm-loop-test', level: 'silent' })
const processes: NodeProcess[] = []

// Price sources: three that agree on a median of 3001, one that is down, and gates that hold their answer
// until the test releases them (to catch a job in the middle).
const gates = new Map<string, { hits: number; open: Promise<void>; release: () => void }>()
const gate = (name: string) => {
  let release!: () => void
  const open = new Promise<void>((resolve) => {
    release = resolve
  })
  const entry = { hits: 0, open, release }
  gates.set(name, entry)
  return entry
}

beforeAll(async () => {
  ;[anvil, redisServer] = await Promise.all([startAnvil(), startRedisServer()])
  connection = createRedisConnection({ url: redisServer.url })
  dir = await mkdtemp(join(tmpdir(), 'teefn-evm-loop-'))
  http = connectEvmHttp({ url: anvil.rpcUrl, chainId: anvil.chainId })
  prices = await startHttpServer(async (request, response) => {
    const path = request.url ?? '/'
    const answer = (price: number) => {
      response.setHeader('content-type', 'application/json')
      response.end(JSON.stringify({ data: { price } }))
    }
    if (path === '/a') return answer(3000)
    if (path === '/b') return answer(3001)
    if (path === '/c') return answer(3002.5)
    const gated = /^\/gate\/(\w+)$/.exec(path)
    const entry = gated ? gates.get(gated[1]!) : undefined
    if (entry) {
      entry.hits++
      await entry.open
      return answer(4000)
    }
    response.statusCode = 503
    response.end('down')
  })

  ;[admin, functionOwner, oracleOwner, , stranger] = anvil.privateKeys
    .slice(0, 5)
    .map((key) => new Wallet(key, http)) as Wallet[] as [Wallet, Wallet, Wallet, Wallet, Wallet]

  // The function: bundled as `teefn build` does, uploaded to the store, registered on-chain.
  priceFeed = await loadExampleFunction(new URL('../functions/priceFeed/index.ts', import.meta.url).href)
  store = createRedisFunctionStore({ redis: connection })
  expect((await store.putFunction(priceFeed.code)).codeHash).toBe(priceFeed.codeHash)

  // The worker: a dev TEE identity, admitted with the hash of its (dev) attestation.
  const keyFile = join(dir, 'worker.json')
  provider = await createDevProvider({ keyFile })
  const attestation = await attestWorker({ provider, measurement: priceFeed.codeHash as Hex })
  attestationHash = keccak256(attestation.quote)

  registry = await deployRegistry(admin)
  await mined(registry.connect(functionOwner).registerFunction(functionId, priceFeed.codeHash))
  const now = (await http.getBlock('latest'))!.timestamp
  await mined(registry.admitWorker(provider.publicKeys.evmAddress, attestationHash, now + 86_400))
  oracle = await deployPriceOracle(oracleOwner, { registry: String(registry.target), functionId })

  // The node as `teefn node` composes it: worker and relayer in this process (the API is not under test here).
  node = await startNode({
    config: nodeConfig({ threads: 2 }),
    roles: ['worker', 'relayer'],
    env: { ...process.env, TEEFN_EVM_LOOP_SUBMITTER: anvil.privateKeys[3]! },
    logger,
  })
  submitter = node.evm[0]!.submitter!
  deliveries = openDeliveryQueue(connection, { family: 'evm', chainId: String(anvil.chainId) })
  requestQueue = openRequestQueue(connection)
})

afterAll(async () => {
  for (const entry of gates.values()) entry.release()
  await Promise.all(processes.map((child) => child.kill()))
  await node?.close()
  await deliveries?.close()
  await requestQueue?.close()
  await prices?.close()
  http?.destroy()
  connection?.disconnect()
  await Promise.all([anvil?.stop(), redisServer?.stop()])
  if (dir) await rm(dir, { recursive: true, force: true })
})

/**
 * The node's configuration. BullMQ's stalled check is queue-wide and blocked for the last checker's interval
 * (lock / 2): a short lock keeps the crash test below from waiting out a 15 s window.
 */
function nodeConfig({ threads }: { threads: number }): NodeConfig {
  return {
    redisUrl: redisServer.url,
    tee: { provider: 'dev', devKeyFile: join(dir, 'worker.json') },
    worker: { threads, lockDurationMs: 2_000, allowHosts: [`127.0.0.1:${prices.port}`] },
    evm: [
      {
        chainId: anvil.chainId,
        rpcUrl: anvil.rpcUrl,
        wsUrl: anvil.wsUrl,
        rpcQuorum: 1,
        confirmations: 0,
        registry: String(registry.target),
        consumers: [String(oracle.target)],
        fromBlock: 0,
        submitterKey: 'env:TEEFN_EVM_LOOP_SUBMITTER',
        watching: { pollIntervalMs: 250, heartbeatIntervalMs: 500, heartbeatTimeoutMs: 1_500 },
      },
    ],
  }
}

const payloadFor = (paths: string[]) =>
  hexlify(
    toUtf8Bytes(
      JSON.stringify({ sources: paths.map((path) => ({ url: `${prices.url}${path}`, path: 'data.price' })) }),
    ),
  )

/** Asks the oracle for a price from `paths` and returns the request id. */
async function requestPrice(paths: string[]): Promise<string> {
  const receipt = await mined(oracle.connect(oracleOwner).requestPrice(payloadFor(paths)))
  const [event] = eventsNamed(receipt, oracle, 'RequestSent')
  return event!.args.requestId as string
}

const fulfilledTopic = () => oracle.interface.getEvent('RequestFulfilled')!.topicHash

/** Every `RequestFulfilled` of `requestId` so far. */
async function fulfilments(requestId: string) {
  const logs = await http.getLogs({
    address: oracle.target,
    topics: [fulfilledTopic(), requestId],
    fromBlock: 0,
  })
  return logs.map((log) =>
    Object.assign(oracle.interface.parseLog(log)!, { transactionHash: log.transactionHash }),
  )
}

async function until<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(50)
  }
}

const fulfilled = (requestId: string) =>
  until(`the fulfilment of ${requestId}`, async () => {
    const found = await fulfilments(requestId)
    return found.length > 0 ? found : undefined
  })

const deliveryJobId = (requestId: string) =>
  requestJobId({
    trigger: 'evm',
    chainId: String(anvil.chainId),
    destination: String(oracle.target) as Hex,
    requestId: requestId as Hex,
  })

async function settledDelivery(jobId: string): Promise<Job<DeliveryJobData, EvmDeliveryResult>> {
  return until(`delivery ${jobId}`, async () => {
    const state = await deliveries.getJobState(jobId)
    return state === 'completed' || state === 'failed' ? (await deliveries.getJob(jobId))! : undefined
  })
}

const structOf = (envelope: Envelope): EnvelopeStruct => ({
  requestId: envelope.requestId,
  functionId: envelope.functionId,
  payloadHash: envelope.payloadHash,
  codeHash: envelope.codeHash,
  status: statusCode(envelope.status),
  result: envelope.result,
  signature: envelope.signature,
})

describe('the EVM loop', () => {
  it('answers a price request on-chain with the median of the sources, once', async () => {
    const requestId = await requestPrice(['/a', '/b', '/c'])
    const [event] = await fulfilled(requestId)
    expect(event!.args.worker).toBe(provider.publicKeys.evmAddress)
    expect(event!.args.status).toBe(0n)
    expect(event!.args.hookSucceeded).toBe(true)
    const latest = await oracle.latest()
    expect(latest.price).toBe(300_100_000_000n) // 3001 with 8 decimals
    expect(latest.requestId).toBe(requestId)
    expect(await oracle.isPending(requestId)).toBe(false)
    expect(await fulfilments(requestId)).toHaveLength(1)
    expect((await settledDelivery(deliveryJobId(requestId))).returnvalue).toMatchObject({
      outcome: 'fulfilled',
    })
    // What `GET /v1/jobs/:id` and `teefn jobs` show of it: the transaction the chain has.
    const receipt = await http.getTransactionReceipt(event!.transactionHash)
    const reader = createDeliveryReader(connection)
    const delivery = await reader.read({
      jobId: deliveryJobId(requestId),
      request: { trigger: 'evm', chainId: String(anvil.chainId) },
    })
    await reader.close()
    expect(delivery).toEqual({
      state: 'delivered',
      attempts: 1,
      transactionHash: event!.transactionHash,
      blockNumber: receipt!.blockNumber,
      blockHash: undefined,
    })
  })

  it('answers a function error with a signed failure status the consumer records', async () => {
    const before = await oracle.latest()
    const requestId = await requestPrice(['/down', '/down'])
    const [event] = await fulfilled(requestId)
    expect(event!.args.status).toBe(BigInt(statusCode('FUNCTION_ERROR')))
    const receipt = await http.getTransactionReceipt(event!.transactionHash)
    const [failure] = eventsNamed(receipt!, oracle, 'PriceRequestFailed')
    expect(failure!.args.requestId).toBe(requestId)
    expect(failure!.args.status).toBe(BigInt(statusCode('FUNCTION_ERROR')))
    expect(Buffer.from((failure!.args.message as string).slice(2), 'hex').toString()).toMatch(
      /only 0 of 2 sources answered/,
    )
    expect(await oracle.isPending(requestId)).toBe(false)
    expect((await oracle.latest()).price).toBe(before.price)
  })

  it('rejects an envelope forged with a key that was never admitted', async () => {
    const held = gate('forged')
    const requestId = await requestPrice(['/gate/forged'])
    await until('the worker to be fetching', async () => held.hits > 0)

    const rogue = await createDevProvider({ keyFile: join(dir, 'rogue.json') })
    const forged = await signEnvelope(rogue, {
      family: 'evm',
      chainId: anvil.chainId,
      destination: String(oracle.target) as Hex,
      requestId: requestId as Hex,
      functionId: functionId as Hex,
      payloadHash: keccak256(payloadFor(['/gate/forged'])) as Hex,
      codeHash: priceFeed.codeHash as Hex,
      status: 'OK',
      result: Buffer.from(AbiCoder.defaultAbiCoder().encode(['uint256'], [1n]).slice(2), 'hex'),
    })
    expect(await revertOf(oracle.connect(stranger).fulfill(structOf(forged)))).toEqual({
      name: 'WorkerNotActive',
      args: [rogue.publicKeys.evmAddress],
    })
    // Through the relayer too: the submitter refuses it for good with the consumer's reason.
    const request = {
      trigger: 'evm' as const,
      chainId: String(anvil.chainId),
      destination: String(oracle.target) as Hex,
      requestId: requestId as Hex,
      functionId: functionId as Hex,
      request: '0x',
      seenAt: Date.now(),
    }
    const job = await deliveries.add(
      'delivery',
      { request, envelope: forged, signedAt: Date.now() },
      { jobId: `forged-${requestId}` },
    )
    // Through the relayer too: refused by the consumer, it only makes the request run again (by a worker).
    const refused = await settledDelivery(job.id!)
    expect(refused.returnvalue).toEqual({ outcome: 'rerun', reason: 'WorkerNotActive', run: 1 })

    held.release()
    const [event] = await fulfilled(requestId)
    expect(event!.args.worker).toBe(provider.publicKeys.evmAddress)
    expect((await oracle.latest()).price).toBe(400_000_000_000n)
    expect(await fulfilments(requestId)).toHaveLength(1)
  })

  it('signs nothing while its worker is not admitted, and answers once it is admitted again', async () => {
    await mined(registry.removeWorker(provider.publicKeys.evmAddress))
    const requestId = await requestPrice(['/a', '/b', '/c'])
    const requestJob = deliveryJobId(requestId) // a request and its delivery share the job id
    await until('the request job to be put back', async () => {
      const job = await requestQueue.getJob(requestJob)
      return job && job.attemptsMade >= 1 && /not admitted/.test(job.failedReason ?? '') ? job : undefined
    })
    expect(await deliveries.getJob(requestJob)).toBeUndefined()
    expect(await oracle.isPending(requestId)).toBe(true)

    const now = (await http.getBlock('latest'))!.timestamp
    await mined(registry.admitWorker(provider.publicKeys.evmAddress, attestationHash, now + 86_400))
    await fulfilled(requestId)
    expect(await fulfilments(requestId)).toHaveLength(1)
  })

  it('runs a request again with the upgraded code when an upgrade lands between signing and delivery', async () => {
    const upgradedCode = `${priceFeed.code}\n// v2\n`
    const { codeHash: upgraded } = await store.putFunction(upgradedCode)
    const held = gate('upgrade')
    const requestId = await requestPrice(['/gate/upgrade'])
    await until('the worker to be running v1', async () => held.hits > 0)
    await mined(registry.connect(functionOwner).upgradeFunction(functionId, upgraded))
    held.release()

    const first = await settledDelivery(deliveryJobId(requestId))
    expect(first.data.envelope.codeHash).toBe(priceFeed.codeHash)
    // The consumer refused the v1 answer (CodeHashMismatch): the request ran again, on v2.
    expect(first.returnvalue).toEqual({ outcome: 'rerun', reason: 'CodeHashMismatch', run: 1 })
    const [event] = await fulfilled(requestId)
    const rerun = await settledDelivery(`${deliveryJobId(requestId)}-r1`)
    expect(rerun.data.envelope.codeHash).toBe(upgraded)
    expect(rerun.returnvalue).toMatchObject({ outcome: 'fulfilled', transactionHash: event!.transactionHash })
    expect(held.hits).toBe(2)
    await mined(registry.connect(functionOwner).upgradeFunction(functionId, priceFeed.codeHash))
  })

  it('rejects a replayed envelope, and the relayer sends no transaction for it', async () => {
    const requestId = await requestPrice(['/a', '/b', '/c'])
    await fulfilled(requestId)
    const original = await settledDelivery(deliveryJobId(requestId))
    expect(await revertOf(oracle.connect(stranger).fulfill(structOf(original.data.envelope)))).toEqual({
      name: 'AlreadyFulfilled',
      args: [requestId],
    })
    const transactionsBefore = submitter.stats().transactions
    const replay = await deliveries.add('delivery', original.data, { jobId: `replay-${requestId}` })
    expect((await settledDelivery(replay.id!)).returnvalue).toEqual({ outcome: 'alreadyFulfilled' })
    expect(submitter.stats().transactions).toBe(transactionsBefore)
    expect(await fulfilments(requestId)).toHaveLength(1)
  })

  it('loses no request when the node restarts while requests are in flight', async () => {
    const fromBlock = (await http.getBlockNumber()) + 1
    const sent: string[] = []
    // One request is surely in flight across the restart: its worker waits for a source until after it.
    const held = gate('restart')
    sent.push(await requestPrice(['/gate/restart']))
    for (let i = 0; i < 3; i++) sent.push(await requestPrice(['/a', '/b', '/c']))
    await until('the held request to be running', async () => held.hits > 0)
    await anvil.restart({ downtimeMs: 300 })
    held.release()
    for (let i = 0; i < 4; i++) {
      // The first sends after the restart may meet a closed keep-alive socket: retry those.
      for (let attempt = 1; ; attempt++) {
        try {
          sent.push(await requestPrice(['/a', '/b', '/c']))
          break
        } catch (error) {
          if (attempt >= 20) throw error
          await sleep(100)
        }
      }
    }
    // The chain is the truth: a send retried across the restart may have gone through twice.
    const requested = (
      await http.getLogs({
        address: oracle.target,
        topics: [oracle.interface.getEvent('RequestSent')!.topicHash],
        fromBlock,
      })
    ).map((log) => log.topics[1]!)
    for (const requestId of sent) expect(requested).toContain(requestId)
    for (const requestId of requested) {
      await fulfilled(requestId)
      expect(await fulfilments(requestId)).toHaveLength(1)
    }
  })

  it('fulfils a request exactly once when its worker process is killed in the middle of it', async () => {
    await node.worker?.close()
    // The worker moves to a process of its own (the production composition, worker role only), to be killed.
    const input = { config: nodeConfig({ threads: 1 }), roles: ['worker' as const] }
    const first = await startNodeProcess(input)
    processes.push(first)
    const held = gate('crash')
    const requestId = await requestPrice(['/gate/crash'])
    await until('the job to be running in the worker process', async () => held.hits > 0)
    await first.kill()
    held.release() // the next run answers at once

    const second = await startNodeProcess(input)
    processes.push(second)
    const [event] = await fulfilled(requestId)
    expect(event!.args.worker).toBe(provider.publicKeys.evmAddress)
    expect(held.hits).toBe(2) // run again by the second worker
    expect(await fulfilments(requestId)).toHaveLength(1)
    const delivery = await settledDelivery(deliveryJobId(requestId))
    expect(delivery.returnvalue).toMatchObject({ outcome: 'fulfilled' })
    await second.stop()
  }, 60_000)
})
