import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { NodeConfig } from '../../cli/node/nodeConfigSchema.js'
import { findFreePort } from '../../dev/findFreePort.js'
import { type RedisServer, startRedisServer } from '../../dev/startRedisServer.js'
import type { Hex } from '../../runtime/bytes.js'
import { createDevProvider } from '../../runtime/enclave/devProvider.js'
import { createRedisConnection } from '../../runtime/queue/createRedisConnection.js'
import { createRedisFunctionStore } from '../../runtime/store/createRedisFunctionStore.js'
import { type NodeProcess, startNodeProcess } from './startNodeProcess.js'

/** One node: its own Redis, dev worker key, fee payer and `teefn node` process. */
export type SubstrateQuorumNode = {
  name: string
  /** Its worker's sr25519 public key. */
  worker: Hex
  apiUrl: string
  /** Its own redis-server (its queues, envelope store). */
  redisUrl: string
  /** Its fee payer's secret URI: the account its result remarks come from. */
  feePayer: string
  process: NodeProcess
}

export type StartSubstrateQuorumNodesParameters = {
  wsUrl: string
  /** Per node (by index), an endpoint to use instead of `wsUrl` (a proxy in front of it). */
  wsUrls?: readonly (string | undefined)[] | undefined
  /** The fee payers' secret URIs (`//Bob`, ...), one per node: funded accounts. */
  feePayers: readonly string[]
  /** Code per functionId, the same on every node (each node pins its codeHash). */
  functions: Record<Hex, string>
  threshold: number
  /** Nodes (by index) whose worker may not fetch from 127.0.0.1: their fetching functions answer otherwise. */
  cutOff?: readonly number[] | undefined
  failoverDelayMs: number
  settleMs: number
  /** `resultQuorum.timeoutSeconds`: a request is given up this long after it was seen. */
  timeoutSeconds?: number | undefined
}

/**
 * Independent `teefn node` processes serving one Substrate chain with a result quorum: each has its own
 * redis-server, dev worker key and fee payer, lists the other nodes' worker keys in `resultQuorum.workers` and
 * their APIs as `quorum.peers`. They share nothing but the chain and each other's HTTP API.
 */
export async function startSubstrateQuorumNodes({
  wsUrl,
  wsUrls = [],
  feePayers,
  functions,
  threshold,
  cutOff = [],
  failoverDelayMs,
  settleMs,
  timeoutSeconds,
}: StartSubstrateQuorumNodesParameters): Promise<{ nodes: SubstrateQuorumNode[]; close(): Promise<void> }> {
  const closers: (() => Promise<unknown> | unknown)[] = []
  const close = async () => {
    for (const closer of closers.splice(0).reverse()) await Promise.resolve(closer()).catch(() => {})
  }
  try {
    const dir = await mkdtemp(join(tmpdir(), 'teefn-substrate-quorum-'))
    closers.push(() => rm(dir, { recursive: true, force: true }))
    const count = feePayers.length
    const ports = await Promise.all(Array.from({ length: count }, findFreePort))
    const apiUrls = ports.map((port) => `http://127.0.0.1:${port}`)
    const keyFiles = ports.map((_, index) => join(dir, `worker-${index}.json`))
    const workers: Hex[] = []
    for (const keyFile of keyFiles) workers.push((await createDevProvider({ keyFile })).publicKeys.sr25519)
    const redises: RedisServer[] = []
    const pinned: Record<string, Hex> = {}
    for (let index = 0; index < count; index++) {
      const redis = await startRedisServer()
      closers.push(() => redis.stop())
      redises.push(redis)
      const connection = createRedisConnection({ url: redis.url })
      const store = createRedisFunctionStore({ redis: connection })
      for (const [functionId, code] of Object.entries(functions)) {
        pinned[functionId] = (await store.putFunction(code)).codeHash
      }
      connection.disconnect()
    }
    const nodes: SubstrateQuorumNode[] = []
    for (let index = 0; index < count; index++) {
      const config: NodeConfig = {
        redisUrl: redises[index]!.url,
        tee: { provider: 'dev', devKeyFile: keyFiles[index]! },
        worker: { threads: 1, allowHosts: cutOff.includes(index) ? [] : ['127.0.0.1'] },
        server: { host: '127.0.0.1', port: ports[index]!, requestLogging: false },
        substrate: [
          {
            wsUrl: wsUrls[index] ?? wsUrl,
            rpcQuorum: 1,
            heads: 'best',
            submitterUri: 'env:SUBSTRATE_FEE_PAYER',
            functions: pinned,
            resultQuorum: {
              threshold,
              workers: workers.filter((_, other) => other !== index),
              timeoutSeconds,
            },
          },
        ],
        quorum: { peers: apiUrls.filter((_, other) => other !== index), failoverDelayMs, settleMs },
      }
      const process = await startNodeProcess({ config }, { env: { SUBSTRATE_FEE_PAYER: feePayers[index]! } })
      closers.push(() => process.stop())
      const name = String.fromCharCode(65 + index)
      nodes.push({
        name,
        worker: workers[index]!,
        apiUrl: apiUrls[index]!,
        redisUrl: redises[index]!.url,
        feePayer: feePayers[index]!,
        process,
      })
    }
    return { nodes, close }
  } catch (error) {
    await close()
    throw error
  }
}
