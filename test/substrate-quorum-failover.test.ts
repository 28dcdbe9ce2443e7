import { setTimeout as sleep } from 'node:timers/promises'
import type { ApiPromise } from '@polkadot/api'
import { Keyring } from '@polkadot/keyring'
import type { KeyringPair } from '@polkadot/keyring/types'
import { u8aToHex } from '@polkadot/util'
import { cryptoWaitReady, decodeAddress } from '@polkadot/util-crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { submitterRank } from '../relayer/shared/submitterRank.js'
import { connectSubstrate, type SubstrateConnection } from '../relayer/substrate/connectSubstrate.js'
import { createRemarkTrigger } from '../relayer/substrate/createRemarkTrigger.js'
import { readBlock } from '../relayer/substrate/readBlock.js'
import { submitAndWatch } from '../relayer/substrate/submitAndWatch.js'
import type { Hex } from '../runtime/bytes.js'
import { encodeRequestRemark } from '../runtime/chain/substrate/remarkProtocol.js'
import { createRedisConnection } from '../runtime/queue/createRedisConnection.js'
import { openDeliveryQueue } from '../runtime/queue/queues.js'
import { type ChopsticksChain, startChopsticks } from './support/chopsticks.js'
import { type LyingSubstrateProxy, startLyingSubstrateProxy } from './support/lyingSubstrateProxy.js'
import { runTeefn } from './support/runTeefn.js'
import { type StartHttpServerReturnType, startHttpServer } from './support/startHttpServer.js'
import { type SubstrateQuorumNode, startSubstrateQuorumNodes } from './support/startSubstrateQuorumNodes.js'

// What happens when a Substrate result quorum does not go to plan, between three `teefn node` processes on one
// chopsticks chain (k = 2, each node behind its own WebSocket proxy to chopsticks): the node whose turn it is dies
// as it submits, and the nodes cannot agree at all.

const echoId = `0x${'e3'.repeat(32)}` as Hex
const counterId = `0x${'c4'.repeat(32)}` as Hex
const failoverDelayMs = 3_000
const settleMs = 500
const timeoutSeconds = 10
const submitMethods = ['author_submitAndWatchExtrinsic', 'author_submitExtrinsic']
let chain: ChopsticksChain
let substrate: SubstrateConnection
let api: ApiPromise
let counter: StartHttpServerReturnType
let proxies: LyingSubstrateProxy[] = []
let quorum: { nodes: SubstrateQuorumNode[]; close(): Promise<void> }
let workers: Hex[]
let alice: KeyringPair
let killedIndex: number | undefined
const keyring = new Keyring({ type: 'sr25519' })

beforeAll(async () => {
  await cryptoWaitReady()
  alice = keyring.addFromUri('//Alice')
  const feePayers = ['//Bob', '//Charlie', '//Dave']
  chain = await startChopsticks({
    fund: [alice.address, ...feePayers.map((uri) => keyring.addFromUri(uri).address)],
  })
  // Every fetch gets another number: no two nodes ever agree.
  let count = 0
  counter = await startHttpServer((_request, response) => response.end(String(++count)))
  proxies = await Promise.all(feePayers.map(() => startLyingSubstrateProxy({ upstreamUrl: chain.wsUrl })))
  quorum = await startSubstrateQuorumNodes({
    wsUrl: chain.wsUrl,
    wsUrls: proxies.map((proxy) => proxy.url),
    feePayers,
    functions: {
      [echoId]: "export default function main(request) { return 'echo ' + request }",
      [counterId]: `export default async function main() {
  return (await (await fetch('${counter.url}/count')).text()).trim()
}`,
    },
    threshold: 2,
    failoverDelayMs,
    settleMs,
    timeoutSeconds,
  })
  workers = quorum.nodes.map((node) => node.worker.toLowerCase() as Hex)
  substrate = await connectSubstrate({ url: chain.wsUrl })
  api = substrate.api
}, 180_000)

afterAll(async () => {
  await quorum?.close()
  for (const proxy of proxies) await proxy.close()
  await substrate?.close()
  await counter?.close()
  await chain?.close()
}, 60_000)

/** Sends a request remark and finds its requestId as the chain has it. */
async function request(functionId: Hex, text: string) {
  const tx = api.tx.system.remarkWithEvent(
    u8aToHex(encodeRequestRemark({ functionId, payload: new TextEncoder().encode(text) })),
  )
  await tx.signAsync(alice, { nonce: -1 })
  const included = await submitAndWatch(api, tx, { timeoutMs: 60_000 })
  if (included.failed) throw new Error(`extrinsic failed: ${included.failed}`)
  const blockNumber = (await api.rpc.chain.getHeader(included.blockHash)).number.toNumber()
  const block = await readBlock(api, included.blockHash, chain.genesisHash)
  const found = createRemarkTrigger()
    .scan(block)
    .find((finding) => finding.kind === 'request' && finding.extrinsicIndex === included.index)
  if (found?.kind !== 'request') throw new Error('the request is not on chain')
  return { blockHash: included.blockHash, blockNumber, requestId: found.request.requestId }
}

type ResultOnChain = { blockHash: Hex; extrinsicIndex: number; signer: Hex }

/** Every result remark for `requestId` in blocks `from..head`, read from the chain, with who signed it. */
async function resultsOnChain(requestId: Hex, from: number): Promise<ResultOnChain[]> {
  const trigger = createRemarkTrigger()
  const head = (await api.rpc.chain.getHeader()).number.toNumber()
  const found: ResultOnChain[] = []
  for (let number = from; number <= head; number++) {
    const hash = (await api.rpc.chain.getBlockHash(number)).toHex()
    const findings = trigger.scan(await readBlock(api, hash, chain.genesisHash))
    for (const finding of findings) {
      if (finding.kind !== 'result' || finding.requestId !== requestId) continue
      const { block } = await api.rpc.chain.getBlock(hash)
      const signer = u8aToHex(
        decodeAddress(block.extrinsics[finding.extrinsicIndex]!.signer.toString()),
      ) as Hex
      found.push({ blockHash: hash, extrinsicIndex: finding.extrinsicIndex, signer })
    }
  }
  return found
}

const accountOf = (node: SubstrateQuorumNode) => u8aToHex(keyring.addFromUri(node.feePayer).publicKey)

describe('Substrate result quorums when a node dies or the nodes disagree', () => {
  it('the node ranked first is killed as it submits: the next one submits after the failover delay, once', async () => {
    // Whichever node submits first (rank 0 submits at once, the others only after failoverDelayMs) is killed with
    // its extrinsic held at its proxy: it never reaches the chain.
    let killed: { index: number; at: number } | undefined
    proxies.forEach((proxy, index) => {
      proxy.hold(
        ({ method }) => submitMethods.includes(method),
        async () => {
          for (const other of proxies) other.hold(undefined)
          await quorum.nodes[index]!.process.kill()
          killed = { index, at: Date.now() }
          killedIndex = index
        },
      )
    })
    const sent = await request(echoId, 'failover')
    const deadline = Date.now() + 45_000
    let results: ResultOnChain[] = []
    while (results.length === 0 && Date.now() < deadline) {
      await sleep(200)
      results = await resultsOnChain(sent.requestId, sent.blockNumber)
    }
    const landedAt = Date.now()
    expect(killed).toBeDefined()
    const ranks = workers.map((worker) => submitterRank(sent.requestId, worker, workers))
    // The node killed was the one whose turn it was; the one that submitted is next in the order.
    expect(ranks[killed!.index]).toBe(0)
    expect(results).toHaveLength(1)
    expect(results[0]!.signer).toBe(accountOf(quorum.nodes[ranks.indexOf(1)]!))
    expect(landedAt - killed!.at).toBeGreaterThanOrEqual(failoverDelayMs - settleMs - 500)
    // The last node's turn comes and goes: it counts the other's quorum remark as the delivery.
    await sleep(2 * failoverDelayMs + 1_000)
    expect(await resultsOnChain(sent.requestId, sent.blockNumber)).toHaveLength(1)

    const run = await runTeefn(
      [
        'verify',
        '--substrate',
        chain.wsUrl,
        '--block',
        results[0]!.blockHash,
        '--extrinsic',
        String(results[0]!.extrinsicIndex),
        '--quorum',
        '2',
        ...workers.flatMap((worker) => ['--worker', worker]),
        '--json',
      ],
      { timeoutMs: 60_000 },
    )
    expect(run.status, run.stdout + run.stderr).toBe(0)
    const [verdict] = JSON.parse(run.stdout).results
    expect(verdict).toMatchObject({
      valid: true,
      requestId: sent.requestId,
      functionId: echoId,
      status: 'OK',
    })
    // The dead node's answer had reached the others before it died: it still counts.
    expect([...verdict.quorum.signers].sort()).toEqual([...workers].sort())
  }, 120_000)

  it('no two nodes agree: nothing lands, and each delivery fails for good after timeoutSeconds, saying why', async () => {
    // The node killed above stays down: the two others answer, 2 of them but not 2 agreeing.
    const alive = quorum.nodes.filter((_, index) => index !== killedIndex)
    const sent = await request(counterId, 'split')
    for (const node of alive) {
      const connection = createRedisConnection({ url: node.redisUrl })
      const deliveries = openDeliveryQueue(connection, { family: 'substrate', chainId: chain.genesisHash })
      try {
        const until = Date.now() + (timeoutSeconds + 30) * 1000
        let job = (await deliveries.getFailed()).find(
          (item) => item.data.envelope.requestId === sent.requestId,
        )
        while (!job && Date.now() < until) {
          await sleep(500)
          job = (await deliveries.getFailed()).find((item) => item.data.envelope.requestId === sent.requestId)
        }
        expect(job, `${node.name}'s delivery did not fail`).toBeDefined()
        expect(job!.failedReason).toContain(`No quorum was delivered for request ${sent.requestId}`)
        expect(job!.failedReason).toContain(`seen more than ${timeoutSeconds} s ago`)
        expect(job!.finishedOn! - job!.data.request.seenAt).toBeGreaterThanOrEqual(timeoutSeconds * 1000)
        // It held every live node's answer (exchanged over the API), each a different one.
        const { destination } = job!.data.envelope
        const url = `${node.apiUrl}/v1/envelopes?chainId=${chain.genesisHash}&consumer=${destination}&requestId=${sent.requestId}`
        const { envelopes } = (await (await fetch(url)).json()) as { envelopes: { result: Hex }[] }
        expect(new Set(envelopes.map((envelope) => envelope.result)).size).toBe(alive.length)
      } finally {
        await deliveries.close()
        connection.disconnect()
      }
    }
    expect(await resultsOnChain(sent.requestId, sent.blockNumber)).toEqual([])
  }, 120_000)
})
