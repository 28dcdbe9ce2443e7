import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Job, Queue, QueueEvents } from 'bullmq'
import { id, JsonRpcProvider, toUtf8Bytes, Wallet } from 'ethers'
import { bundleFunction } from '../cli/build/bundleFunction.js'
import { startNode } from '../cli/node/startNode.js'
import { deployPriceOracle, deployRegistry } from '../contracts/artifacts.js'
import { compileContracts } from '../contracts/compileContracts.js'
import { contractsPaths } from '../contracts/contractsPaths.js'
import type { FulfilmentResult } from '../relayer/evm/createFulfilmentSender.js'
import { attestationHash } from '../runtime/enclave/attestationHash.js'
import { attestWorker } from '../runtime/enclave/attestWorker.js'
import { createDevProvider } from '../runtime/enclave/devProvider.js'
import { verifyEnvelope } from '../runtime/enclave/verifyEnvelope.js'
import { createLogger } from '../runtime/logging/createLogger.js'
import { createRedisConnection } from '../runtime/queue/createRedisConnection.js'
import { requestJobId } from '../runtime/queue/jobIds.js'
import type { DeliveryJobData } from '../runtime/queue/jobs.js'
import { openDeliveryQueue, openQueueEvents, openRequestQueue } from '../runtime/queue/queues.js'
import { createRedisFunctionStore } from '../runtime/store/createRedisFunctionStore.js'
import { DemoError } from './DemoError.js'
import { ensureRedisServer } from './ensureRedisServer.js'
import { resolveAnvilBinary } from './resolveAnvilBinary.js'
import { startAnvil, waitForReceipt } from './startAnvil.js'
import { startRedisServer } from './startRedisServer.js'

export type RunDemoParameters = {
  /** Where progress goes; stdout by default. */
  print?: ((line: string) => void) | undefined
}

export type RunDemoReturnType = {
  requestId: string
  price: bigint
  fulfilmentTransaction: string
}

/** Three exchanges that disagree a little: the function reports their median. */
const exchanges = {
  '/coinbase': { price: '3012.45' },
  '/kraken': { result: { last: 3010.1 } },
  '/bitstamp': { last: 3015.8 },
}
const expectedPrice = 301245000000n

/**
 * The whole journey on one machine: a contract asks, a TEE worker answers, the answer lands on-chain,
 * verified. Everything it starts (redis-server, anvil, a price API, the worker and the relayer) runs on
 * 127.0.0.1 and is stopped before it returns.
 */
export async function runDemo({
  print = (line) => process.stdout.write(`${line}\n`),
}: RunDemoParameters = {}): Promise<RunDemoReturnType> {
  // Where anvil is missing, say so before starting (or installing) anything else.
  resolveAnvilBinary()
  const stops: (() => Promise<unknown> | unknown)[] = []
  // The demo tells its own story; the components' JSON logs only when something goes wrong.
  const quiet = createLogger({ name: 'demo', level: process.env.TEEFN_LOG_LEVEL ?? 'warn' })
  const step = (text: string) => print(`\n▸ ${text}`)
  const detail = (label: string, value: unknown) => print(`  ${label.padEnd(20)} ${value}`)
  try {
    step('Starting a private redis-server and anvil chain on 127.0.0.1')
    ensureRedisServer({ log: (line) => print(`  ${line}`) })
    const redis = await startRedisServer()
    stops.push(() => redis.stop())
    const anvil = await startAnvil()
    stops.push(() => anvil.stop())
    detail('redis', redis.url)
    detail('anvil', `${anvil.rpcUrl} (chain ${anvil.chainId})`)

    const provider = new JsonRpcProvider(anvil.rpcUrl, anvil.chainId, {
      staticNetwork: true,
      cacheTimeout: -1,
      pollingInterval: 100,
    })
    stops.push(() => provider.destroy())
    const [owner, relayerKey] = anvil.privateKeys.map((key) => new Wallet(key, provider)) as [Wallet, Wallet]
    const connection = createRedisConnection({ url: redis.url })
    stops.push(() => connection.disconnect())
    const store = createRedisFunctionStore({ redis: connection })

    step('Creating the worker identity (dev TEE: a sealed key on disk; no hardware here)')
    const keyDirectory = await mkdtemp(join(tmpdir(), 'teefn-demo-'))
    stops.push(() => rm(keyDirectory, { recursive: true, force: true }))
    const keyFile = join(keyDirectory, 'worker-key.json')
    const tee = await createDevProvider({ keyFile })
    const attestation = await attestWorker({ provider: tee, measurement: toUtf8Bytes('teefn demo worker') })
    detail('worker address', tee.publicKeys.evmAddress)
    detail('attestation', `${attestation.kind} quote, ${attestation.quote.length / 2 - 1} bytes`)

    step('Deploying the registry and the PriceOracle consumer; admitting the worker')
    await compileContracts()
    const registry = await deployRegistry(owner)
    const registryAddress = await registry.getAddress()
    const bundle = await bundleFunction({
      entry: join(contractsPaths().root, 'functions', 'priceFeed', 'index.ts'),
    })
    await store.putFunction(bundle.code, { owner: owner.address })
    const functionId = id('teefn.demo.priceFeed')
    await mined(provider, registry.registerFunction(functionId, bundle.codeHash))
    const expiresAt = BigInt(Math.floor(Date.now() / 1000) + 86_400)
    await mined(
      provider,
      registry.admitWorker(tee.publicKeys.evmAddress, attestationHash(attestation.quote), expiresAt),
    )
    const oracle = await deployPriceOracle(owner, { registry: registryAddress, functionId })
    const oracleAddress = await oracle.getAddress()
    detail('registry', registryAddress)
    detail('PriceOracle', oracleAddress)
    detail('function', `functions/priceFeed (${bundle.bytes.byteLength} bytes)`)
    detail('codeHash', bundle.codeHash)

    step('Serving a local price API (three exchanges)')
    const api = await servePrices()
    stops.push(() => new Promise((resolve) => api.close(resolve)))
    const apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`
    for (const [path, answer] of Object.entries(exchanges)) detail(path, JSON.stringify(answer))

    step('Starting a teefn node: the TEE worker, the chain watcher and the submitter')
    // As `teefn node --config` would, with one local anvil that the worker trusts alone (production lists several
    // endpoints and a quorum).
    const node = await startNode({
      config: {
        redisUrl: redis.url,
        tee: { provider: 'dev', devKeyFile: keyFile },
        worker: { threads: 2, allowHosts: [`127.0.0.1:${(api.address() as AddressInfo).port}`] },
        evm: [
          {
            chainId: anvil.chainId,
            rpcUrl: anvil.rpcUrl,
            wsUrl: anvil.wsUrl,
            rpcQuorum: 1,
            confirmations: 0,
            registry: registryAddress,
            consumers: [oracleAddress],
            fromBlock: 0,
            submitterKey: 'env:TEEFN_DEMO_SUBMITTER_KEY',
          },
        ],
      },
      roles: ['worker', 'relayer'],
      env: { ...process.env, TEEFN_DEMO_SUBMITTER_KEY: relayerKey.privateKey },
      logger: quiet,
    })
    stops.push(() => node.close())
    const deliveries = openDeliveryQueue(connection, { family: 'evm', chainId: String(anvil.chainId) })
    stops.push(() => deliveries.close())
    // QueueEvents blocks on its connection: it gets its own, closed with it.
    const eventsConnection = createRedisConnection({ url: redis.url })
    stops.push(() => eventsConnection.disconnect())
    const deliveryEvents = await openQueueEvents(eventsConnection, {
      family: 'evm',
      chainId: String(anvil.chainId),
    })
    stops.push(() => deliveryEvents.close())
    await deliveryEvents.waitUntilReady()

    step('Requesting a price on-chain')
    const payload = toUtf8Bytes(
      JSON.stringify({
        sources: [
          { url: `${apiUrl}/coinbase`, path: 'price' },
          { url: `${apiUrl}/kraken`, path: 'result.last' },
          { url: `${apiUrl}/bitstamp`, path: 'last' },
        ],
      }),
    )
    const requestReceipt = await mined(provider, oracle.requestPrice(payload))
    const sent = requestReceipt.logs
      .map((log) => oracle.interface.parseLog(log))
      .find((log) => log?.name === 'RequestSent')
    const requestId = sent!.args.requestId as string
    detail('request tx', requestReceipt.hash)
    detail('requestId', requestId)
    detail('payload', `${payload.length} bytes of JSON (the three sources)`)

    const jobId = requestJobId({
      trigger: 'evm',
      chainId: String(anvil.chainId),
      destination: oracleAddress as `0x${string}`,
      requestId: requestId as `0x${string}`,
    })
    const delivery = await waitForDelivery(deliveries, deliveryEvents, jobId)
    const requests = openRequestQueue(connection)
    stops.push(() => requests.close())
    const job = await requests.getJob(jobId)
    const { envelope } = job!.returnvalue

    step("The worker's signed envelope")
    for (const line of JSON.stringify(envelope, null, 2).split('\n')) print(`  ${line}`)
    const verified = await verifyEnvelope(envelope, {
      worker: tee.publicKeys.evmAddress,
      chainId: anvil.chainId,
      destination: oracleAddress,
      requestId,
      codeHash: bundle.codeHash,
    })
    detail('verified', `signed by ${verified.signer} (the admitted worker), status ${envelope.status}`)
    if (job!.returnvalue.logs.length > 0) {
      detail('function logs', '')
      for (const { level, message } of job!.returnvalue.logs) print(`    [${level}] ${message}`)
    }

    step('Fulfilment on-chain')
    const fulfilment = delivery.returnvalue as FulfilmentResult
    if (fulfilment.outcome !== 'fulfilled')
      throw new DemoError(`The delivery ended as ${fulfilment.outcome}.`)
    const [price, updatedAt, latestRequestId] = (await oracle.latest()) as [bigint, bigint, string]
    detail(
      'fulfilment tx',
      `${fulfilment.transactionHash} (${fulfilment.method}, block ${fulfilment.blockNumber})`,
    )
    detail('stored price', `${price} (= ${formatPrice(price)} USD, 8 decimals)`)
    detail('for request', latestRequestId)
    detail('updated at', new Date(Number(updatedAt) * 1000).toISOString())
    if (price !== expectedPrice || latestRequestId !== requestId) {
      throw new DemoError(
        'The oracle stored another price.',
        `${price} for ${latestRequestId}; expected ${expectedPrice} for ${requestId}`,
      )
    }
    print('\n✓ A contract asked, a TEE worker answered, and the verified answer is on-chain.')
    return { requestId, price, fulfilmentTransaction: fulfilment.transactionHash }
  } finally {
    step('Shutting everything down')
    for (const stop of stops.reverse()) {
      try {
        await stop()
      } catch {
        // Keep stopping the rest: nothing may be left running.
      }
    }
  }
}

async function mined(provider: JsonRpcProvider, sending: Promise<{ hash: string }>) {
  const { hash } = await sending
  const receipt = await waitForReceipt(provider, hash)
  if (receipt.status !== 1) throw new DemoError('A transaction reverted.', hash)
  return receipt
}

async function waitForDelivery(
  queue: Queue<DeliveryJobData, unknown>,
  events: QueueEvents,
  jobId: string,
  timeoutMs = 30_000,
): Promise<Job<DeliveryJobData>> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const job = await queue.getJob(jobId)
    if (job) {
      await job.waitUntilFinished(events, Math.max(1, deadline - Date.now()))
      return (await queue.getJob(jobId))!
    }
    if (Date.now() > deadline) throw new DemoError('No delivery in time.', `job ${jobId}, ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

function servePrices(): Promise<Server> {
  const server = createServer((request, response) => {
    const answer = exchanges[request.url as keyof typeof exchanges]
    response.writeHead(answer ? 200 : 404, { 'content-type': 'application/json' })
    response.end(JSON.stringify(answer ?? { error: 'unknown market' }))
  })
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)))
}

function formatPrice(price: bigint): string {
  return `${price / 100_000_000n}.${(price % 100_000_000n).toString().padStart(8, '0')}`
}
