import { fileURLToPath } from 'node:url'
import type { EventLog } from 'ethers'
import { encodePacked, type Hex, keccak256, stringToHex } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bundleFunction } from '../cli/build/bundleFunction.js'
import { bytesToHex, utf8 } from '../runtime/bytes.js'
import type { CompatMode } from '../runtime/compat/compatMode.js'
import type { Envelope } from '../runtime/enclave/envelope.js'
import { signFunctionSettings } from '../runtime/enclave/ownerRecords.js'
import { verifyEnvelope } from '../runtime/enclave/verifyEnvelope.js'
import { type StartHttpServerReturnType, startHttpServer } from './support/startHttpServer.js'
import { startTeefnStack, type TeefnStack } from './support/startTeefnStack.js'

// The peers' functions on the production path, not only under `teefn run`: built in their mode, registered on
// chain, run by the node's worker for an HTTP caller and for an EVM request, each answer a verified envelope.

/** A peer's function, the request it is given (text; on chain, its UTF-8 bytes) and the result it must give. */
type CompatCase = {
  mode: CompatMode
  entry: string
  secrets: Record<string, string>
  request: (api: string) => string
  expected: Hex
}

const fixture = (path: string) => fileURLToPath(new URL(`./fixtures/${path}`, import.meta.url))

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
]

let api: StartHttpServerReturnType
let stack: TeefnStack

beforeAll(async () => {
  // The price API the functions call: a quote for the right key, a broken endpoint, JSON for anything else.
  api = await startHttpServer((request, response) => {
    response.setHeader('content-type', 'application/json')
    if (request.url?.startsWith('/quote?pair=ETH-USD') && request.headers['x-api-key'] === 'k1')
      return response.end(JSON.stringify({ bid: 3000.25, ask: 3001.75 }))
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
  await stack.putSecrets(registered.functionId, secrets)
  const settings = await signFunctionSettings(stack.chains[0]!.f.functionOwner, {
    scope: stack.scopeOf(registered.functionId),
    httpSecrets: true,
    version: 1,
  })
  const put = await fetch(`${stack.node.serverUrl}/v1/settings`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(settings),
  })
  expect(put.status).toBe(200)
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

    const sent = await stack.request(functionId, bytesToHex(utf8(request)))
    const onChain = await stack.envelopeOf(sent.requestId)
    expect(onChain).toMatchObject({ status: 'OK', result: compatCase.expected, codeHash })
    // The consumer accepted exactly these bytes (its hook's gas is too small to store them all: the event says).
    const consumer = stack.chains[0]!.consumer
    const fulfilments = async () =>
      (await consumer.queryFilter(consumer.getEvent('RequestFulfilled'), 0)).filter(
        (log): log is EventLog => 'args' in log && log.args.requestId === sent.requestId,
      )
    await expect.poll(fulfilments, { timeout: 30_000 }).toHaveLength(1)
    const [event] = await fulfilments()
    expect(event?.args.resultHash).toBe(keccak256(compatCase.expected))
    expect(event?.args.worker).toBe(stack.worker.evmAddress)
  })
})
