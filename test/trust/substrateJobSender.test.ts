import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { Keyring } from '@polkadot/keyring'
import type { KeyringPair } from '@polkadot/keyring/types'
import { u8aToHex } from '@polkadot/util'
import { cryptoWaitReady, decodeAddress } from '@polkadot/util-crypto'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RedisServer, startRedisServer } from '../../dev/startRedisServer.js'
import { connectSubstrate, type SubstrateConnection } from '../../relayer/substrate/connectSubstrate.js'
import { submitAndWatch } from '../../relayer/substrate/submitAndWatch.js'
import { bytesToHex, type Hex, utf8 } from '../../runtime/bytes.js'
import {
  createSubstrateChainReader,
  type SubstrateChainReader,
} from '../../runtime/chain/substrate/createSubstrateChainReader.js'
import { deriveRequestId } from '../../runtime/chain/substrate/deriveRequestId.js'
import { encodeRequestRemark } from '../../runtime/chain/substrate/remarkProtocol.js'
import { createDevProvider } from '../../runtime/enclave/devProvider.js'
import { createRedisConnection } from '../../runtime/queue/createRedisConnection.js'
import type { RequestJobData, RequestJobResult } from '../../runtime/queue/jobs.js'
import { createSandboxPool, type SandboxPool } from '../../runtime/sandbox/index.js'
import { createRedisFunctionStore } from '../../runtime/store/createRedisFunctionStore.js'
import { createRequestProcessor } from '../../runtime/worker/createRequestProcessor.js'
import { createStaticFunctionRegistry } from '../../runtime/worker/createStaticFunctionRegistry.js'
import { type ChopsticksChain, startChopsticks } from '../support/chopsticks.js'

// Attack: a Substrate job names who asked (`sender`), and functions see it as `context.sender`: a function that
// keeps per-user state or keys (`deriveSecret('user/' + context.sender)`) would answer for whomever the operator
// wrote into Redis. The worker reads the request's origin from the chain: the job's sender is used only when it
// is that same account (the relayer writes it in the chain's own SS58 form).

const whoAsked = `0x${'5e'.repeat(32)}` as Hex

let chain: ChopsticksChain
let redisServer: RedisServer
let connection: Redis
let substrate: SubstrateConnection
let reader: SubstrateChainReader
let pool: SandboxPool
let dir: string
let alice: KeyringPair
let bob: KeyringPair
let processRequest: (job: RequestJobData) => Promise<RequestJobResult>

beforeAll(async () => {
  await cryptoWaitReady()
  const keyring = new Keyring({ type: 'sr25519' })
  alice = keyring.addFromUri('//Alice')
  bob = keyring.addFromUri('//Bob')
  ;[chain, redisServer] = await Promise.all([startChopsticks({ fund: [alice.address] }), startRedisServer()])
  connection = createRedisConnection({ url: redisServer.url })
  dir = await mkdtemp(join(tmpdir(), 'teefn-substrate-sender-'))
  const provider = await createDevProvider({ keyFile: join(dir, 'worker.json') })
  pool = await createSandboxPool({ threads: 1 })
  const store = createRedisFunctionStore({ redis: connection })
  const { codeHash } = await store.putFunction(
    'export default (request, secrets, context) => JSON.stringify({ sender: context.sender })',
  )
  substrate = await connectSubstrate({ url: chain.wsUrl })
  reader = createSubstrateChainReader({
    genesisHash: substrate.genesisHash,
    wsUrls: [chain.wsUrl],
    quorum: 1,
    heads: 'best',
  })
  processRequest = createRequestProcessor({
    pool,
    provider,
    store,
    chains: {
      substrate: [
        {
          genesisHash: substrate.genesisHash,
          reader,
          functions: createStaticFunctionRegistry({ [whoAsked]: codeHash }),
        },
      ],
    },
    deliver: async () => {},
  })
}, 120_000)

afterAll(async () => {
  await reader?.close()
  await pool?.close()
  await substrate?.close()
  connection?.disconnect()
  await Promise.all([chain?.close(), redisServer?.stop()])
  if (dir) await rm(dir, { recursive: true, force: true })
}, 60_000)

/** Alice asks on chain; returns the job the relayer would queue for it. */
async function aliceAsks(text: string): Promise<RequestJobData> {
  const { api, genesisHash } = substrate
  const payload = utf8(text)
  const tx = api.tx.system.remarkWithEvent(u8aToHex(encodeRequestRemark({ functionId: whoAsked, payload })))
  await tx.signAsync(alice, { nonce: -1 })
  const included = await submitAndWatch(api, tx, { timeoutMs: 60_000 })
  if (included.failed) throw new Error(`extrinsic failed: ${included.failed}`)
  const header = await api.rpc.chain.getHeader(included.blockHash)
  return {
    trigger: 'substrate',
    chainId: genesisHash,
    destination: u8aToHex(alice.publicKey) as Hex,
    requestId: deriveRequestId({
      genesisHash,
      extrinsicHash: tx.hash.toHex() as Hex,
      ordinal: 0,
      origin: u8aToHex(alice.publicKey) as Hex,
      functionId: whoAsked,
      payloadHash: bytesToHex(keccak_256(payload)),
    }),
    functionId: whoAsked,
    request: bytesToHex(payload),
    sender: alice.address,
    seenAt: Date.now(),
    origin: {
      blockNumber: header.number.toNumber(),
      blockHash: included.blockHash,
      index: included.index,
    },
  }
}

const senderSeen = async (job: RequestJobData) => {
  const { envelope } = await processRequest(job)
  expect(envelope.status).toBe('OK')
  return (JSON.parse(Buffer.from(envelope.result.slice(2), 'hex').toString()) as { sender: string }).sender
}

describe('a Substrate job that names another sender', () => {
  it('shows the function the account that made the request, never the one the job names', async () => {
    const job = await aliceAsks('who am I')
    // The relayer's job: the function sees Alice, in the form the relayer wrote.
    expect(await senderSeen(job)).toBe(alice.address)
    // The operator's rewrite of the same job: still Alice.
    const forged = await senderSeen({ ...job, sender: bob.address })
    expect(u8aToHex(decodeAddress(forged))).toBe(u8aToHex(alice.publicKey))
    const withoutSender = await senderSeen({ ...job, sender: undefined })
    expect(u8aToHex(decodeAddress(withoutSender))).toBe(u8aToHex(alice.publicKey))
  })
})
