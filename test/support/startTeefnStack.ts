import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Queue } from 'bullmq'
import { id, type Wallet } from 'ethers'
import type { Redis } from 'ioredis'
import type { NodeConfig } from '../../cli/node/nodeConfigSchema.js'
import { type RunningNode, startNode } from '../../cli/node/startNode.js'
import { type AnvilInstance, startAnvil } from '../../dev/startAnvil.js'
import {
  type RedisServer,
  type StartRedisServerParameters,
  startRedisServer,
} from '../../dev/startRedisServer.js'
import type { Hex } from '../../runtime/bytes.js'
import { createDevProvider } from '../../runtime/enclave/devProvider.js'
import { type Envelope, parseEnvelope } from '../../runtime/enclave/envelope.js'
import type { FunctionScope } from '../../runtime/enclave/functionScope.js'
import { signFunctionSettings, signSecretsUpdate } from '../../runtime/enclave/ownerRecords.js'
import { encryptSecrets } from '../../runtime/enclave/secretsCipher.js'
import type { WorkerPublicKeys } from '../../runtime/enclave/TeeProvider.js'
import { createLogger, type Logger } from '../../runtime/logging/createLogger.js'
import { createRedisConnection } from '../../runtime/queue/createRedisConnection.js'
import { requestJobId } from '../../runtime/queue/jobIds.js'
import type { DeliveryJobData, RequestJobData, RequestJobResult } from '../../runtime/queue/jobs.js'
import { openDeliveryQueue, openRequestQueue } from '../../runtime/queue/queues.js'
import { createRedisFunctionStore } from '../../runtime/store/createRedisFunctionStore.js'
import type { FunctionStore } from '../../runtime/store/FunctionStore.js'
import {
  deployTeefnContracts,
  deployTestConsumer,
  mined,
  type SentRequest,
  sentRequestsOf,
  type TeefnContractsFixture,
  type TestConsumerContract,
} from './teefnContracts.js'

/** One EVM chain of the stack: anvil, the registry and oracle fixture, and a test consumer for any function. */
export type StackChain = {
  anvil: AnvilInstance
  f: TeefnContractsFixture
  consumer: TestConsumerContract
  consumerAddress: Hex
  /** The delivery queue of this chain. */
  deliveries: Queue<DeliveryJobData>
}

export type StartTeefnStackParameters = {
  /** Chain ids of the EVM chains to start (anvil each); one 31337 chain by default. */
  chainIds?: readonly number[] | undefined
  /**
   * The endpoints the worker reads each chain through, and how many must agree (default: the chain's anvil
   * alone, quorum 1). Called before the node starts, e.g. to put lying proxies in front of anvil.
   */
  rpc?: ((chain: StackChain) => Promise<{ rpcUrls: string[]; rpcQuorum: number }>) | undefined
  /**
   * The endpoints the node's watcher and submitter use for each chain (default: the chain's anvil, for either
   * one left out). Called before the node starts, e.g. to hold deliveries behind a refusing proxy (`rpcUrl`,
   * which the watcher's backfill scans share) or to play a node that announces removed logs (`wsUrl`).
   */
  relayer?: ((chain: StackChain) => Promise<{ rpcUrl?: string; wsUrl?: string }>) | undefined
  /**
   * The node's consumer lists for each chain (default: an allow-list of the test consumer and the oracle).
   * Called before the node starts, e.g. to deploy a consumer to deny; `{}` serves every registered consumer.
   * `phatAttestors` makes the node relay for those `TeefnPhatAttestor`s.
   */
  consumerLists?:
    | ((
        chain: StackChain,
      ) => Promise<{ consumers?: string[]; denyConsumers?: string[]; phatAttestors?: string[] }>)
    | undefined
  /** Blocks a request waits under; 0 by default (anvil). */
  confirmations?: number | undefined
  /** Hosts functions may reach on private addresses (the worker's own setting). */
  allowHosts?: readonly string[] | undefined
  /** How long unanswerable requests and deliveries are retried; an hour by default. */
  retryHorizonSeconds?: number | undefined
  /** The worker's threads and lanes (one thread by default). */
  worker?:
    | Pick<NonNullable<NodeConfig['worker']>, 'threads' | 'httpThreads' | 'concurrency' | 'httpConcurrency'>
    | undefined
  /** Serve the HTTP API too (on a free port). */
  server?: boolean | undefined
  /** The API's operator key (`server.apiKeys`); none by default. */
  apiKey?: string | undefined
  /** The consumers' request timeout in seconds; an hour by default. */
  requestTimeout?: number | undefined
  /** How redis-server runs (`appendOnly`, for a Redis that keeps its data across `redis.restart()`). */
  redis?: StartRedisServerParameters | undefined
  logger?: Logger | undefined
}

export type TeefnStack = {
  redis: RedisServer
  connection: Redis
  store: FunctionStore
  chains: StackChain[]
  /** The node's worker: its public keys (admitted on every chain at start). */
  worker: WorkerPublicKeys
  node: RunningNode
  /** The chain lane's request queue. */
  requests: Queue<RequestJobData, RequestJobResult>
  /** The HTTP lane's request queue (invocations through the API). */
  httpRequests: Queue<RequestJobData, RequestJobResult>
  /** Uploads `code` and registers it under a fresh functionId owned by `owner` (the function owner by default). */
  register(
    code: string,
    label: string,
    options?: { chain?: number; owner?: Wallet },
  ): Promise<{ functionId: Hex; codeHash: Hex }>
  /** Asks chain `chain`'s test consumer to run `functionId` on `payload` (0x-hex). */
  request(
    functionId: Hex,
    payload: string,
    options?: { chain?: number; requester?: Wallet },
  ): Promise<SentRequest>
  /** The registry scope of `functionId` on chain `chain`. */
  scopeOf(functionId: Hex, chain?: number): FunctionScope
  /** Encrypts `secrets` to the worker for the scope and stores them signed by `signer`. */
  putSecrets(
    functionId: Hex,
    secrets: Record<string, string>,
    options?: { chain?: number; signer?: Wallet; version?: number },
  ): Promise<void>
  /** The owner's signed settings letting HTTP callers use the function's secrets and key, PUT through the API. */
  allowHttpSecrets(functionId: Hex, options?: { chain?: number; version?: number }): Promise<void>
  /** The envelope the worker queued for `requestId` (waits for it). */
  envelopeOf(requestId: string, options?: { chain?: number; timeoutMs?: number }): Promise<Envelope>
  /** The job id a request of chain `chain` gets. */
  jobIdOf(requestId: string, chain?: number): string
  close(): Promise<void>
}

/**
 * The production node (`startNode`, as `teefn node` runs it) on real parts: redis-server, one anvil per chain
 * with the teefn contracts, the dev TEE provider admitted on every chain, watcher, worker and submitter. Tests
 * act as the operator beside it (writing Redis, lying through an RPC endpoint) or as its users.
 */
export async function startTeefnStack(parameters: StartTeefnStackParameters = {}): Promise<TeefnStack> {
  const closers: (() => Promise<unknown> | unknown)[] = []
  const close = async () => {
    for (const closer of closers.splice(0).reverse()) await Promise.resolve(closer()).catch(() => {})
  }
  try {
    const dir = await mkdtemp(join(tmpdir(), 'teefn-stack-'))
    closers.push(() => rm(dir, { recursive: true, force: true }))
    const redis = await startRedisServer(parameters.redis)
    closers.push(() => redis.stop())
    const connection = createRedisConnection({ url: redis.url })
    closers.push(() => connection.disconnect())
    const store = createRedisFunctionStore({ redis: connection })
    const keyFile = join(dir, 'worker-key.json')
    const provider = await createDevProvider({ keyFile })

    const chains: StackChain[] = []
    for (const chainId of parameters.chainIds ?? [31337]) {
      const anvil = await startAnvil({ chainId })
      closers.push(() => anvil.stop())
      const f = await deployTeefnContracts(anvil, { requestTimeout: parameters.requestTimeout })
      closers.push(() => f.destroy())
      await mined(
        f.registry.admitWorker(provider.publicKeys.evmAddress, id('dev attestation'), f.workerExpiresAt),
      )
      const consumer = await deployTestConsumer(f.admin, {
        registry: String(f.registry.target),
        requestTimeout: parameters.requestTimeout,
      })
      const consumerAddress = (await consumer.getAddress()) as Hex
      const deliveries = openDeliveryQueue(connection, { family: 'evm', chainId: String(chainId) })
      closers.push(() => deliveries.close())
      chains.push({ anvil, f, consumer, consumerAddress, deliveries })
    }

    const evm: NonNullable<NodeConfig['evm']> = []
    for (const [index, chain] of chains.entries()) {
      const { rpcUrls, rpcQuorum } = (await parameters.rpc?.(chain)) ?? {
        rpcUrls: [chain.anvil.rpcUrl],
        rpcQuorum: 1,
      }
      const relayer = (await parameters.relayer?.(chain)) ?? {}
      const lists = (await parameters.consumerLists?.(chain)) ?? {
        consumers: [chain.consumerAddress, String(chain.f.oracle.target)],
      }
      evm.push({
        chainId: chain.anvil.chainId,
        rpcUrl: relayer.rpcUrl ?? chain.anvil.rpcUrl,
        wsUrl: relayer.wsUrl ?? chain.anvil.wsUrl,
        rpcUrls,
        rpcQuorum,
        registry: String(chain.f.registry.target),
        ...lists,
        confirmations: parameters.confirmations ?? 0,
        fromBlock: 0,
        submitterKey: `env:TEEFN_STACK_SUBMITTER_${index}`,
      })
    }
    const env = Object.fromEntries(
      chains.map((chain, index) => [`TEEFN_STACK_SUBMITTER_${index}`, chain.anvil.privateKeys[3]!]),
    )
    const node = await startNode({
      config: {
        redisUrl: redis.url,
        tee: { provider: 'dev', devKeyFile: keyFile },
        worker: {
          threads: 1,
          ...parameters.worker,
          allowHosts: [...(parameters.allowHosts ?? [])],
          retryHorizonSeconds: parameters.retryHorizonSeconds,
        },
        roles: parameters.server ? ['api', 'worker', 'relayer'] : ['worker', 'relayer'],
        server: {
          port: 0,
          host: '127.0.0.1',
          ...(parameters.apiKey ? { apiKeys: 'env:TEEFN_STACK_API_KEYS' } : {}),
        },
        evm,
      },
      env: { ...process.env, ...env, TEEFN_STACK_API_KEYS: parameters.apiKey },
      logger: parameters.logger ?? createLogger({ name: 'teefn-stack', level: 'silent' }),
    })
    closers.push(() => node.close())
    const requests = openRequestQueue(connection)
    closers.push(() => requests.close())
    const httpRequests = openRequestQueue(connection, { lane: 'http' })
    closers.push(() => httpRequests.close())

    const chainAt = (index = 0) => {
      const chain = chains[index]
      if (!chain) throw new RangeError(`the stack has no chain ${index}`)
      return chain
    }
    const scopeOf = (functionId: Hex, index = 0): FunctionScope => ({
      family: 'evm',
      chainId: String(chainAt(index).anvil.chainId),
      registry: String(chainAt(index).f.registry.target).toLowerCase() as Hex,
      functionId,
    })
    const jobIdOf = (requestId: string, index = 0) =>
      requestJobId({
        trigger: 'evm',
        chainId: String(chainAt(index).anvil.chainId),
        destination: chainAt(index).consumerAddress,
        requestId: requestId as Hex,
      })

    return {
      redis,
      connection,
      store,
      chains,
      worker: provider.publicKeys,
      node,
      requests,
      httpRequests,
      scopeOf,
      jobIdOf,
      async register(code, label, { chain = 0, owner } = {}) {
        const { f } = chainAt(chain)
        const functionId = id(`stack function: ${label}`) as Hex
        const { codeHash } = await store.putFunction(code)
        await mined(f.registry.connect(owner ?? f.functionOwner).registerFunction(functionId, codeHash))
        return { functionId, codeHash }
      },
      async request(functionId, payload, { chain = 0, requester } = {}) {
        const { consumer, consumerAddress, f } = chainAt(chain)
        const receipt = await mined(consumer.connect(requester ?? f.oracleOwner).request(functionId, payload))
        return sentRequestsOf(receipt, consumerAddress)[0]!
      },
      async putSecrets(functionId, secrets, { chain = 0, signer, version = 1 } = {}) {
        const scope = scopeOf(functionId, chain)
        const ciphertext = encryptSecrets({ workerKey: provider.publicKeys.encryption, scope, secrets })
        await store.putSecrets(
          await signSecretsUpdate(signer ?? chainAt(chain).f.functionOwner, { scope, ciphertext, version }),
        )
      },
      async allowHttpSecrets(functionId, { chain = 0, version = 1 } = {}) {
        const settings = await signFunctionSettings(chainAt(chain).f.functionOwner, {
          scope: scopeOf(functionId, chain),
          httpSecrets: true,
          version,
        })
        const put = await fetch(`${node.serverUrl}/v1/settings`, {
          method: 'PUT',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(settings),
        })
        if (put.status !== 200)
          throw new Error(`PUT /v1/settings answered ${put.status}: ${await put.text()}`)
      },
      async envelopeOf(requestId, { chain = 0, timeoutMs = 30_000 } = {}) {
        const deadline = Date.now() + timeoutMs
        for (;;) {
          const job = await chainAt(chain).deliveries.getJob(jobIdOf(requestId, chain))
          if (job) return parseEnvelope(job.data.envelope)
          if (Date.now() > deadline) throw new Error(`no envelope for ${requestId} after ${timeoutMs} ms`)
          await sleep(50)
        }
      },
      close,
    }
  } catch (error) {
    await close()
    throw error
  }
}
