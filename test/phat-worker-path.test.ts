import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { encodeAbiParameters, hexToBytes, parseAbiParameters } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bundleFunction } from '../cli/build/bundleFunction.js'
import type { Hex } from '../runtime/bytes.js'
import { phatSecretsKey } from '../runtime/compat/phat/phatSecretsKey.js'
import { decryptSecrets } from '../runtime/enclave/decryptSecrets.js'
import { createDevProvider } from '../runtime/enclave/devProvider.js'
import { errorResultBytes, payloadHashOf } from '../runtime/enclave/envelope.js'
import type { FunctionScope } from '../runtime/enclave/functionScope.js'
import { encryptSecrets } from '../runtime/enclave/secretsCipher.js'
import { signEnvelope } from '../runtime/enclave/signEnvelope.js'
import type { TeeProvider } from '../runtime/enclave/TeeProvider.js'
import { verifyEnvelope } from '../runtime/enclave/verifyEnvelope.js'
import { createSandboxPool, resultToBytes, type SandboxPool } from '../runtime/sandbox/index.js'
import { type StartHttpServerReturnType, startHttpServer } from './support/startHttpServer.js'

// A Phat function on the worker path: its request is an on-chain payload, its secrets string arrives encrypted
// as the secret `phatSecrets`, its synchronous HTTP goes to the network under the worker's policy, and its hex
// result is delivered as the bytes it spells, in a signed envelope.

const entry = fileURLToPath(new URL('./fixtures/phat/lensStats.ts', import.meta.url))
const functionId = `0x${'f0'.repeat(32)}` as Hex
const scope: FunctionScope = {
  family: 'evm',
  chainId: '31337',
  registry: '0xe7f1725e7734ce288f8367e1bb143e90bb3f0512',
  functionId,
}

let dir: string
let worker: TeeProvider
let pool: SandboxPool
let api: StartHttpServerReturnType

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'teefn-phat-worker-'))
  ;[worker, pool, api] = await Promise.all([
    createDevProvider({ keyFile: join(dir, 'worker.json') }),
    createSandboxPool({ threads: 1 }),
    startHttpServer(async (request, response) => {
      const chunks: Buffer[] = []
      for await (const chunk of request) chunks.push(chunk as Buffer)
      const { query } = JSON.parse(Buffer.concat(chunks).toString())
      response.setHeader('content-type', 'application/json')
      response.end(
        JSON.stringify({ data: { profile: { stats: { posts: query.includes('0x01') ? 42 : 0 } } } }),
      )
    }),
  ])
})

afterAll(async () => {
  await pool?.close()
  await api?.close()
  await rm(dir, { recursive: true, force: true })
})

describe('a --compat phat function on the worker path', () => {
  it('answers an on-chain request with the reply bytes, in an envelope that verifies', async () => {
    const { code, codeHash } = await bundleFunction({ entry, compat: 'phat' })
    const payload = hexToBytes(
      encodeAbiParameters(parseAbiParameters('uint id, string reqData'), [9n, '0x01']),
    )
    const secrets = { [phatSecretsKey]: `${api.url}/graphql` }
    const ciphertext = encryptSecrets({ workerKey: worker.publicKeys.encryption, scope, secrets })
    const outcome = await pool.invoke({
      code,
      request: encodeAbiParameters(parseAbiParameters('uint id, string reqData'), [9n, '0x01']),
      secrets: await decryptSecrets({ provider: worker, ciphertext, scope }),
      functionKey: await worker.deriveFunctionKey(scope),
      allowHosts: [`127.0.0.1:${api.port}`],
      context: { requestId: 'r1', trigger: 'evm', codeHash, functionId },
    })
    expect(outcome.error).toBeNull()
    const reply = encodeAbiParameters(parseAbiParameters('uint, uint, uint256'), [0n, 9n, 42n])
    expect(outcome.result).toBe(reply)
    expect(api.requests).toHaveLength(1)
    const envelope = await signEnvelope(worker, {
      family: 'evm',
      chainId: 31337,
      destination: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
      requestId: `0x${'a2'.repeat(32)}`,
      functionId,
      payloadHash: payloadHashOf(payload),
      codeHash,
      status: outcome.ok ? 'OK' : outcome.error.code,
      result: outcome.ok ? resultToBytes(outcome.result) : errorResultBytes(outcome.error.message),
    })
    await verifyEnvelope(envelope, {
      worker: worker.publicKeys.evmAddress,
      payloadHash: payloadHashOf(payload),
    })
    expect(envelope.result).toBe(reply)
    // The secrets string (an URL here) is a secret: the log line that prints it shows it redacted.
    expect(outcome.logs.map((entry) => entry.message)).toEqual(['handle req 9: 0x01, secrets [redacted]'])
  })
})
