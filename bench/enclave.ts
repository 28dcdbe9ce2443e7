/**
 * Enclave layer benchmark: EIP-712 envelope signing and verification, sr25519 envelopes, secrets, DCAP.
 * Prints one JSON object. Run with `npm run bench:enclave`.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { verifyTypedData } from 'ethers'
import { type Hex, hexToBytes, utf8 } from '../runtime/bytes.js'
import { decryptSecrets } from '../runtime/enclave/decryptSecrets.js'
import { deriveSecretFromFunctionKey } from '../runtime/enclave/deriveSecretFromFunctionKey.js'
import { createDevProvider } from '../runtime/enclave/devProvider.js'
import { payloadHashOf } from '../runtime/enclave/envelope.js'
import { fulfillmentTypes } from '../runtime/enclave/evmEnvelope.js'
import type { FunctionScope } from '../runtime/enclave/functionScope.js'
import { encryptSecrets } from '../runtime/enclave/secretsCipher.js'
import { type SignEnvelopeParameters, signEnvelope } from '../runtime/enclave/signEnvelope.js'
import { secp256k1Implementation, signSecp256k1WithNoble } from '../runtime/enclave/signSecp256k1.js'
import { verifyAttestation } from '../runtime/enclave/verifyAttestation.js'
import { verifyEnvelope } from '../runtime/enclave/verifyEnvelope.js'
import { dcapFixturesValidAt, loadDcapFixtures } from '../test/support/dcapFixtures.js'

type Stats = { p50: number; p90: number; mean: number; n: number }

/** Runs `fn` `warmup` times, then `n` times, and returns percentiles of the per-call time in ms. */
async function measure(
  n: number,
  fn: () => unknown | Promise<unknown>,
  warmup = Math.min(50, n),
): Promise<Stats> {
  for (let i = 0; i < warmup; i++) await fn()
  const samples: number[] = []
  for (let i = 0; i < n; i++) {
    const start = process.hrtime.bigint()
    await fn()
    samples.push(Number(process.hrtime.bigint() - start) / 1e6)
  }
  samples.sort((a, b) => a - b)
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!
  return { p50: at(0.5), p90: at(0.9), mean: samples.reduce((a, b) => a + b, 0) / n, n }
}

const us = (stats: Stats) => Math.round(stats.p50 * 1000)
const ms = (stats: Stats) => Math.round(stats.p50 * 100) / 100

const dir = await mkdtemp(join(tmpdir(), 'teefn-bench-enclave-'))
try {
  const startStart = process.hrtime.bigint()
  const provider = await createDevProvider({ keyFile: join(dir, 'worker.json') })
  const devCreateMs = Number(process.hrtime.bigint() - startStart) / 1e6
  const restart = await measure(3, () => createDevProvider({ keyFile: join(dir, 'worker.json') }), 1)

  const functionId = `0x${'0f'.repeat(32)}` as Hex
  const scope: FunctionScope = {
    family: 'evm',
    chainId: '31337',
    registry: '0xe7f1725e7734ce288f8367e1bb143e90bb3f0512',
    functionId,
  }
  const result = utf8(JSON.stringify({ price: '67012.45', source: 'bench', at: 1_720_000_000 }))
  const evm: SignEnvelopeParameters = {
    family: 'evm',
    chainId: 31337,
    destination: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
    requestId: `0x${'0e'.repeat(32)}`,
    functionId,
    payloadHash: payloadHashOf(utf8('{"pair":"BTC/USD"}')),
    codeHash: `0x${'0c'.repeat(32)}`,
    status: 'OK',
    result,
  }
  const substrate: SignEnvelopeParameters = { ...evm, family: 'substrate', chainId: `0x${'91'.repeat(32)}` }

  const sign = await measure(1000, () => signEnvelope(provider, evm))
  const envelope = await signEnvelope(provider, evm)
  const verify = await measure(500, () =>
    verifyEnvelope(envelope, { worker: provider.publicKeys.evmAddress }),
  )
  // Without an expected worker the key is recovered from the signature (no cached key to check against).
  const verifyRecover = await measure(300, () => verifyEnvelope(envelope))
  const digest = new Uint8Array(32).fill(1)
  const signDigest = await measure(1000, () => provider.signDigest(digest))
  // The same signature by the pure-JavaScript fallback, for comparison.
  const privateKey = new Uint8Array(32).fill(7)
  const nobleSignDigest = await measure(1000, () => signSecp256k1WithNoble({ digest, privateKey }))
  const domain = { name: 'teefn', version: '1', chainId: 31337, verifyingContract: evm.destination }
  const types = { Fulfillment: fulfillmentTypes.Fulfillment.map((field) => ({ ...field })) }
  const message = {
    requestId: envelope.requestId,
    functionId: envelope.functionId,
    payloadHash: envelope.payloadHash,
    codeHash: envelope.codeHash,
    status: 0,
    resultHash: envelope.resultHash,
  }
  const ethersVerify = await measure(300, () => verifyTypedData(domain, types, message, envelope.signature))

  const substrateSign = await measure(500, () => signEnvelope(provider, substrate))
  const substrateEnvelope = await signEnvelope(provider, substrate)
  const substrateVerify = await measure(300, () => verifyEnvelope(substrateEnvelope))

  const secrets = { API_KEY: 'k'.repeat(40), DB_URL: `postgres://user:${'p'.repeat(24)}@db:5432/app` }
  const encrypt = await measure(500, () =>
    encryptSecrets({ workerKey: provider.publicKeys.encryption, scope, secrets }),
  )
  const ciphertext = encryptSecrets({ workerKey: provider.publicKeys.encryption, scope, secrets })
  const ciphertextBytes = hexToBytes(ciphertext)!
  const decrypt = await measure(500, () => decryptSecrets({ provider, ciphertext: ciphertextBytes, scope }))

  const functionKey = await provider.deriveFunctionKey(scope)
  const deriveFunctionKey = await measure(1000, () => provider.deriveFunctionKey(scope))
  const deriveSecret = await measure(2000, () => deriveSecretFromFunctionKey(functionKey, 'wallet/0'))

  const fixtures = loadDcapFixtures()
  const collateral = JSON.parse(fixtures.tdxCollateral)
  const dcap = await measure(
    50,
    () =>
      verifyAttestation(fixtures.tdxQuote, collateral, {
        now: dcapFixturesValidAt,
        expectedReportData: null,
      }),
    5,
  )

  const report = {
    sign_p50_us: us(sign),
    verify_p50_us: us(verify),
    dcap_verify_p50_ms: ms(dcap),
    sign_p90_us: Math.round(sign.p90 * 1000),
    verify_p90_us: Math.round(verify.p90 * 1000),
    dcap_verify_p90_ms: Math.round(dcap.p90 * 100) / 100,
    verify_unknown_worker_p50_us: us(verifyRecover),
    secp256k1_sign_digest_p50_us: us(signDigest),
    secp256k1_implementation: secp256k1Implementation,
    noble_secp256k1_sign_digest_p50_us: us(nobleSignDigest),
    ethers_verify_typed_data_p50_us: us(ethersVerify),
    sr25519_envelope_sign_p50_us: us(substrateSign),
    sr25519_envelope_verify_p50_us: us(substrateVerify),
    secrets_encrypt_p50_us: us(encrypt),
    secrets_decrypt_p50_us: us(decrypt),
    dev_function_key_p50_us: us(deriveFunctionKey),
    derive_secret_p50_us: us(deriveSecret),
    dev_provider_create_ms: Math.round(devCreateMs),
    dev_provider_restart_p50_ms: Math.round(restart.p50),
    result_bytes: result.length,
    node: process.version,
  }
  process.stdout.write(`${JSON.stringify(report)}\n`)
} finally {
  await rm(dir, { recursive: true, force: true })
}
