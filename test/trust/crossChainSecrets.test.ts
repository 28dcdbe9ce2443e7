import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { id } from 'ethers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deployRegistry } from '../../contracts/artifacts.js'
import type { Hex } from '../../runtime/bytes.js'
import { createEvmChainReader } from '../../runtime/chain/evm/createEvmChainReader.js'
import { createDevProvider } from '../../runtime/enclave/devProvider.js'
import type { Envelope } from '../../runtime/enclave/envelope.js'
import type { FunctionScope } from '../../runtime/enclave/functionScope.js'
import { signSecretsUpdate } from '../../runtime/enclave/ownerRecords.js'
import { encryptSecrets } from '../../runtime/enclave/secretsCipher.js'
import type { DeliveryJobData, RequestJobData } from '../../runtime/queue/jobs.js'
import { createSandboxPool } from '../../runtime/sandbox/index.js'
import { createRequestProcessor } from '../../runtime/worker/createRequestProcessor.js'
import { rejectionOf } from '../support/rejectionOf.js'
import { startTeefnStack, type TeefnStack } from '../support/startTeefnStack.js'
import { deployTestConsumer, mined, sentRequestsOf } from '../support/teefnContracts.js'

// Attack: a functionId is just 32 bytes, and anyone can register it on any chain (or any registry) where it is
// still free. If secrets or `deriveSecret` keys followed the bare functionId, the first to register it elsewhere
// would run his own code with the owner's secrets and the owner's derived wallet. They follow the function's
// scope (chain, registry, functionId), so the attacker's copy is another function with nothing of the owner's.

let stack: TeefnStack
const [A, B] = [0, 1] // chain indexes: the owner's chain (31337) and the attacker's (31338)

beforeAll(async () => {
  stack = await startTeefnStack({ chainIds: [31337, 31338] })
})
afterAll(() => stack?.close())

/** Returns what a function could leak: its secrets and its derived wallet key. */
const reveal = (who: string) => `// ${who}
export default (request, secrets) => JSON.stringify({
  secrets,
  wallet: Array.from(deriveSecret('wallet'), (b) => b.toString(16).padStart(2, '0')).join(''),
})`
const ownerCode = reveal("the owner's function")
const attackerCode = reveal("the attacker's copy")

const textOf = (envelope: Envelope) => Buffer.from(envelope.result.slice(2), 'hex').toString()
const revealed = (envelope: Envelope) =>
  JSON.parse(textOf(envelope)) as { secrets: Record<string, string>; wallet: string }

describe('a functionId registered by someone else on another chain', () => {
  it("gets neither the owner's secrets nor the owner's deriveSecret key", async () => {
    const secret = 'owner-token-chain-a-1'
    const owner = await stack.register(ownerCode, 'cross-chain wallet', { chain: A })
    await stack.putSecrets(owner.functionId, { token: secret }, { chain: A })
    // Same deployer, same nonce: both registries have one address, so the chain id alone tells the scopes apart.
    expect(stack.chains[B]!.f.registry.target).toBe(stack.chains[A]!.f.registry.target)
    const attacker = await stack.register(attackerCode, 'cross-chain wallet', {
      chain: B,
      owner: stack.chains[B]!.f.stranger,
    })
    expect(attacker.functionId).toBe(owner.functionId)

    const onA = await stack.request(owner.functionId, '0x01', { chain: A })
    const onB = await stack.request(owner.functionId, '0x01', {
      chain: B,
      requester: stack.chains[B]!.f.stranger,
    })
    const a = await stack.envelopeOf(onA.requestId, { chain: A })
    const b = await stack.envelopeOf(onB.requestId, { chain: B })

    expect([a.status, a.codeHash]).toEqual(['OK', owner.codeHash])
    expect([b.status, b.codeHash]).toEqual(['OK', attacker.codeHash])
    expect(revealed(b).wallet).toMatch(/^[0-9a-f]{64}$/)
    expect(revealed(b).wallet).not.toBe(revealed(a).wallet)
    expect(revealed(b).secrets).toEqual({})
    expect(textOf(b)).not.toContain(secret)
    expect(revealed(a).secrets).toEqual({ token: secret })
  })

  it("cannot open the owner's ciphertext even when the attacker signs it into his own scope", async () => {
    const secret = 'owner-token-chain-a-2'
    const owner = await stack.register(ownerCode, 'cross-chain ciphertext', { chain: A })
    await stack.putSecrets(owner.functionId, { token: secret }, { chain: A })
    await stack.register(attackerCode, 'cross-chain ciphertext', {
      chain: B,
      owner: stack.chains[B]!.f.stranger,
    })
    // The ciphertext is public (Redis, the owner's upload). As the owner on chain B, the attacker signs it as his
    // own function's secrets, so the owner check passes; only the scope bound into the ciphertext is left.
    const stored = await stack.store.getSecrets(stack.scopeOf(owner.functionId, A))
    await stack.store.putSecrets(
      await signSecretsUpdate(stack.chains[B]!.f.stranger, {
        scope: stack.scopeOf(owner.functionId, B),
        ciphertext: stored!.ciphertext,
        version: 1,
      }),
    )

    const onB = await stack.request(owner.functionId, '0x02', { chain: B })
    const b = await stack.envelopeOf(onB.requestId, { chain: B })
    expect(textOf(b)).not.toContain(secret)
    expect(b.status).toBe('SECRETS_INVALID')
    // The owner's own run is untouched.
    const onA = await stack.request(owner.functionId, '0x02', { chain: A })
    expect(revealed(await stack.envelopeOf(onA.requestId, { chain: A })).secrets).toEqual({ token: secret })
  })
})

// A node serves one registry per chain, so this runs the worker's request processor (the same one `startNode`
// uses) on the real chain, Redis store and dev provider, configured twice: once with the registry consumers
// use, once with a registry the operator deployed himself on the same chain.
describe('the same functionId under a second registry on the same chain', () => {
  it("is another function: pointed at the operator's registry, the worker gives it another key and none of the owner's secrets", async () => {
    const chain = stack.chains[A]!
    const { f } = chain
    const dir = await mkdtemp(join(tmpdir(), 'teefn-second-registry-'))
    const provider = await createDevProvider({ keyFile: join(dir, 'worker.key') })
    const pool = await createSandboxPool({ threads: 1 })
    const readers: ReturnType<typeof createEvmChainReader>[] = []
    try {
      const secret = 'owner-token-registry-1'
      const theirs = await deployRegistry(f.stranger)
      for (const registry of [f.registry, theirs]) {
        await mined(
          registry.admitWorker(provider.publicKeys.evmAddress, id('dev attestation'), f.workerExpiresAt),
        )
      }
      const functionId = id('stack function: second registry') as Hex
      const ownerBundle = await stack.store.putFunction(ownerCode)
      const attackerBundle = await stack.store.putFunction(attackerCode)
      await mined(f.registry.connect(f.functionOwner).registerFunction(functionId, ownerBundle.codeHash))
      await mined(theirs.connect(f.stranger).registerFunction(functionId, attackerBundle.codeHash))
      const scopeIn = (registry: string): FunctionScope => ({
        family: 'evm',
        chainId: String(chain.anvil.chainId),
        registry: registry.toLowerCase() as Hex,
        functionId,
      })
      const ours = scopeIn(String(f.registry.target))
      const ciphertext = encryptSecrets({
        workerKey: provider.publicKeys.encryption,
        scope: ours,
        secrets: { token: secret },
      })
      await stack.store.putSecrets(
        await signSecretsUpdate(f.functionOwner, { scope: ours, ciphertext, version: 1 }),
      )

      const processorFor = (registry: string) => {
        const reader = createEvmChainReader({
          chainId: chain.anvil.chainId,
          registry,
          rpcUrls: [chain.anvil.rpcUrl],
          quorum: 1,
          confirmations: 0,
        })
        readers.push(reader)
        const delivered: DeliveryJobData[] = []
        const processRequest = createRequestProcessor({
          pool,
          provider,
          store: stack.store,
          chains: { evm: [reader] },
          deliver: async (delivery) => {
            delivered.push(delivery)
          },
        })
        return async (job: RequestJobData) => {
          await processRequest(job)
          return delivered.at(-1)!.envelope
        }
      }
      const honest = processorFor(String(f.registry.target))
      const operators = processorFor(String(theirs.target))

      // A consumer the node does not watch: the node answers nothing of it, so the request stays pending here.
      const unwatched = await deployTestConsumer(f.admin, { registry: String(f.registry.target) })
      const unwatchedAddress = (await unwatched.getAddress()) as Hex
      const receipt = await mined(unwatched.connect(f.oracleOwner).request(functionId, '0x03'))
      const sent = sentRequestsOf(receipt, unwatchedAddress)[0]!
      const job: RequestJobData = {
        trigger: 'evm',
        chainId: String(chain.anvil.chainId),
        destination: unwatchedAddress,
        requestId: sent.requestId as Hex,
        functionId,
        request: sent.payload,
        seenAt: Date.now(),
        origin: { blockNumber: sent.receipt.blockNumber },
      }
      const a = await honest(job)
      // The consumer signed up in the registry it names, not in the operator's: that worker refuses it outright.
      expect(await rejectionOf(operators(job))).toMatchObject({ code: 'CONSUMER_NOT_REGISTERED' })
      // Sign-up is open in every registry: once the consumer is registered in the operator's too, the worker
      // pointed there runs the operator's code, with another key and none of the owner's secrets.
      await mined(unwatched.signUpWith(String(theirs.target)))
      const b = await operators(job)
      expect([a.status, a.codeHash]).toEqual(['OK', ownerBundle.codeHash])
      expect([b.status, b.codeHash]).toEqual(['OK', attackerBundle.codeHash])
      expect(revealed(b).wallet).not.toBe(revealed(a).wallet)
      expect(revealed(b).secrets).toEqual({})
      expect(revealed(a).secrets).toEqual({ token: secret })

      // The owner of the second registry signs the owner's ciphertext into his scope: it still does not open.
      await stack.store.putSecrets(
        await signSecretsUpdate(f.stranger, {
          scope: scopeIn(String(theirs.target)),
          ciphertext,
          version: 1,
        }),
      )
      const replayed = await operators(job)
      expect(textOf(replayed)).not.toContain(secret)
      expect(replayed.status).toBe('SECRETS_INVALID')
    } finally {
      for (const reader of readers) reader.close()
      await pool.close()
      await rm(dir, { recursive: true, force: true })
    }
  })
})
