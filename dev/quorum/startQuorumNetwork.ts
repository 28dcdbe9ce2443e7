import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sha256 } from '@noble/hashes/sha2.js'
import { id, type JsonRpcProvider, Wallet } from 'ethers'
import type { NodeConfig } from '../../cli/node/nodeConfigSchema.js'
import { deployRegistry } from '../../contracts/artifacts.js'
import { compileContracts } from '../../contracts/compileContracts.js'
import type { TeefnRegistryContract } from '../../contracts/contractTypes.js'
import { compareAddresses } from '../../contracts/quorumFulfillment.js'
import { bytesToHex, type Hex, utf8 } from '../../runtime/bytes.js'
import { createDevProvider } from '../../runtime/enclave/devProvider.js'
import type { WorkerPublicKeys } from '../../runtime/enclave/TeeProvider.js'
import { createProvider } from '../createProvider.js'
import { DemoError } from '../DemoError.js'
import { findFreePort } from '../findFreePort.js'
import { type AnvilInstance, startAnvil } from '../startAnvil.js'
import { startRedisServer } from '../startRedisServer.js'
import { waitForReceipt } from '../waitForReceipt.js'
import { spawnTeefnNode, type TeefnNodeProcess } from './spawnTeefnNode.js'

export type StartQuorumNetworkParameters = {
  /** Progress lines; nothing by default. */
  print?: ((line: string) => void) | undefined
  failoverDelayMs?: number | undefined
  /** The nodes' `quorum.settleMs`; their default (300 ms) when absent. */
  settleMs?: number | undefined
}

/** One `teefn node` of the quorum: its own redis-server, dev key, submitter account and API. */
export type QuorumNetworkNode = {
  name: string
  worker: WorkerPublicKeys
  submitter: string
  apiUrl: string
  redisUrl: string
  process: TeefnNodeProcess
}

export type QuorumNetwork = {
  anvil: AnvilInstance
  provider: JsonRpcProvider
  /** anvil account 0: deployed the registry (then renounced its admin), owns the functions and the consumers. */
  owner: Wallet
  registry: TeefnRegistryContract
  gatekeepers: { address: string; process: TeefnNodeProcess }[]
  nodes: QuorumNetworkNode[]
  /** Stops every process it started, each by its pid, and removes its files. */
  stop(): Promise<void>
}

const measurement = 'teefn quorum demo runtime'

/**
 * The quorum network of issue 15 on one machine: one anvil, a registry whose admin set three gatekeepers (2 of
 * 3), pinned the runtime measurement and renounced; three gatekeeper processes; three `teefn node` processes that
 * each ask the gatekeepers for admission and exchange envelopes with the other two.
 */
export async function startQuorumNetwork({
  print = () => {},
  failoverDelayMs = 2_500,
  settleMs,
}: StartQuorumNetworkParameters = {}): Promise<QuorumNetwork> {
  const stops: (() => Promise<unknown> | unknown)[] = []
  const stop = async () => {
    for (const next of stops.splice(0).reverse()) await Promise.resolve(next()).catch(() => {})
  }
  try {
    const dir = await mkdtemp(join(tmpdir(), 'teefn-quorum-demo-'))
    stops.push(() => rm(dir, { recursive: true, force: true }))
    const anvil = await startAnvil()
    stops.push(() => anvil.stop())
    const provider = createProvider(anvil.rpcUrl)
    stops.push(() => provider.destroy())
    const owner = new Wallet(anvil.privateKeys[0]!, provider)
    await compileContracts()
    const registry = await deployRegistry(owner)
    const registryAddress = await registry.getAddress()
    print(`anvil ${anvil.rpcUrl}, registry ${registryAddress}`)

    // The admin's last acts: the gatekeeper set, the pinned runtime, then no admin at all.
    const gatekeeperKeys = [1, 2, 3]
      .map((i) => new Wallet(anvil.privateKeys[i]!))
      .sort((a, b) => compareAddresses(a.address, b.address))
    const send = async (sending: Promise<{ hash: string }>) => {
      const receipt = await waitForReceipt(provider, (await sending).hash)
      if (receipt.status !== 1) throw new DemoError('A transaction reverted.', receipt.hash)
    }
    await send(
      registry.setGatekeepers(
        gatekeeperKeys.map((key) => key.address),
        2,
      ),
    )
    await send(registry.setMeasurementPinned(bytesToHex(sha256(utf8(measurement))), true))
    await send(registry.renounceAdmin())
    print(`gatekeepers 2 of 3 set, measurement pinned, admin renounced (admin = ${await registry.admin()})`)

    const gatekeeperPorts = await Promise.all(gatekeeperKeys.map(() => findFreePort()))
    const gatekeeperUrls = gatekeeperPorts.map((port) => `http://127.0.0.1:${port}`)
    const gatekeepers = []
    for (const [index, key] of gatekeeperKeys.entries()) {
      const config: NodeConfig = {
        gatekeeper: {
          key: 'env:GATEKEEPER_KEY',
          rpcUrl: anvil.rpcUrl,
          registry: registryAddress,
          // No TEE on this machine: the gatekeepers accept dev attestations (refused in production mode).
          allowDev: true,
          peers: gatekeeperUrls.filter((_, other) => other !== index),
          port: gatekeeperPorts[index]!,
          failoverSeconds: 3,
          pollIntervalMs: 250,
          fromBlock: 0,
        },
      }
      const child = await spawnTeefnNode({
        configFile: join(dir, `gatekeeper-${index}.json`),
        config,
        role: 'gatekeeper',
        env: { GATEKEEPER_KEY: key.privateKey },
      })
      stops.push(() => child.stop())
      gatekeepers.push({ address: key.address, process: child })
      print(`gatekeeper ${key.address} pid ${child.pid}`)
    }

    const names = ['A', 'B', 'C']
    const apiPorts = await Promise.all(names.map(() => findFreePort()))
    const apiUrls = apiPorts.map((port) => `http://127.0.0.1:${port}`)
    const nodes: QuorumNetworkNode[] = []
    for (const [index, name] of names.entries()) {
      const redis = await startRedisServer()
      stops.push(() => redis.stop())
      const devKeyFile = join(dir, `worker-${name}.json`)
      const worker = (await createDevProvider({ keyFile: devKeyFile })).publicKeys
      // The enclave key sends its own admission request: it needs gas.
      await send(owner.sendTransaction({ to: worker.evmAddress, value: 10n ** 18n }))
      const submitterKey = anvil.privateKeys[5 + index]!
      const config: NodeConfig = {
        redisUrl: redis.url,
        tee: { provider: 'dev', devKeyFile, measurement },
        worker: { threads: 1, allowHosts: ['127.0.0.1'] },
        server: { host: '127.0.0.1', port: apiPorts[index]!, requestLogging: false },
        evm: [
          {
            chainId: anvil.chainId,
            rpcUrl: anvil.rpcUrl,
            wsUrl: anvil.wsUrl,
            // One local anvil, trusted knowingly (production lists several endpoints and a majority).
            rpcQuorum: 1,
            registry: registryAddress,
            confirmations: 0,
            fromBlock: 0,
            submitterKey: 'env:SUBMITTER_KEY',
          },
        ],
        admission: {
          quoteUrl: `${apiUrls[index]}/v1/attestation`,
          rpcUrl: anvil.rpcUrl,
          registry: registryAddress,
          pollIntervalMs: 250,
        },
        quorum: {
          peers: apiUrls.filter((_, other) => other !== index),
          failoverDelayMs,
          ...(settleMs === undefined ? {} : { settleMs }),
        },
      }
      const child = await spawnTeefnNode({
        configFile: join(dir, `node-${name}.json`),
        config,
        env: { SUBMITTER_KEY: submitterKey },
      })
      stops.push(() => child.stop())
      const submitter = new Wallet(submitterKey).address
      nodes.push({ name, worker, submitter, apiUrl: apiUrls[index]!, redisUrl: redis.url, process: child })
      print(
        `node ${name}: pid ${child.pid}, worker ${worker.evmAddress}, redis ${redis.url}, API ${apiUrls[index]}`,
      )
    }
    await waitForAdmissions(registry, nodes, gatekeepers)
    return { anvil, provider, owner, registry, gatekeepers, nodes, stop }
  } catch (error) {
    await stop()
    throw error
  }
}

async function waitForAdmissions(
  registry: TeefnRegistryContract,
  nodes: QuorumNetworkNode[],
  gatekeepers: { process: TeefnNodeProcess }[],
  timeoutMs = 90_000,
) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const active = await Promise.all(nodes.map((node) => registry.isWorkerActive(node.worker.evmAddress)))
    if (active.every(Boolean)) return
    const exited = [...gatekeepers, ...nodes].some(({ process }) => !process.running())
    if (exited || Date.now() > deadline) {
      const waiting = nodes.filter((_, index) => !active[index]).map((node) => node.name)
      // Their logs say why (no key or secret is logged).
      const logs = [...gatekeepers, ...nodes]
        .map(({ process }) => process.output().slice(-1_500))
        .join('\n---\n')
      throw new DemoError(
        'The gatekeepers did not admit every node in time.',
        `waiting: ${waiting.join(', ')}\n${logs}`,
      )
    }
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}

export const quorumFunctionId = (label: string): Hex => id(`teefn.demo.quorum.${label}`) as Hex
