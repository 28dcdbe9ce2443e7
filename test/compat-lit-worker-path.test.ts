import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bundleFunction } from '../cli/build/bundleFunction.js'
import { bytesToHex, type Hex, utf8 } from '../runtime/bytes.js'
import { deriveSecretFromFunctionKey } from '../runtime/enclave/deriveSecretFromFunctionKey.js'
import { createDevProvider } from '../runtime/enclave/devProvider.js'
import { payloadHashOf } from '../runtime/enclave/envelope.js'
import type { FunctionScope } from '../runtime/enclave/functionScope.js'
import { signEnvelope } from '../runtime/enclave/signEnvelope.js'
import type { TeeProvider } from '../runtime/enclave/TeeProvider.js'
import { verifyEnvelope } from '../runtime/enclave/verifyEnvelope.js'
import { createSandboxPool, resultToBytes, type SandboxPool } from '../runtime/sandbox/index.js'
import { type StartHttpServerReturnType, startHttpServer } from './support/startHttpServer.js'

// A Lit Action built with --compat lit, run as a worker runs a deployed function: the request's payload is its
// jsParams, the provider's function key is the one its Lit keys derive from, and the result is signed.

const functionId = `0x${'1a'.repeat(32)}` as Hex
const scope: FunctionScope = {
  family: 'evm',
  chainId: '31337',
  registry: '0xe7f1725e7734ce288f8367e1bb143e90bb3f0512',
  functionId,
}

let dir: string
let worker: TeeProvider
let pool: SandboxPool
let server: StartHttpServerReturnType

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'teefn-lit-worker-'))
  server = await startHttpServer((_request, response) => {
    response.setHeader('content-type', 'application/json')
    response.end(JSON.stringify({ bid: 10, ask: 20 }))
  })
  ;[worker, pool] = await Promise.all([
    createDevProvider({ keyFile: join(dir, 'worker.json') }),
    createSandboxPool({ threads: 1 }),
  ])
})

afterAll(async () => {
  await pool?.close()
  await server?.close()
  await rm(dir, { recursive: true, force: true })
})

describe('a --compat lit function on the worker path', () => {
  it("signs with the PKP key derived from the function's key, and its response is the signed result", async () => {
    const { code, codeHash } = await bundleFunction({
      entry: fileURLToPath(new URL('./fixtures/lit/signedQuote.js', import.meta.url)),
      compat: 'lit',
    })
    const payload = utf8(
      JSON.stringify({ baseUrl: server.url, pair: 'ETH-USD', publicKey: '0x04AA', sigName: 'sig1' }),
    )
    const functionKey = await worker.deriveFunctionKey(scope)
    const outcome = await pool.invoke({
      code,
      request: bytesToHex(payload),
      functionKey,
      allowHosts: [`127.0.0.1:${server.port}`],
      limits: { timeoutMs: 30_000 },
      context: { requestId: 'r1', trigger: 'evm', codeHash, functionId },
    })
    expect(outcome.error).toBeNull()
    expect(outcome.result).toBe('{"pair":"ETH-USD","mid":15,"message":"ETH-USD:15"}')

    // The PKP named 0x04AA is deriveSecret('lit/pkp/04aa') of this function: the same key on every worker.
    const pkpKey = deriveSecretFromFunctionKey(functionKey, 'lit/pkp/04aa')
    const signatures = outcome.compat?.signatures as Record<string, { publicKey: string }>
    expect(signatures.sig1?.publicKey).toBe(
      bytesToHex(secp256k1.getPublicKey(pkpKey, false)).slice(2).toUpperCase(),
    )

    const envelope = await signEnvelope(worker, {
      family: 'evm',
      chainId: 31337,
      destination: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
      requestId: `0x${'a1'.repeat(32)}`,
      functionId,
      payloadHash: payloadHashOf(payload),
      codeHash,
      status: 'OK',
      result: resultToBytes(outcome.result as string),
    })
    await verifyEnvelope(envelope, {
      worker: worker.publicKeys.evmAddress,
      payloadHash: payloadHashOf(payload),
    })
  })

  it('fails a signature without a function key (an unprivileged request) naming why', async () => {
    const { code, codeHash } = await bundleFunction({
      entry: fileURLToPath(new URL('./fixtures/lit/hello.js', import.meta.url)),
      compat: 'lit',
    })
    const signing = code.replace(
      'LitActions.setResponse({ response: greeting })',
      "await LitActions.signEcdsa({ toSign: new Uint8Array(32), publicKey: '0x04', sigName: 's' })",
    )
    expect(signing).not.toBe(code)
    const outcome = await pool.invoke({
      code: signing,
      request: '{"name":"x"}',
      context: { requestId: 'r2', trigger: 'http', codeHash },
    })
    expect(outcome.error?.message).toContain("Lit keys are derived from the function's key")
  })
})
