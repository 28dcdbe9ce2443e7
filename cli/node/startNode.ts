import { toUtf8Bytes } from 'ethers'
import { startEvmSubmitter, startEvmWatcher } from '../../relayer/evm/index.js'
import { startSubstrateRelayer } from '../../relayer/substrate/index.js'
import { endpointHost } from '../../runtime/chain/endpointHost.js'
import { createEvmChainReader, type EvmChainReader } from '../../runtime/chain/evm/createEvmChainReader.js'
import { defaultConfirmations } from '../../runtime/chain/evm/defaultConfirmations.js'
import { createSubstrateChainReader } from '../../runtime/chain/substrate/createSubstrateChainReader.js'
import { attestWorker } from '../../runtime/enclave/attestWorker.js'
import { selectProvider } from '../../runtime/enclave/selectProvider.js'
import { createRedisFunctionStore } from '../../runtime/functions/createRedisFunctionStore.js'
import { createLogger, type Logger } from '../../runtime/logging/createLogger.js'
import { createMetrics } from '../../runtime/metrics/index.js'
import { createRedisConnection } from '../../runtime/queue/createRedisConnection.js'
import { defaultRetryPolicy } from '../../runtime/queue/retryPolicy.js'
import { createSandboxPool } from '../../runtime/sandbox/index.js'
import { createStaticFunctionRegistry } from '../../runtime/worker/createStaticFunctionRegistry.js'
import { startWorker } from '../../runtime/worker/startWorker.js'
import type { WorkerChains, WorkerSubstrateChain } from '../../runtime/worker/WorkerChains.js'
import { startServer } from '../../server/index.js'
import { resolveSecret, rpcQuorumOf } from './loadNodeConfig.js'
import type { NodeConfig } from './nodeConfigSchema.js'

export type StartNodeParameters = {
  config: NodeConfig
  env?: NodeJS.ProcessEnv | undefined
  logger?: Logger | undefined
}

export type RunningNode = {
  /** The API's address, when the server runs. */
  serverUrl: string | undefined
  /** Stops taking work, lets what runs finish, and closes everything, in reverse order of start. */
  close(): Promise<void>
}

/**
 * `teefn node`: the HTTP API, the TEE worker and the chain relayers from one configuration, in one
 * process. Each part is optional (`worker.enabled`, `server.enabled`, empty chain lists), so the same
 * entry point runs an all-in-one node or a fleet of specialised ones sharing a Redis.
 */
export async function startNode({
  config,
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
  try {
    const connection = createRedisConnection({ url: config.redisUrl })
    closers.push(() => connection.quit())
    const store = createRedisFunctionStore({ redis: connection })
    const metrics = createMetrics()

    const evmChains = config.evm ?? []
    const evmReaders = evmChains.map((chain) => evmChainReaderOf(chain, logger))
    closers.push(() => {
      for (const reader of evmReaders) reader.close()
    })
    const retryPolicy = config.worker?.retryHorizonSeconds
      ? { ...defaultRetryPolicy, horizonMs: config.worker.retryHorizonSeconds * 1000 }
      : defaultRetryPolicy
    // Substrate relayers first: the worker's reader checks each endpoint against the genesis the relayer found.
    const substrateChains: WorkerSubstrateChain[] = []
    for (const chain of config.substrate ?? []) {
      const log = logger.child({ chain: chain.name ?? chain.wsUrl })
      const relayer = await startSubstrateRelayer({
        wsUrl: chain.wsUrl,
        connection,
        heads: chain.heads,
        submitterUri: resolveSecret(chain.submitterUri, env),
        retryPolicy,
        logger: log,
      })
      closers.push(() => relayer.close())
      const wsUrls = chain.wsUrls ?? [chain.wsUrl]
      const quorum = rpcQuorumOf(wsUrls, chain.rpcQuorum)
      const reader = createSubstrateChainReader({
        genesisHash: relayer.chainId,
        wsUrls,
        quorum,
        heads: chain.heads ?? 'finalized',
        logger: log,
      })
      closers.push(() => reader.close())
      if (quorum === 1)
        warnSingleEndpoint(logger, { chain: relayer.chainId, endpoints: wsUrls.map(endpointHost) })
      substrateChains.push({
        genesisHash: relayer.chainId,
        reader,
        functions: createStaticFunctionRegistry(chain.functions),
      })
    }
    const chains: WorkerChains = { evm: evmReaders, substrate: substrateChains }

    const workerEnabled = config.worker?.enabled ?? true
    const tee = await selectProvider({
      provider: config.tee?.provider,
      devKeyFile: config.tee?.devKeyFile,
      env,
    })
    const attestation = await attestWorker({
      provider: tee,
      measurement: toUtf8Bytes(config.tee?.measurement ?? 'teefn'),
    })
    const pool = await createSandboxPool({ threads: config.worker?.threads })
    closers.push(() => pool.close())
    let worker: ReturnType<typeof startWorker> | undefined
    if (workerEnabled) {
      worker = startWorker({
        connection,
        pool,
        provider: tee,
        store,
        chains,
        metrics,
        retryPolicy,
        logger: logger.child({ component: 'worker' }),
        concurrency: config.worker?.concurrency,
        allowHosts: config.worker?.allowHosts,
      })
      closers.push(() => worker?.close())
      logger.info(
        { tee: tee.kind, worker: tee.publicKeys.evmAddress, threads: pool.stats().threads },
        'worker started',
      )
    }

    for (const chain of evmChains) {
      const log = logger.child({ chain: chain.name ?? `evm-${chain.chainId}` })
      const watcher = await startEvmWatcher({
        connection,
        chainId: chain.chainId,
        rpcUrl: chain.rpcUrl,
        wsUrl: chain.wsUrl,
        consumers: chain.consumers,
        confirmations: chain.confirmations ?? defaultConfirmations(chain.chainId),
        startBlock: chain.fromBlock ?? 'latest',
        logger: log,
      })
      closers.push(() => watcher.stop())
      const submitter = startEvmSubmitter({
        connection,
        chainId: chain.chainId,
        rpcUrl: chain.rpcUrl,
        privateKey: resolveSecret(chain.submitterKey, env),
        retryPolicy,
        logger: log,
      })
      closers.push(() => submitter.close())
    }

    let serverUrl: string | undefined
    if (config.server?.enabled ?? true) {
      const apiKeys = config.server?.apiKeys
        ? resolveSecret(config.server.apiKeys, env)
            .split(',')
            .map((key) => key.trim())
            .filter(Boolean)
        : undefined
      const server = await startServer({
        host: config.server?.host,
        port: config.server?.port,
        connection,
        store,
        metrics,
        attestation,
        probe: pool,
        apiKeys,
        metricsToken: config.server?.metricsToken
          ? resolveSecret(config.server.metricsToken, env)
          : undefined,
        // The worker's own quorum readers: the API checks codes and owners as the worker will.
        chains: { evm: evmReaders },
        workerCheck: worker ? () => ({ ok: worker.worker.isRunning() }) : undefined,
        logger: logger.child({ component: 'server' }),
      })
      closers.push(() => server.close())
      serverUrl = server.url
      logger.info({ url: server.url }, 'HTTP API listening')
    }
    return { serverUrl, close }
  } catch (error) {
    await close()
    throw error
  }
}

/** The worker's quorum reader of an EVM chain; a single trusted endpoint is allowed (the config says so) but warned of. */
function evmChainReaderOf(chain: NonNullable<NodeConfig['evm']>[number], logger: Logger): EvmChainReader {
  const rpcUrls = chain.rpcUrls ?? [chain.rpcUrl]
  const quorum = rpcQuorumOf(rpcUrls, chain.rpcQuorum)
  const reader = createEvmChainReader({
    chainId: chain.chainId,
    registry: chain.registry,
    rpcUrls,
    quorum,
    confirmations: chain.confirmations ?? defaultConfirmations(chain.chainId),
    logger: logger.child({ chain: chain.name ?? `evm-${chain.chainId}` }),
  })
  if (quorum === 1) warnSingleEndpoint(logger, { chain: chain.chainId, endpoints: reader.endpoints })
  return reader
}

function warnSingleEndpoint(
  logger: Logger,
  fields: { chain: string | number; endpoints: readonly string[] },
): void {
  logger.warn(
    fields,
    'rpcQuorum is 1: whoever runs that endpoint decides which requests, code and owners this worker sees',
  )
}
