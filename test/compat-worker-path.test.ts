import { fileURLToPath } from 'node:url'
import type { EventLog } from 'ethers'
import { encodeAbiParameters, encodePacked, type Hex, keccak256, parseAbiParameters, stringToHex } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bundleFunction } from '../cli/build/bundleFunction.js'
import { bytesToHex, utf8 } from '../runtime/bytes.js'
import type { CompatMode } from '../runtime/compat/compatMode.js'
import { phatSecretsKey } from '../runtime/compat/phat/phatSecretsKey.js'
import type { Envelope } from '../runtime/enclave/envelope.js'
import { verifyEnvelope } from '../runtime/enclave/verifyEnvelope.js'
import { type StartHttpServerReturnType, startHttpServer } from './support/startHttpServer.js'
import { startTeefnStack, type TeefnStack } from './support/startTeefnStack.js'

// The peers' functions on the production path, not only under `teefn run`: built in their mode, registered on
// chain, run by the node's worker for an HTTP caller and for an EVM request, each answer a verified envelope.

/**
 * A peer's function, the request it is given (text; on chain, its UTF-8 bytes, or `payload` when the mode's
 * requests are bytes that the function receives as 0x-hex) and the result it must give.
 */
type CompatCase = {
  mode: CompatMode
  entry: string
  secrets: Record<string, string>
  request: (api: string) => string
  payload?: (api: string) => Hex
  expected: Hex
  /** The EVM request's result, when the HTTP run before it changed what the function keeps (Gelato's storage). */
  expectedOnChain?: Hex
}

const gelatoTarget = '0x00000000000000000000000000000000000000aa'
const fixture = (path: string) => fileURLToPath(new URL(`./fixtures/${path}`, import.meta.url))
const phatRequest = encodeAbiParameters(parseAbiParameters('uint id, string reqData'), [7n, '0x01'])

const cases: CompatCase[] = [
  {
    mode: 'chainlink',
    entry: fixture('chainlink/quoteSpread.js'),
    secrets: { apiKey: 'k1' },
    request: (api) => JSON.stringify({ args: ['ETH-USD', api], bytesArgs: ['0x0a'] }),
    expected: encodePacked(
      ['uint256', 'int256', 'bytes'],
      [1500n, -500n, stringToHex('ERR_BAD_RESPONSE down; none')],
    ),
  },
  {
    mode: 'phat',
    entry: fixture('phat/lensStats.ts'),
    // Phat's secrets string: here the API the function reads.
    secrets: { [phatSecretsKey]: 'http://api.invalid/graphql' },
    // A Phat request is ABI bytes, given to main as 0x-hex on both paths.
    request: () => phatRequest,
    payload: () => phatRequest,
    expected: encodeAbiParameters(parseAbiParameters('uint, uint, uint256'), [0n, 7n, 42n]),
  },
  {
    // The request is the action's jsParams; its signEcdsa uses the function's key (the result does not show it).
    mode: 'lit',
    entry: fixture('lit/signedQuote.js'),
    secrets: {},
    request: (api) =>
      JSON.stringify({ baseUrl: api, pair: 'ETH-USD', publicKey: '0x04aa', sigName: 'sig1', apiKey: 'k1' }),
    expected: stringToHex('{"pair":"ETH-USD","mid":3001,"message":"ETH-USD:3001"}'),
  },
  {
    // The request is the Web3 Function's context (userArgs). The worker keeps its storage: the HTTP run stored the
    // mid price, so the EVM request of the same function finds it unchanged.
    mode: 'gelato',
    entry: fixture('gelato/quoteKeeper.js'),
    secrets: { apiKey: 'k1' },
    request: (api) => JSON.stringify({ userArgs: { api, pair: 'ETH-USD', target: gelatoTarget } }),
    expected: stringToHex(
      `{"canExec":true,"callData":[{"to":"${gelatoTarget}","data":"0xa59df1c3${(300100).toString(16).padStart(64, '0')}"}]}`,
    ),
    expectedOnChain: stringToHex('{"canExec":false,"message":"unchanged"}'),
  },
]

let api: StartHttpServerReturnType
let stack: TeefnStack

beforeAll(async () => {
  // The price API the functions call: a quote for the right key, a broken endpoint, JSON for anything else.
  api = await startHttpServer((request, response) => {
    response.setHeader('content-type', 'application/json')
    if (request.url?.startsWith('/quote?pair=ETH-USD') && request.headers['x-api-key'] === 'k1')
      return response.end(JSON.stringify({ bid: 3000.25, ask: 3001.75 }))
    if (request.method === 'POST' && request.url === '/graphql')
      return response.end(JSON.stringify({ data: { profile: { stats: { posts: 42 } } } }))
    if (request.method === 'POST' && request.url === '/broken') {
      response.statusCode = 500
      return response.end(JSON.stringify({ reason: 'down' }))
    }
    response.statusCode = 404
    response.end('{}')
  })
  stack = await startTeefnStack({ server: true, allowHosts: [`127.0.0.1:${api.port}`] })
}, 120_000)

afterAll(async () => {
  await stack?.close()
  await api?.close()
})

/** Builds the case in its mode and registers it; its owner puts its secrets and lets HTTP callers use them. */
async function deploy({ mode, entry, secrets }: CompatCase) {
  const bundle = await bundleFunction({ entry, compat: mode })
  const registered = await stack.register(bundle.code, `${mode} worker path`)
  // A secret naming the API gets the test server's address (known once it listens).
  const located = Object.fromEntries(
    Object.entries(secrets).map(([name, value]) => [name, value.replace('http://api.invalid', api.url)]),
  )
  await stack.putSecrets(registered.functionId, located)
  await stack.allowHttpSecrets(registered.functionId)
  return registered
}

describe.each(cases)('a $mode function on the worker path', { timeout: 120_000 }, (compatCase) => {
  it('answers an HTTP caller and an EVM request with the result its home platform gives, in verified envelopes', async () => {
    const { functionId, codeHash } = await deploy(compatCase)
    const request = compatCase.request(api.url)

    const response = await fetch(`${stack.node.serverUrl}/v1/functions/${codeHash}/invoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ request, functionId }),
    })
    expect(response.status).toBe(200)
    const { envelope } = (await response.json()) as { envelope: Envelope }
    await verifyEnvelope(envelope, { worker: stack.worker.evmAddress, chainId: 0, functionId, codeHash })
    expect(envelope).toMatchObject({ status: 'OK', result: compatCase.expected })

    const sent = await stack.request(functionId, compatCase.payload?.(api.url) ?? bytesToHex(utf8(request)))
    const onChain = await stack.envelopeOf(sent.requestId)
    const expectedOnChain = compatCase.expectedOnChain ?? compatCase.expected
    expect(onChain).toMatchObject({ status: 'OK', result: expectedOnChain, codeHash })
    // The consumer accepted exactly these bytes (its hook's gas is too small to store them all: the event says).
    const consumer = stack.chains[0]!.consumer
    const fulfilments = async () =>
      (await consumer.queryFilter(consumer.getEvent('RequestFulfilled'), 0)).filter(
        (log): log is EventLog => 'args' in log && log.args.requestId === sent.requestId,
      )
    await expect.poll(fulfilments, { timeout: 30_000 }).toHaveLength(1)
    const [event] = await fulfilments()
    expect(event?.args.resultHash).toBe(keccak256(expectedOnChain))
    expect(event?.args.worker).toBe(stack.worker.evmAddress)
  })
})
