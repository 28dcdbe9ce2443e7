import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bytesToHex, type Hex, utf8 } from '../runtime/bytes.js'
import { decryptSecrets } from '../runtime/enclave/decryptSecrets.js'
import { deriveSecretFromFunctionKey } from '../runtime/enclave/deriveSecretFromFunctionKey.js'
import { createDevProvider } from '../runtime/enclave/devProvider.js'
import { errorResultBytes, payloadHashOf } from '../runtime/enclave/envelope.js'
import type { FunctionScope } from '../runtime/enclave/functionScope.js'
import { encryptSecrets } from '../runtime/enclave/secretsCipher.js'
import { signEnvelope } from '../runtime/enclave/signEnvelope.js'
import type { TeeProvider } from '../runtime/enclave/TeeProvider.js'
import { verifyEnvelope } from '../runtime/enclave/verifyEnvelope.js'
import {
  createSandboxPool,
  type InvocationOutcome,
  resultToBytes,
  type SandboxPool,
} from '../runtime/sandbox/index.js'

// The worker path as the enclave layer sees it: owner encrypts -> worker decrypts -> main(request, secrets)
// -> result or failure -> signed envelope. Secret values must appear in no log, error, result or envelope.

const functionId = `0x${'e7'.repeat(32)}` as Hex
const scope: FunctionScope = {
  family: 'evm',
  chainId: '31337',
  registry: '0xe7f1725e7734ce288f8367e1bb143e90bb3f0512',
  functionId,
}
const payload = utf8('{"query":"weather"}')
const secrets = { API_TOKEN: 'tok_9f8e7d6c5b4a3928', WEBHOOK_SECRET: 'whsec-a1b2c3d4e5f6g7' }

let dir: string
let worker: TeeProvider
let pool: SandboxPool
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'teefn-worker-path-'))
  ;[worker, pool] = await Promise.all([
    createDevProvider({ keyFile: join(dir, 'worker.json') }),
    createSandboxPool({ threads: 1 }),
  ])
})
afterAll(async () => {
  await pool?.close()
  await rm(dir, { recursive: true, force: true })
})

async function runAsWorker(code: string): Promise<{ outcome: InvocationOutcome; envelopeJson: string }> {
  const ciphertext = encryptSecrets({ workerKey: worker.publicKeys.encryption, scope, secrets })
  const opened = await decryptSecrets({ provider: worker, ciphertext, scope })
  const outcome = await pool.invoke({
    code,
    request: bytesToHex(payload),
    secrets: opened,
    functionKey: await worker.deriveFunctionKey(scope),
    context: { requestId: 'r1', trigger: 'evm', codeHash: `0x${'c1'.repeat(32)}`, functionId },
  })
  const envelope = await signEnvelope(worker, {
    family: 'evm',
    chainId: 31337,
    destination: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
    requestId: `0x${'a1'.repeat(32)}`,
    functionId,
    payloadHash: payloadHashOf(payload),
    codeHash: `0x${'c1'.repeat(32)}`,
    status: outcome.ok ? 'OK' : outcome.error.code,
    result: outcome.ok ? resultToBytes(outcome.result) : errorResultBytes(outcome.error.message),
  })
  await verifyEnvelope(envelope, {
    worker: worker.publicKeys.evmAddress,
    payloadHash: payloadHashOf(payload),
  })
  return { outcome, envelopeJson: JSON.stringify(envelope) }
}

function expectNoSecretIn(...texts: string[]) {
  for (const text of texts) {
    for (const value of Object.values(secrets)) {
      expect(text).not.toContain(value)
      expect(text.toLowerCase()).not.toContain(bytesToHex(utf8(value)).slice(2))
    }
  }
}

describe('secrets on the worker path', () => {
  it('reach main, and not the logs, the result or the envelope', async () => {
    const { outcome, envelopeJson } = await runAsWorker(`
      export default async function main(request, secrets) {
        console.log('token is', secrets.API_TOKEN)
        console.error('webhook', secrets.WEBHOOK_SECRET)
        return JSON.stringify({ names: Object.keys(secrets).sort(), tokenLength: secrets.API_TOKEN.length })
      }`)
    expect(outcome.ok).toBe(true)
    expect(JSON.parse(String(outcome.result))).toEqual({
      names: ['API_TOKEN', 'WEBHOOK_SECRET'],
      tokenLength: 20,
    })
    expect(outcome.logs.map((entry) => entry.message)).toEqual(['token is [redacted]', 'webhook [redacted]'])
    expectNoSecretIn(JSON.stringify(outcome), envelopeJson)
  })

  it('do not leak through an error message into the signed failure envelope', async () => {
    const { outcome, envelopeJson } = await runAsWorker(`
      export default async function main(request, secrets) {
        throw new Error('upstream refused ' + secrets.API_TOKEN + ' / ' + secrets.WEBHOOK_SECRET)
      }`)
    expect(outcome.ok).toBe(false)
    expect(JSON.parse(envelopeJson)).toMatchObject({ status: 'FUNCTION_ERROR' })
    expect(Buffer.from(JSON.parse(envelopeJson).result.slice(2), 'hex').toString()).toContain(
      'upstream refused [redacted]',
    )
    expectNoSecretIn(JSON.stringify(outcome), envelopeJson)
  })

  it("give the guest's deriveSecret the provider's function key", async () => {
    const { outcome } = await runAsWorker(
      `export default () => Array.from(deriveSecret('wallet/0'), (b) => b.toString(16).padStart(2, '0')).join('')`,
    )
    const expected = deriveSecretFromFunctionKey(await worker.deriveFunctionKey(scope), 'wallet/0')
    expect(outcome.result).toBe(bytesToHex(expected).slice(2))
  })
})
