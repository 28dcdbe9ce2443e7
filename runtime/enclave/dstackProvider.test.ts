import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inspect } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type StartDstackAgentReturnType,
  simulatedQuotePrefix,
  simulatedTcb,
  startDstackAgent,
} from '../../test/support/startDstackAgent.js'
import { bytesToHex, utf8 } from '../bytes.js'
import { createDstackProvider, dstackWorkerKeyPath } from './dstackProvider.js'
import { type FunctionScope, scopeId } from './functionScope.js'
import { encryptSecrets } from './secretsCipher.js'
import { verifyAttestation } from './verifyAttestation.js'
import { deriveWorkerSeeds } from './workerKeyring.js'

const functionA: FunctionScope = {
  family: 'evm',
  chainId: '31337',
  registry: `0x${'5f'.repeat(20)}`,
  functionId: `0x${'a1'.repeat(32)}`,
}
const functionB: FunctionScope = { ...functionA, functionId: `0x${'b2'.repeat(32)}` }
/** functionA's functionId on another chain: another function. */
const functionAOnMainnet: FunctionScope = { ...functionA, chainId: '1' }
const pathA = `teefn/functions/${scopeId(functionA)}`

let dir: string
let agent: StartDstackAgentReturnType
let socketAgent: StartDstackAgentReturnType
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'teefn-dstack-'))
  agent = await startDstackAgent()
  socketAgent = await startDstackAgent({ socketPath: join(dir, 'dstack.sock') })
})
afterAll(async () => {
  await agent.close()
  await socketAgent.close()
  await rm(dir, { recursive: true, force: true })
})

describe('createDstackProvider against a local guest agent', () => {
  it('derives the worker identity from getKey and reads info()', async () => {
    const provider = await createDstackProvider({ endpoint: agent.endpoint })
    expect(provider.kind).toBe('dstack')
    const keyRequest = agent.requests.find((request) => request.path === '/GetKey')
    expect(keyRequest?.body).toMatchObject({ path: dstackWorkerKeyPath, algorithm: 'secp256k1' })
    expect(agent.requests.some((request) => request.path === '/Info')).toBe(true)
    expect(provider.info).toMatchObject({ kind: 'dstack', instanceId: 'instance-1', tcb: simulatedTcb })
  })

  it('keeps its identity across restarts and has another one in another app', async () => {
    const first = await createDstackProvider({ endpoint: agent.endpoint })
    const restarted = await createDstackProvider({ endpoint: agent.endpoint })
    expect(restarted.publicKeys).toEqual(first.publicKeys)
    const digest = new Uint8Array(32).fill(9)
    expect(await restarted.signDigest(digest)).toEqual(await first.signDigest(digest))

    const otherApp = await startDstackAgent({ appSecret: 'another-app' })
    try {
      const other = await createDstackProvider({ endpoint: otherApp.endpoint })
      expect(other.publicKeys.evmAddress).not.toBe(first.publicKeys.evmAddress)
      expect(await other.deriveFunctionKey(functionA)).not.toEqual(await first.deriveFunctionKey(functionA))
    } finally {
      await otherApp.close()
    }
  })

  it('speaks the same protocol over the unix socket the real agent uses', async () => {
    const overSocket = await createDstackProvider({ endpoint: socketAgent.endpoint })
    const overHttp = await createDstackProvider({ endpoint: agent.endpoint })
    // Same app secret, so the same identity whichever transport.
    expect(overSocket.publicKeys).toEqual(overHttp.publicKeys)
    const quote = await overSocket.quote(new Uint8Array(64).fill(3))
    expect(Buffer.from(quote.quote.subarray(simulatedQuotePrefix.length))).toEqual(Buffer.alloc(64, 3))
  })

  it('derives function keys under the getKey path teefn/functions/<scopeId>, cached', async () => {
    const provider = await createDstackProvider({ endpoint: agent.endpoint })
    const before = agent.requests.length
    const a = await provider.deriveFunctionKey(functionA)
    expect(agent.requests.slice(before)).toEqual([
      {
        path: '/GetKey',
        body: { path: pathA, purpose: 'teefn-function-key', algorithm: 'secp256k1' },
      },
    ])
    expect(a).toEqual(agent.keyFor(pathA))
    expect(await provider.deriveFunctionKey(functionA)).toEqual(a)
    expect(agent.requests.length).toBe(before + 1)
    expect(await provider.deriveFunctionKey(functionB)).not.toEqual(a)
    // The same functionId on another chain is another function, with another key.
    expect(await provider.deriveFunctionKey(functionAOnMainnet)).not.toEqual(a)
    // A second worker of the same app derives the same function keys.
    const sibling = await createDstackProvider({ endpoint: socketAgent.endpoint })
    expect(await sibling.deriveFunctionKey(functionA)).toEqual(a)
    expect(await sibling.deriveFunctionKey(functionAOnMainnet)).toEqual(
      await provider.deriveFunctionKey(functionAOnMainnet),
    )
    // Mutating a returned key does not change the next one.
    a.fill(0)
    expect(await provider.deriveFunctionKey(functionA)).toEqual(agent.keyFor(pathA))
  })

  it('passes the report data to GetQuote as hex bytes and returns quote and event log', async () => {
    const provider = await createDstackProvider({ endpoint: agent.endpoint })
    const reportData = new Uint8Array(64).map((_, i) => 255 - i)
    const quote = await provider.quote(reportData)
    const request = agent.requests.findLast((entry) => entry.path === '/GetQuote')
    expect(request?.body).toEqual({ report_data: bytesToHex(reportData).slice(2) })
    expect(quote.kind).toBe('dstack')
    expect(quote.reportData).toEqual(reportData)
    expect(quote.eventLog).toContain('app-id')
    // A simulator quote is no DCAP quote: production verification refuses it.
    expect(() => verifyAttestation(quote.quote, null, { expectedReportData: reportData })).toThrowError(
      expect.objectContaining({ reason: expect.stringMatching(/QUOTE_MALFORMED|COLLATERAL_INVALID/) }),
    )
  })

  it('decrypts secrets, seals and unseals with keys from the agent', async () => {
    const provider = await createDstackProvider({ endpoint: agent.endpoint })
    const ciphertext = encryptSecrets({
      workerKey: provider.publicKeys.encryption,
      scope: functionA,
      secrets: { TOKEN: 'abc' },
    })
    const opened = await provider.decrypt(Buffer.from(ciphertext.slice(2), 'hex'), functionA)
    expect(JSON.parse(Buffer.from(opened).toString())).toEqual({ TOKEN: 'abc' })
    const restarted = await createDstackProvider({ endpoint: socketAgent.endpoint })
    // Every worker of the app opens it, for that scope only.
    const reopened = await restarted.decrypt(Buffer.from(ciphertext.slice(2), 'hex'), functionA)
    expect(JSON.parse(Buffer.from(reopened).toString())).toEqual({ TOKEN: 'abc' })
    await expect(
      restarted.decrypt(Buffer.from(ciphertext.slice(2), 'hex'), functionAOnMainnet),
    ).rejects.toMatchObject({ code: 'SECRETS_INVALID' })
    expect(await restarted.unseal(await provider.seal(utf8('x')))).toEqual(utf8('x'))
  })

  it('reports agent failures as TEE_AGENT_ERROR naming the RPC and endpoint', async () => {
    const broken = await startDstackAgent({ failing: ['GetKey'] })
    try {
      const error = await createDstackProvider({ endpoint: broken.endpoint }).catch((e: unknown) => e)
      expect(error).toMatchObject({ code: 'TEE_AGENT_ERROR' })
      expect((error as Error).message).toContain(`GetKey at ${broken.endpoint}`)
    } finally {
      await broken.close()
    }
    await expect(createDstackProvider({ endpoint: join(dir, 'no-such.sock') })).rejects.toMatchObject({
      code: 'TEE_AGENT_ERROR',
    })
  })

  it('never shows the keys it got from the agent', async () => {
    const provider = await createDstackProvider({ endpoint: agent.endpoint })
    const root = agent.keyFor(dstackWorkerKeyPath)
    const seeds = deriveWorkerSeeds(root)
    const secrets = [root, seeds.secp256k1, seeds.sr25519Seed, seeds.x25519, seeds.seal].map((bytes) =>
      bytesToHex(bytes).slice(2),
    )
    const errors = (await Promise.all([
      provider.signDigest(new Uint8Array(5)).catch((e: Error) => e),
      provider.decrypt(new Uint8Array(80), functionA).catch((e: Error) => e),
      provider.unseal(new Uint8Array(80)).catch((e: Error) => e),
      provider
        .deriveFunctionKey({ ...functionA, functionId: '0xzz' as `0x${string}` })
        .catch((e: Error) => e),
    ])) as Error[]
    for (const error of errors) expect(error).toBeInstanceOf(Error)
    const shown = [
      JSON.stringify(provider),
      inspect(provider, { depth: 10, showHidden: true }),
      ...errors.flatMap((error) => [error.message, inspect(error), JSON.stringify(error)]),
    ]
    expect(JSON.parse(shown[0]!)).toEqual({
      kind: 'dstack',
      publicKeys: provider.publicKeys,
      info: provider.info,
    })
    for (const text of shown) for (const secret of secrets) expect(text.toLowerCase()).not.toContain(secret)
  })
})
