import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { id, Wallet } from 'ethers'
import type { Redis } from 'ioredis'
import type { NodeConfig } from '../../cli/node/nodeConfigSchema.js'
import { findFreePort } from '../../dev/findFreePort.js'
import type { AnvilInstance } from '../../dev/startAnvil.js'
import { type RedisServer, startRedisServer } from '../../dev/startRedisServer.js'
import type { Hex } from '../../runtime/bytes.js'
import { createDevProvider } from '../../runtime/enclave/devProvider.js'
import type { FunctionScope } from '../../runtime/enclave/functionScope.js'
import { signSecretsUpdate } from '../../runtime/enclave/ownerRecords.js'
import { encryptSecrets } from '../../runtime/enclave/secretsCipher.js'
import type { WorkerPublicKeys } from '../../runtime/enclave/TeeProvider.js'
import { createRedisConnection } from '../../runtime/queue/createRedisConnection.js'
import { createRedisFunctionStore } from '../../runtime/store/createRedisFunctionStore.js'
import type { FunctionStore } from '../../runtime/store/FunctionStore.js'
import { type NodeProcess, startNodeProcess } from './startNodeProcess.js'
import { mined, type TeefnContractsFixture } from './teefnContracts.js'

/** One node of the quorum: its own Redis, worker key, submitter account and process. */
export type QuorumNode = {
  name: string
  redis: RedisServer
  connection: Redis
  store: FunctionStore
  worker: WorkerPublicKeys
  /** The account its submitter pays from. */
  submitter: string
  apiUrl: string
  process: NodeProcess
}

export type StartQuorumNodesParameters = {
  anvil: AnvilInstance
  f: TeefnContractsFixture
  /** How many nodes; 3 by default. */
  count?: number | undefined
  failoverDelayMs: number
  settleMs?: number | undefined
  /** The JSON-RPC endpoint node `index` uses (a proxy in front of anvil, say); anvil's by default. */
  rpcUrlOf?: ((index: number) => string) | undefined
}

export type QuorumNodes = {
  nodes: QuorumNode[]
  /** Uploads `code` to every node and registers it on chain under `label` with policy (k, aggregation). */
  register(code: string, label: string, policy: { threshold: number; aggregation?: number }): Promise<Hex>
  /** Each node's secrets for a function, encrypted to that node's worker and signed by the owner. */
  putSecrets(functionId: Hex, perNode: Record<string, string>[]): Promise<void>
  close(): Promise<void>
}

/**
 * Independent teefn nodes on one anvil, as a quorum network runs: each `teefn node` process (the production
 * `startNode`) with its own redis-server, dev worker key (admitted) and submitter account, its peers the others'
 * APIs. They share nothing but the chain and each other's HTTP API.
 */
export async function startQuorumNodes({
  anvil,
  f,
  count = 3,
  failoverDelayMs,
  settleMs,
  rpcUrlOf = () => anvil.rpcUrl,
}: StartQuorumNodesParameters): Promise<QuorumNodes> {
  const closers: (() => Promise<unknown> | unknown)[] = []
  const close = async () => {
    for (const closer of closers.splice(0).reverse()) await Promise.resolve(closer()).catch(() => {})
  }
  try {
    const dir = await mkdtemp(join(tmpdir(), 'teefn-quorum-'))
    closers.push(() => rm(dir, { recursive: true, force: true }))
    const ports = await Promise.all(Array.from({ length: count }, findFreePort))
    const apiUrls = ports.map((port) => `http://127.0.0.1:${port}`)
    const nodes: QuorumNode[] = []
    for (let index = 0; index < count; index++) {
      const name = String.fromCharCode(65 + index)
      const redis = await startRedisServer()
      closers.push(() => redis.stop())
      const connection = createRedisConnection({ url: redis.url })
      closers.push(() => connection.disconnect())
      const keyFile = join(dir, `worker-${name}.json`)
      const worker = (await createDevProvider({ keyFile })).publicKeys
      await mined(
        f.registry.connect(f.admin).admitWorker(worker.evmAddress, id(`quote ${name}`), f.workerExpiresAt),
      )
      // anvil accounts 0-4 are the fixture's; 5 onwards pay for the nodes' fulfilments.
      const submitterKey = anvil.privateKeys[5 + index]!
      const config: NodeConfig = {
        redisUrl: redis.url,
        tee: { provider: 'dev', devKeyFile: keyFile },
        worker: { threads: 1, allowHosts: ['127.0.0.1'] },
        server: { host: '127.0.0.1', port: ports[index]!, requestLogging: false },
        evm: [
          {
            chainId: anvil.chainId,
            rpcUrl: rpcUrlOf(index),
            wsUrl: anvil.wsUrl,
            registry: String(f.registry.target),
            confirmations: 0,
            fromBlock: 0,
            submitterKey: 'env:QUORUM_SUBMITTER_KEY',
          },
        ],
        quorum: {
          peers: apiUrls.filter((_, other) => other !== index),
          failoverDelayMs,
          ...(settleMs === undefined ? {} : { settleMs }),
        },
      }
      const process = await startNodeProcess({ config }, { env: { QUORUM_SUBMITTER_KEY: submitterKey } })
      closers.push(() => process.stop())
      const submitter = new Wallet(submitterKey).address
      const store = createRedisFunctionStore({ redis: connection })
      nodes.push({ name, redis, connection, store, worker, submitter, apiUrl: apiUrls[index]!, process })
    }

    const scopeOf = (functionId: Hex): FunctionScope => ({
      family: 'evm',
      chainId: String(anvil.chainId),
      registry: String(f.registry.target).toLowerCase() as Hex,
      functionId,
    })
    return {
      nodes,
      async register(code, label, { threshold, aggregation = 0 }) {
        const functionId = id(`quorum function: ${label}`) as Hex
        let codeHash = ''
        for (const node of nodes) codeHash = (await node.store.putFunction(code)).codeHash
        const registry = f.registry.connect(f.functionOwner)
        await mined(registry.registerFunction(functionId, codeHash))
        if (threshold !== 1 || aggregation !== 0) {
          await mined(registry.setResultPolicy(functionId, threshold, aggregation))
        }
        return functionId
      },
      async putSecrets(functionId, perNode) {
        const scope = scopeOf(functionId)
        for (const [index, node] of nodes.entries()) {
          const ciphertext = encryptSecrets({
            workerKey: node.worker.encryption,
            scope,
            secrets: perNode[index]!,
          })
          await node.store.putSecrets(
            await signSecretsUpdate(f.functionOwner, { scope, ciphertext, version: 1 }),
          )
        }
      },
      close,
    }
  } catch (error) {
    await close()
    throw error
  }
}
