import type { EvmRelayer } from '../../relayer/evm/startEvmRelayer.js'
import type { SubstrateRelayer } from '../../relayer/substrate/startSubstrateRelayer.js'
import { type Hex, utf8 } from '../../runtime/bytes.js'
import { attestWorker } from '../../runtime/enclave/attestWorker.js'
import { selectProvider } from '../../runtime/enclave/selectProvider.js'
import type { TeeProvider } from '../../runtime/enclave/TeeProvider.js'
import { createLogger, type Logger } from '../../runtime/logging/createLogger.js'
import { createMetrics } from '../../runtime/metrics/index.js'
import { createRedisConnection } from '../../runtime/queue/createRedisConnection.js'
import { resolveRetention } from '../../runtime/queue/jobOptions.js'
import { applyRetention } from '../../runtime/queue/queues.js'
import { defaultRetryPolicy, type RetryPolicy } from '../../runtime/queue/retryPolicy.js'
import {
  createSandboxPool,
  defaultMaximumLimits,
  type SandboxLimits,
  type SandboxPool,
} from '../../runtime/sandbox/index.js'
import { createRedisFunctionStore } from '../../runtime/store/createRedisFunctionStore.js'
import { startWorker, type TeeWorker } from '../../runtime/worker/startWorker.js'
import type { WorkerSubstrateChain } from '../../runtime/worker/WorkerChains.js'
import type { ServerSubstrateChain } from '../../server/ServerContext.js'
import { ConfigError } from './ConfigError.js'
import { evmChainReaderOf, substrateChainOf } from './chainReadersOf.js'
import { httpMaximumLimitsOf } from './httpMaximumLimitsOf.js'
import { keepAdmitted } from './keepAdmitted.js'
import { type NodeConfig, type NodeRole, nodeRoles } from './nodeConfigSchema.js'
import { observeRelayers } from './observeRelayers.js'
import { startApi } from './startApi.js'
import { startEvmRelayers, startSubstrateRelayers } from './startChainRelayers.js'
import { startGatekeeperRole } from './startGatekeeperRole.js'
import { startOpsListener } from './startOpsListener.js'
import { workerLanesOf } from './workerLanesOf.js'

export type StartNodeParameters = {
  config: NodeConfig
  /** What this process runs; the config's `roles` (all three by default) unless given. */
  roles?: readonly NodeRole[] | undefined
  env?: NodeJS.ProcessEnv | undefined
  logger?: Logger | undefined
}

export type RunningNode = {
  roles: readonly NodeRole[]
  /**
   * The API's address when the `api` role runs; else the address of `/healthz` and `/metrics`, when the config
   * gives `ops.port`.
   */
  serverUrl: string | undefined
  /** The enclave identity this process uses (public keys only); none in a gatekeeper-only process. */
  tee: Pick<TeeProvider, 'kind' | 'publicKeys'> | undefined
  worker: TeeWorker | undefined
  evm: readonly EvmRelayer[]
  substrate: readonly SubstrateRelayer[]
  /** Stops taking work, lets what runs finish, and closes everything, in reverse order of start. */
  close(): Promise<void>
}

/**
 * The one composition of a teefn node, used by `teefn node`, the demo, the benchmarks and the end-to-end tests:
 * the HTTP API, the TEE worker and one relayer per configured chain, from one validated configuration. `roles`
 * choose the parts, so the same entry point runs an all-in-one node or a fleet of processes sharing one Redis.
 */
export async function startNode({
  config,
  roles = config.roles ?? nodeRoles,
  env = process.env,
  logger = createLogger({ name: 'teefn' }),
}: StartNodeParameters): Promise<RunningNode> {
  const closers: (() => Promise<unknown> | unknown)[] = []
  const close = async () => {
    for (const closer of closers.splice(0).reverse()) {
      try {
        await closer()
      } catch (error) {
        logger.error({ err: error }, 'a component failed to stop')
      }
    }
  }
  const has = (role: NodeRole) => roles.includes(role)
  try {
    // A gatekeeper alone needs no Redis, sandbox or TEE: only its chain and its peers.
    const gatekeeperUrl = has('gatekeeper')
      ? await startGatekeeperRole(config, { env, logger, closers })
      : undefined
    if (roles.every((role) => role === 'gatekeeper')) {
      return {
        roles,
        serverUrl: gatekeeperUrl,
        tee: undefined,
        worker: undefined,
        evm: [],
        substrate: [],
        close,
      }
    }
    if (config.redisUrl === undefined)
      throw new ConfigError('redisUrl is missing.', { hint: 'Every role but gatekeeper needs Redis.' })
    const connection = createRedisConnection({ url: config.redisUrl })
    closers.push(() => connection.quit())
    const retryPolicy: RetryPolicy = config.worker?.retryHorizonSeconds
      ? { ...defaultRetryPolicy, horizonMs: config.worker.retryHorizonSeconds * 1000 }
      : defaultRetryPolicy
    const retention = resolveRetention(config.retention)
    // The event-stream bound lives in the queue's metadata, read by every producer and worker of the fleet.
    await applyRetention(connection, retention)
    // The operator maximum, for every caller (the pool enforces it); HTTP callers get less (httpMaximumLimitsOf).
    const maximumLimits: SandboxLimits = { ...defaultMaximumLimits, ...config.server?.maximumLimits }

    const metrics = createMetrics()
    // Before the relayers: a Substrate quorum counts this node's own worker among its signers.
    const tee = await selectProvider({
      provider: config.tee?.provider,
      devKeyFile: config.tee?.devKeyFile,
      env,
    })
    const evm = has('relayer')
      ? await startEvmRelayers(config, { connection, env, retryPolicy, logger, closers })
      : []
    const substrate = has('relayer')
      ? await startSubstrateRelayers(config, {
          connection,
          env,
          retryPolicy,
          logger,
          closers,
          ownWorker: tee.publicKeys.sr25519,
        })
      : []

    observeRelayers({ connection, metrics, evm, substrate, closers })

    const httpMaximumLimits = httpMaximumLimitsOf(config, maximumLimits)
    if (has('worker')) checkWorkerIdentity(config, tee.publicKeys.evmAddress)
    const store = createRedisFunctionStore({ redis: connection })
    const evmReaders = (config.evm ?? []).map((chain) => evmChainReaderOf(chain, logger))
    closers.push(() => {
      for (const reader of evmReaders) reader.close()
    })
    // The API probes uploads in the sandbox; the worker runs functions in it.
    let pool: SandboxPool | undefined
    const { concurrency, httpConcurrency, ...threads } = workerLanesOf(config)
    if (has('worker') || has('api')) {
      // The sandbox enforces what the API lets callers ask for.
      pool = await createSandboxPool({ ...threads, maximumLimits })
      closers.push(() => pool?.close())
    }

    let worker: TeeWorker | undefined
    if (has('worker')) {
      const substrateChains = substrateWorkerChains(config, substrate, logger, closers)
      worker = startWorker({
        connection,
        pool: pool!,
        provider: tee,
        store,
        chains: { evm: evmReaders, substrate: substrateChains },
        metrics,
        retryPolicy,
        retention,
        logger: logger.child({ component: 'worker' }),
        concurrency,
        httpConcurrency,
        lockDurationMs: config.worker?.lockDurationMs,
        allowHosts: config.worker?.allowHosts,
        httpMaximumLimits,
        callerQuotas: config.worker?.callerQuotas,
      })
      closers.push(() => worker?.close())
      const lanes = { ...threads, concurrency, httpConcurrency }
      logger.info({ tee: tee.kind, worker: tee.publicKeys.evmAddress, ...lanes }, 'worker started')
    }

    let serverUrl: string | undefined
    let quote: Hex | undefined
    if (has('api')) {
      const attestation = await attestWorker({
        provider: tee,
        measurement: utf8(config.tee?.measurement ?? 'teefn'),
      })
      quote = attestation.quote
      serverUrl = await startApi(config, {
        connection,
        store,
        metrics,
        attestation,
        pool,
        evmReaders,
        substrateChains: substrateServerChains(config, substrate),
        worker,
        retention,
        httpMaximumLimits,
        env,
        logger,
        closers,
      })
    }
    // A worker or relayer process of a split node is probed and scraped like the API: on its ops port.
    if (!has('api') && config.ops !== undefined) {
      serverUrl = await startOpsListener(config, {
        connection,
        metrics,
        worker,
        evm,
        substrate,
        env,
        logger,
        closers,
      })
    }
    if (quote && config.admission) {
      closers.push(keepAdmitted(config, { provider: tee, quote, logger }))
    }
    return { roles, serverUrl, tee, worker, evm, substrate, close }
  } catch (error) {
    await close()
    throw error
  }
}

/** What a started part needs run when the node stops, in reverse order. */
export type Closers = (() => Promise<unknown> | unknown)[]
/** The worker's Substrate chains: the genesis from the config, else from this process's relayer of the chain. */
function substrateWorkerChains(
  config: NodeConfig,
  relayers: readonly SubstrateRelayer[],
  logger: Logger,
  closers: Closers,
): WorkerSubstrateChain[] {
  return (config.substrate ?? []).map((chain, index) => {
    const genesisHash = (chain.genesisHash as Hex | undefined) ?? relayers[index]?.chainId
    if (!genesisHash) {
      throw new ConfigError(
        `substrate.${index}.genesisHash is needed by a worker without this chain's relayer.`,
        {
          hint: "Add the chain's genesis hash, or run the relayer role in this process too.",
        },
      )
    }
    const workerChain = substrateChainOf(chain, genesisHash, logger)
    closers.push(() => workerChain.close())
    return workerChain
  })
}

/** The Substrate chains the API keeps quorum envelopes for: those whose genesis hash is known here. */
function substrateServerChains(
  config: NodeConfig,
  relayers: readonly SubstrateRelayer[],
): ServerSubstrateChain[] {
  return (config.substrate ?? []).flatMap((chain, index) => {
    const genesisHash = chain.genesisHash ?? relayers[index]?.chainId
    return genesisHash ? [{ genesisHash, resultWorkers: chain.resultQuorum?.workers ?? [] }] : []
  })
}

/** A worker of a fleet signs as the node's one admitted identity (`tee.workerAddress`), or not at all. */
function checkWorkerIdentity(config: NodeConfig, address: string): void {
  const expected = config.tee?.workerAddress
  if (expected === undefined || expected.toLowerCase() === address.toLowerCase()) return
  throw new ConfigError(
    `This worker's enclave key is ${address}, not the node's worker ${expected} (tee.workerAddress).`,
    {
      hint: 'Every worker process of a node derives the same key: under dstack, the same app (its key derivation is per app); with the dev provider, the same tee.devKeyFile.',
    },
  )
}
