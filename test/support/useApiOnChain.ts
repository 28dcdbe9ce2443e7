import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { id } from 'ethers'
import type { Redis } from 'ioredis'
import { pino } from 'pino'
import { afterAll, beforeAll } from 'vitest'
import type { AnvilInstance } from '../../dev/startAnvil.js'
import { type RedisServer, startRedisServer } from '../../dev/startRedisServer.js'
import type { Hex } from '../../runtime/bytes.js'
import { createEvmChainReader, type EvmChainReader } from '../../runtime/chain/evm/createEvmChainReader.js'
import { attestWorker } from '../../runtime/enclave/attestWorker.js'
import { createDevProvider } from '../../runtime/enclave/devProvider.js'
import type { FunctionScope } from '../../runtime/enclave/functionScope.js'
import type { TeeProvider } from '../../runtime/enclave/TeeProvider.js'
import { redactedLogPaths } from '../../runtime/logging/createLogger.js'
import { createRedisConnection } from '../../runtime/queue/createRedisConnection.js'
import { createRedisFunctionStore } from '../../runtime/store/createRedisFunctionStore.js'
import type { FunctionStore } from '../../runtime/store/FunctionStore.js'
import { buildServer, type TeefnServer } from '../../server/buildServer.js'
import { mined, type TeefnContractsFixture } from './teefnContracts.js'
import { useTeefnChain } from './useTeefnChain.js'

/** What `useApiOnChain` hands its tests once everything runs. */
export type ApiOnChain = {
  anvil: AnvilInstance
  f: TeefnContractsFixture
  /** The worker's kind of reader of the anvil chain (quorum 1, no confirmations). */
  reader: EvmChainReader
  app: TeefnServer
  store: FunctionStore
  connection: Redis
  /** A dev worker's keys, for encrypting secrets (nothing runs functions here). */
  provider: TeeProvider
  /** Every log line the API wrote. */
  logLines: string[]
  /** The scope of `functionId` on the anvil chain's registry. */
  scopeOf(functionId: string): FunctionScope
  /** Registers a fresh function (owned by `f.functionOwner`) and returns its functionId, so tests do not share records. */
  registerFunction(label: string): Promise<Hex>
}

/**
 * The API with a real Redis and a real anvil running the teefn contracts, reading the chain through the same
 * quorum reader the worker uses; no worker (owner records need none). Call at the top of a test file.
 */
export function useApiOnChain(ready: (api: ApiOnChain) => void): void {
  let anvil: AnvilInstance
  let f: TeefnContractsFixture
  useTeefnChain({}, (chain) => {
    ;({ anvil, f } = chain)
  })
  let redisServer: RedisServer | undefined
  let connection: Redis | undefined
  let reader: EvmChainReader | undefined
  let app: TeefnServer | undefined
  let dir: string | undefined
  beforeAll(async () => {
    redisServer = await startRedisServer()
    connection = createRedisConnection({ url: redisServer.url })
    dir = await mkdtemp(join(tmpdir(), 'teefn-api-on-chain-'))
    const provider = await createDevProvider({ keyFile: join(dir, 'worker.json') })
    const store = createRedisFunctionStore({ redis: connection })
    const registry = (await f.registry.getAddress()) as Hex
    reader = createEvmChainReader({
      chainId: anvil.chainId,
      registry,
      rpcUrls: [anvil.rpcUrl],
      quorum: 1,
      confirmations: 0,
    })
    const logLines: string[] = []
    app = await buildServer({
      connection,
      store,
      attestation: await attestWorker({ provider, measurement: new Uint8Array(32) }),
      chains: { evm: [reader] },
      rateLimit: false,
      logger: pino(
        { level: 'info', redact: { paths: redactedLogPaths, censor: '[redacted]' } },
        new Writable({
          write(chunk, _encoding, done) {
            logLines.push(String(chunk))
            done()
          },
        }),
      ),
    })
    ready({
      anvil,
      f,
      reader,
      app,
      store,
      connection,
      provider,
      logLines,
      scopeOf: (functionId) => ({
        family: 'evm',
        chainId: String(anvil.chainId),
        registry: registry.toLowerCase() as Hex,
        functionId: functionId.toLowerCase() as Hex,
      }),
      async registerFunction(label) {
        const functionId = id(`teefn test function: ${label}`) as Hex
        await mined(f.registry.connect(f.functionOwner).registerFunction(functionId, id(`code of ${label}`)))
        return functionId
      },
    })
  })
  afterAll(async () => {
    await app?.close()
    reader?.close()
    connection?.disconnect()
    await redisServer?.stop()
    if (dir) await rm(dir, { recursive: true, force: true })
  })
}
