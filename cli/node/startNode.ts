import { toUtf8Bytes } from 'ethers'
import { createEvmFunctionRegistry, startEvmSubmitter, startEvmWatcher } from '../../relayer/evm/index.js'
import { startSubstrateRelayer } from '../../relayer/substrate/index.js'
import { attestWorker } from '../../runtime/enclave/attestWorker.js'
import { selectProvider } from '../../runtime/enclave/selectProvider.js'
import { createRedisFunctionStore } from '../../runtime/functions/createRedisFunctionStore.js'
import { createLogger, type Logger } from '../../runtime/logging/createLogger.js'
import { createMetrics } from '../../runtime/metrics/index.js'
import { createRedisConnection } from '../../runtime/queue/createRedisConnection.js'
import { createSandboxPool } from '../../runtime/sandbox/index.js'
import type { FunctionRegistries } from '../../runtime/worker/createRequestProcessor.js'
import { createStaticFunctionRegistry } from '../../runtime/worker/createStaticFunctionRegistry.js'
import type { FunctionLookup } from '../../runtime/worker/FunctionRegistry.js'
import { startWorker } from '../../runtime/worker/startWorker.js'
import { startServer } from '../../server/index.js'
import { resolveSecret } from './loadNodeConfig.js'
import type { NodeConfig } from './nodeConfigSchema.js'

type Hex = `0x${string}`

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
    const evmRegistry =
      evmChains.length > 0
        ? createEvmFunctionRegistry({
            chains: evmChains.map(({ chainId, registry, rpcUrl }) => ({ chainId, registry, rpcUrl })),
          })
        : undefined
    if (evmRegistry) closers.push(() => evmRegistry.close())
    // HTTP callers that name a functionId get its secrets: the first EVM chain's registry says which code may.
    const httpChainId = evmChains[0]?.chainId
    const httpCodeHashOf =
      evmRegistry && httpChainId !== undefined
        ? (functionId: Hex) => evmRegistry.codeHashOf({ chainId: String(httpChainId), functionId })
        : undefined
    const httpRegistry = httpCodeHashOf
      ? { codeHashOf: ({ functionId }: FunctionLookup) => httpCodeHashOf(functionId) }
      : undefined
    const pinned = Object.assign({}, ...(config.substrate ?? []).map((chain) => chain.functions))
    const registries: FunctionRegistries = {
      evm: evmRegistry,
      substrate: config.substrate?.length ? createStaticFunctionRegistry(pinned) : undefined,
      http: httpRegistry,
    }

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
        registries,
        metrics,
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
        confirmations: chain.confirmations,
        startBlock: chain.fromBlock ?? 'latest',
        logger: log,
      })
      closers.push(() => watcher.stop())
      const submitter = startEvmSubmitter({
        connection,
        chainId: chain.chainId,
        rpcUrl: chain.rpcUrl,
        privateKey: resolveSecret(chain.submitterKey, env),
        logger: log,
      })
      closers.push(() => submitter.close())
    }

    for (const chain of config.substrate ?? []) {
      const relayer = await startSubstrateRelayer({
        wsUrl: chain.wsUrl,
        connection,
        heads: chain.heads,
        submitterUri: resolveSecret(chain.submitterUri, env),
        logger: logger.child({ chain: chain.name ?? chain.wsUrl }),
      })
      closers.push(() => relayer.close())
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
        functionRegistry: httpCodeHashOf ? { codeHashOf: httpCodeHashOf } : undefined,
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
