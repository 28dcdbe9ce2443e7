import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { Contract, hexlify, keccak256, toBeHex, toUtf8Bytes, Wallet, zeroPadValue } from 'ethers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deploy, loadArtifact } from '../contracts/artifacts.js'
import type { Hex } from '../runtime/bytes.js'
import { countFulfilTransactions } from './support/countFulfilTransactions.js'
import { runTeefn } from './support/runTeefn.js'
import { type StartHttpServerReturnType, startHttpServer } from './support/startHttpServer.js'
import { startTeefnStack, type TeefnStack } from './support/startTeefnStack.js'
import { eventsNamed, mined, revertOf, testKey } from './support/teefnContracts.js'

// A Chainlink Functions consumer (FunctionsClient and FunctionsRequest from @chainlink/contracts, written the
// documented way) deployed against TeefnFunctionsRouter, answered by the real node: watcher, worker (the request
// runner in the QuickJS sandbox), submitter, and the router's envelope checks before the client's callback.

const HOOK_GAS_LIMIT = 300_000
const CALLBACK_GAS_LIMIT = 100_000

let stack: TeefnStack
let dir: string | undefined
let prices: StartHttpServerReturnType
/** The router the node serves, and one it does not (its requests are only ever answered by hand here). */
let router: Contract
let unservedRouter: Contract
let consumer: Contract
let runner: { functionId: Hex; codeHash: Hex }
/** `/gate` answers once the test releases it. */
const gate: { open: Promise<void>; release: () => void } = (() => {
  let release!: () => void
  const open = new Promise<void>((resolve) => {
    release = resolve
  })
  return { open, release }
})()

beforeAll(async () => {
  prices = await startHttpServer(async (request, response) => {
    if (request.url === '/gate') await gate.open
    if (request.headers['x-api-key'] !== 'k1') {
      response.statusCode = 401
      return response.end('{"error":"no key"}')
    }
    response.setHeader('content-type', 'application/json')
    response.end(JSON.stringify({ data: { price: 3001.5 } }))
  })
  stack = await startTeefnStack({
    server: true,
    allowHosts: [`127.0.0.1:${prices.port}`],
    consumerLists: async ({ f, anvil }) => {
      // The router the node serves is deployed as users deploy it; the other one directly.
      const deployed = await teefnJson([
        'chain',
        'deploy-consumer',
        '--contract',
        'TeefnFunctionsRouter',
        '--hook-gas-limit',
        String(HOOK_GAS_LIMIT),
        '--registry',
        String(f.registry.target),
        '--rpc',
        anvil.rpcUrl,
        '--key',
        await keyFileOf(anvil.privateKeys[0]!),
      ])
      router = new Contract(deployed.consumer, loadArtifact('TeefnFunctionsRouter').abi, f.admin)
      const args = [String(f.registry.target), HOOK_GAS_LIMIT, 3_600]
      unservedRouter = (await deploy('TeefnFunctionsRouter', f.admin, args)) as unknown as Contract
      return { consumers: [String(router.target)] }
    },
  })
  // The user's copy of the runner, registered and uploaded as users do, with the secret its sources read.
  const { f, anvil } = stack.chains[0]!
  const printed = await teefnJson([
    'chain',
    'register',
    '--chainlink-router',
    '--name',
    'my chainlink functions runner',
    '--registry',
    String(f.registry.target),
    '--server',
    stack.node.serverUrl!,
    '--rpc',
    anvil.rpcUrl,
    '--key',
    await keyFileOf(anvil.privateKeys[1]!),
  ])

  expect(printed).toMatchObject({ owner: f.functionOwner.address, uploadedTo: stack.node.serverUrl })
  runner = { functionId: printed.functionId, codeHash: printed.codeHash }
  expect(await f.registry.codeHashOf(runner.functionId)).toBe(runner.codeHash)
  await stack.putSecrets(runner.functionId, { apiKey: 'k1' })
  consumer = await deployConsumer(String(router.target))
  expect(await router.maxCallbackGasLimit!()).toBeGreaterThan(CALLBACK_GAS_LIMIT)
}, 120_000)

afterAll(async () => {
  gate.release()
  if (dir) await rm(dir, { recursive: true, force: true })
  await stack?.close()
  await prices?.close()
})

/** A file holding `key`, as `teefn chain --key` reads it. */
async function keyFileOf(key: string): Promise<string> {
  dir ??= await mkdtemp(join(tmpdir(), 'teefn-cl-router-'))
  const file = join(dir, `${key.slice(2, 10)}.key`)
  await writeFile(file, `${key}\n`)
  return file
}

/** Runs `teefn <args> --json`, expects success, and returns what it printed. */
async function teefnJson(args: string[]) {
  const { status, stdout, stderr } = await runTeefn([...args, '--json'], { timeoutMs: 60_000 })
  expect(status, stderr).toBe(0)
  return JSON.parse(stdout)
}

async function deployConsumer(routerAddress: string): Promise<Contract> {
  const { f } = stack.chains[0]!
  return (await deploy('ChainlinkStyleConsumer', f.oracleOwner, [routerAddress])) as unknown as Contract
}

/** Sends a request the documented way and returns its id (the router's teefn request id) and receipt. */
async function sendRequest(
  client: Contract,
  source: string,
  args: string[] = [],
  bytesArgs: string[] = [],
  gasLimit = CALLBACK_GAS_LIMIT,
) {
  const receipt = await mined(client.sendRequest!(source, args, bytesArgs, 42n, gasLimit, runner.functionId))
  const [sent] = eventsNamed(receipt, client, 'RequestSent')
  return { requestId: sent!.args.id as string, receipt }
}

/** Waits until the consumer was called back for `requestId`; returns its `Response` events for it. */
async function responsesOf(client: Contract, requestId: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs
  const { f } = stack.chains[0]!
  for (;;) {
    const logs = await f.provider.getLogs({
      address: client.target,
      topics: [client.interface.getEvent('Response')!.topicHash, requestId],
      fromBlock: 0,
    })
    if (logs.length > 0) return logs.map((log) => client.interface.parseLog(log)!)
    if (Date.now() > deadline) throw new Error(`no response for ${requestId} after ${timeoutMs} ms`)
    await sleep(100)
  }
}

/** `FunctionsClient.RequestFulfilled` events of the consumer: one per handleOracleFulfillment that returned. */
async function callbacksOf(client: Contract, requestId: string): Promise<number> {
  const { f } = stack.chains[0]!
  const logs = await f.provider.getLogs({
    address: client.target,
    topics: [client.interface.getEvent('RequestFulfilled')!.topicHash, requestId],
    fromBlock: 0,
  })
  return logs.length
}

const priceSource = `
const response = await Functions.makeHttpRequest({ url: args[0], headers: { 'x-api-key': secrets.apiKey } })
if (response.error) throw Error('price request failed: ' + response.message)
return Functions.encodeUint256(Math.round(response.data.data.price * 100) * Number(BigInt(bytesArgs[0])))
`

describe('TeefnFunctionsRouter with a FunctionsClient consumer, on the real node', () => {
  it("answers the consumer's request: the source fetched the price with the runner's secret, one fulfilment, one callback", async () => {
    const { f } = stack.chains[0]!
    const fromBlock = await f.provider.getBlockNumber()
    const { requestId } = await sendRequest(consumer, priceSource, [`${prices.url}/price`], ['0x02'])
    const [response] = await responsesOf(consumer, requestId)
    expect(response!.args.response).toBe(zeroPadValue(toBeHex(300_150n * 2n), 32))
    expect(response!.args.err).toBe('0x')
    expect(await consumer.s_lastResponse!()).toBe(zeroPadValue(toBeHex(600_300n), 32))
    expect(await consumer.s_lastError!()).toBe('0x')
    expect(prices.requests.at(-1)?.headers['x-api-key']).toBe('k1')

    // The envelope the relayer delivered binds the runner's code and the request's CBOR, source text included.
    const [fulfilled] = await f.provider.getLogs({
      address: router.target,
      topics: [router.interface.getEvent('RequestFulfilled')!.topicHash, requestId],
      fromBlock,
    })
    const delivery = await f.provider.getTransaction(fulfilled!.transactionHash)
    const call = router.interface.parseTransaction(delivery!)!
    const envelopes = call.name === 'fulfill' ? [call.args[0]] : [...call.args[0]]
    const envelope = envelopes.find((entry) => entry.requestId === requestId)
    expect(envelope.codeHash).toBe(runner.codeHash)
    const [sent] = (
      await f.provider.getLogs({
        address: router.target,
        topics: [router.interface.getEvent('RequestSent')!.topicHash, requestId],
        fromBlock,
      })
    ).map((log) => router.interface.parseLog(log)!)
    expect(envelope.payloadHash).toBe(keccak256(sent!.args.payload))
    expect(Buffer.from((sent!.args.payload as string).slice(2), 'hex').toString('latin1')).toContain(
      'Functions.makeHttpRequest',
    )

    await sleep(500) // a second fulfilment, if the relayer sent one, would be mined by now
    const count = await countFulfilTransactions({
      provider: f.provider,
      destination: String(router.target),
      relayer: f.relayer.address,
      fromBlock,
    })
    expect(count).toMatchObject({ transactions: 1, reverted: 0, wasted: 0, elsewhere: 0 })
    expect(count.fulfilments.get(requestId.toLowerCase())).toBe(1)
    expect(await callbacksOf(consumer, requestId)).toBe(1)
  })

  it('passes a thrown error to the consumer as err, with its message, and an empty response', async () => {
    const { requestId } = await sendRequest(consumer, "throw new Error('the upstream API said no')")
    const [response] = await responsesOf(consumer, requestId)
    expect(response!.args.response).toBe('0x')
    const err = Buffer.from((response!.args.err as string).slice(2), 'hex').toString('utf8')
    expect(err).toBe('Error: the upstream API said no')
    expect(await callbacksOf(consumer, requestId)).toBe(1)
  })

  it("records a consumer that reverts (Chainlink's example refuses a stale request id) and never retries it", async () => {
    const { f } = stack.chains[0]!
    const client = await deployConsumer(String(router.target))
    const fromBlock = await f.provider.getBlockNumber()
    // The first answer waits at the gate until a second request has replaced the consumer's last request id.
    const first = await sendRequest(client, priceSource, [`${prices.url}/gate`], ['0x01'])
    const second = await sendRequest(client, priceSource, [`${prices.url}/price`], ['0x01'])
    gate.release()
    await responsesOf(client, second.requestId)
    const failed = async () =>
      (
        await f.provider.getLogs({
          address: router.target,
          topics: [router.interface.getEvent('HookFailed')!.topicHash, first.requestId],
          fromBlock,
        })
      ).map((log) => router.interface.parseLog(log)!)
    const deadline = Date.now() + 30_000
    while ((await failed()).length === 0 && Date.now() < deadline) await sleep(100)
    const [hookFailed] = await failed()
    expect(client.interface.parseError(hookFailed!.args.reason)).toMatchObject({
      name: 'UnexpectedRequestID',
      args: [first.requestId],
    })
    await sleep(500)
    const count = await countFulfilTransactions({
      provider: f.provider,
      destination: String(router.target),
      relayer: f.relayer.address,
      fromBlock,
    })
    expect(count.reverted + count.wasted + count.elsewhere).toBe(0)
    expect(count.fulfilments.get(first.requestId.toLowerCase())).toBe(1)
    expect(count.fulfilments.get(second.requestId.toLowerCase())).toBe(1)
    expect(await callbacksOf(client, first.requestId)).toBe(0)
    expect(await callbacksOf(client, second.requestId)).toBe(1)
  })

  it('refuses envelopes signed by a non-worker or for another source, and calls the consumer back only for a valid one', async () => {
    const { f } = stack.chains[0]!
    const client = await deployConsumer(String(unservedRouter.target))
    const source = 'return Functions.encodeString(args[0])'
    const { requestId } = await sendRequest(client, source, ['hello'])
    const consumerAddress = String(unservedRouter.target)
    const answer = {
      requestId,
      functionId: runner.functionId,
      codeHash: runner.codeHash,
      result: hexlify(toUtf8Bytes('hello')),
    }

    const stranger = new Wallet(testKey('not a worker'))
    const bySomeone = await f.sign(answer, { consumer: consumerAddress, signer: stranger })
    expect(await revertOf((unservedRouter.connect(f.relayer) as Contract).fulfill!(bySomeone))).toEqual({
      name: 'WorkerNotActive',
      args: [stranger.address],
    })

    // An admitted worker's answer to another question: the same request with a different source.
    const otherPayload = await encodeWith('return Functions.encodeString("forged")', ['hello'])
    const otherSource = await f.sign(
      { ...answer, payloadHash: keccak256(otherPayload), result: hexlify(toUtf8Bytes('forged')) },
      { consumer: consumerAddress },
    )
    expect(await revertOf((unservedRouter.connect(f.relayer) as Contract).fulfill!(otherSource))).toEqual({
      name: 'PayloadMismatch',
      args: [requestId],
    })
    const otherCode = await f.sign({ ...answer, codeHash: keccak256('0x01') }, { consumer: consumerAddress })
    expect((await revertOf((unservedRouter.connect(f.relayer) as Contract).fulfill!(otherCode))).name).toBe(
      'CodeHashMismatch',
    )
    expect(await callbacksOf(client, requestId)).toBe(0)
    expect(await client.s_fulfilments!()).toBe(0n)

    const valid = await f.sign(answer, { consumer: consumerAddress })
    const receipt = await mined((unservedRouter.connect(f.relayer) as Contract).fulfill!(valid))
    expect(eventsNamed(receipt, client, 'Response').map((event) => event.args.response)).toEqual([
      hexlify(toUtf8Bytes('hello')),
    ])
    expect(await callbacksOf(client, requestId)).toBe(1)
    expect((await revertOf((unservedRouter.connect(f.relayer) as Contract).fulfill!(valid))).name).toBe(
      'AlreadyFulfilled',
    )
  })

  it('refuses request data of another version, empty data and a callback gas limit the hook cannot give', async () => {
    const { f } = stack.chains[0]!
    const data = await encodeWith('return new Uint8Array(0)', [])
    const direct = router.connect(f.stranger) as Contract
    expect(await revertOf(direct.sendRequest!(1n, data, 2, CALLBACK_GAS_LIMIT, runner.functionId))).toEqual({
      name: 'UnsupportedRequestDataVersion',
      args: [2n, 1n],
    })
    expect(await revertOf(direct.sendRequest!(1n, '0x', 1, CALLBACK_GAS_LIMIT, runner.functionId))).toEqual({
      name: 'EmptyRequestData',
      args: [],
    })
    const max = (await router.maxCallbackGasLimit!()) as bigint
    expect(await revertOf(sendRequest(consumer, 'return 1', [], [], Number(max) + 1))).toEqual({
      name: 'GasLimitTooBig',
      args: [max],
    })
  })
})

describe('teefn chain register --chainlink-router', () => {
  it('asks for a name of your own copy, and for an entry or the runner', async () => {
    const { f, anvil } = stack.chains[0]!
    const base = ['chain', 'register', '--registry', String(f.registry.target), '--rpc', anvil.rpcUrl]
    const unnamed = await runTeefn([...base, '--chainlink-router'], { timeoutMs: 30_000 })
    expect(unnamed.status).toBe(2)
    expect(unnamed.stderr).toContain('--chainlink-router needs --name or --function-id')
    const nothing = await runTeefn(base, { timeoutMs: 30_000 })
    expect(nothing.status).toBe(2)
    expect(nothing.stderr).toContain('an entry (.ts, .js), or --chainlink-router')
  })
})

/** The CBOR a consumer sends for `source` and `args`, read from the `RequestSent` of a router nobody serves. */
async function encodeWith(source: string, args: string[]): Promise<string> {
  const probe = await deployConsumer(String(unservedRouter.target))
  const { receipt } = await sendRequest(probe, source, args)
  const [sent] = eventsNamed(receipt, unservedRouter, 'RequestSent')
  return sent!.args.payload as string
}
