/**
 * A TEE worker in its own process, for tests that kill it: `node --import tsx test/support/workerProcess.ts
 * '<json config>'` (see `startWorkerProcess`). Prints `ready` once it takes jobs; SIGTERM closes it gracefully.
 */
import { createEvmChainReader } from '../../runtime/chain/evm/createEvmChainReader.js'
import { createDevProvider } from '../../runtime/enclave/devProvider.js'
import { createRedisFunctionStore } from '../../runtime/functions/createRedisFunctionStore.js'
import { createRedisConnection } from '../../runtime/queue/createRedisConnection.js'
import { createSandboxPool } from '../../runtime/sandbox/index.js'
import { startWorker } from '../../runtime/worker/startWorker.js'

export type WorkerProcessConfig = {
  redisUrl: string
  rpcUrl: string
  chainId: number
  registry: string
  /** The dev provider's sealed key file (the same file = the same admitted worker key). */
  keyFile: string
  allowHosts: string[]
  /** BullMQ lock; a killed worker's job is retried once it expires. */
  lockDurationMs: number
  threads: number
  /** Jobs at once; one per thread by default. */
  concurrency?: number | undefined
}

const config = JSON.parse(process.argv[2] ?? '{}') as WorkerProcessConfig
const connection = createRedisConnection({ url: config.redisUrl })
const pool = await createSandboxPool({ threads: config.threads })
const reader = createEvmChainReader({
  chainId: config.chainId,
  registry: config.registry,
  rpcUrls: [config.rpcUrl],
  quorum: 1,
  confirmations: 0,
})
const worker = startWorker({
  connection,
  pool,
  provider: await createDevProvider({ keyFile: config.keyFile }),
  store: createRedisFunctionStore({ redis: connection }),
  chains: { evm: [reader] },
  allowHosts: config.allowHosts,
  lockDurationMs: config.lockDurationMs,
  concurrency: config.concurrency,
})
await worker.worker.waitUntilReady()
process.stdout.write('ready\n')

process.once('SIGTERM', async () => {
  await worker.close()
  await pool.close()
  reader.close()
  connection.disconnect()
  process.exit(0)
})
