import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { encodeAddress } from '@polkadot/util-crypto'
import { TypedDataEncoder, verifyTypedData, ZeroAddress } from 'ethers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bytesToHex, type Hex, utf8 } from '../bytes.js'
import { createDevProvider } from './devProvider.js'
import type { EnvelopeError } from './EnvelopeError.js'
import {
  type Envelope,
  errorResultBytes,
  maxErrorResultBytes,
  payloadHashOf,
  resultHashOf,
} from './envelope.js'
import { fulfillmentDigest, fulfillmentTypes } from './evmEnvelope.js'
import { type SignEnvelopeParameters, signEnvelope } from './signEnvelope.js'
import type { TeeProvider } from './TeeProvider.js'
import { verifyEnvelope } from './verifyEnvelope.js'

const consumer = '0x5FbDB2315678afecb367f032d93F642f64180aa3' as const
const otherConsumer = '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512' as const
const genesis = `0x${'91'.repeat(32)}` as const
const payload = utf8('{"pair":"ETH/USD"}')
const otherPayloadHash = payloadHashOf(utf8('{"pair":"BTC/USD"}'))
const base = {
  requestId: `0x${'01'.repeat(32)}` as Hex,
  functionId: `0x${'02'.repeat(32)}` as Hex,
  payloadHash: payloadHashOf(payload),
  codeHash: `0x${'03'.repeat(32)}` as Hex,
  status: 'OK' as const,
  result: utf8('{"price":"42"}'),
}
const evmParameters: SignEnvelopeParameters = {
  ...base,
  family: 'evm',
  chainId: 31337,
  destination: consumer,
}
const substrateParameters: SignEnvelopeParameters = {
  ...base,
  family: 'substrate',
  chainId: genesis,
  destination: `0x${'d4'.repeat(32)}`,
}

let dir: string
let worker: TeeProvider
let otherWorker: TeeProvider
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'teefn-envelope-'))
  worker = await createDevProvider({ keyFile: join(dir, 'worker.json') })
  otherWorker = await createDevProvider({ keyFile: join(dir, 'other.json') })
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function reason(promise: Promise<unknown>): Promise<string> {
  const error = (await promise.then(
    () => undefined,
    (e: unknown) => e,
  )) as EnvelopeError | undefined
  if (!error) throw new Error('expected the envelope to be refused')
  return error.reason ?? error.code
}

describe('EVM envelopes (EIP-712)', () => {
  it('signs the Fulfillment typed data that ethers verifies, with low-s and v 27/28', async () => {
    const envelope = await signEnvelope(worker, evmParameters)
    expect(envelope).toMatchObject({
      version: 2,
      family: 'evm',
      chainId: '31337',
      destination: consumer,
      status: 'OK',
      worker: worker.publicKeys.evmAddress,
      resultHash: bytesToHex(resultHashOf(base.result)),
      result: bytesToHex(base.result),
    })
    const domain = { name: 'teefn', version: '1', chainId: 31337, verifyingContract: consumer }
    const message = { ...base, status: 0, resultHash: envelope.resultHash }
    delete (message as { result?: unknown }).result
    const types = { Fulfillment: fulfillmentTypes.Fulfillment.map((field) => ({ ...field })) }
    expect(verifyTypedData(domain, types, message, envelope.signature)).toBe(worker.publicKeys.evmAddress)
    expect(
      bytesToHex(
        fulfillmentDigest({
          chainId: 31337n,
          verifyingContract: Buffer.from(consumer.slice(2), 'hex'),
          requestId: Buffer.from('01'.repeat(32), 'hex'),
          functionId: Buffer.from('02'.repeat(32), 'hex'),
          payloadHash: keccak_256(payload),
          codeHash: Buffer.from('03'.repeat(32), 'hex'),
          status: 0,
          resultHash: resultHashOf(base.result),
        }),
      ),
    ).toBe(TypedDataEncoder.hash(domain, types, message))
    const signature = Buffer.from(envelope.signature.slice(2), 'hex')
    expect([27, 28]).toContain(signature[64])
    expect(
      BigInt(`0x${signature.subarray(32, 64).toString('hex')}`) <=
        0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n,
    ).toBe(true)

    const verified = await verifyEnvelope(envelope, { worker: worker.publicKeys.evmAddress, chainId: 31337n })
    expect(verified.signer).toBe(worker.publicKeys.evmAddress)
    expect(verified.result).toEqual(base.result)
  })

  it('accepts the worker as its secp256k1 public key, and HTTP envelopes (chain 0, zero address)', async () => {
    const http = await signEnvelope(worker, { ...evmParameters, chainId: 0, destination: ZeroAddress as Hex })
    expect(http.chainId).toBe('0')
    await expect(
      verifyEnvelope(http, { worker: worker.publicKeys.secp256k1, chainId: 0 }),
    ).resolves.toMatchObject({
      signer: worker.publicKeys.evmAddress,
    })
  })

  it('signs failures too, with their status and a bounded error message', async () => {
    const failed = await signEnvelope(worker, {
      ...evmParameters,
      status: 'TIMEOUT',
      result: errorResultBytes(`deadline of 10 s exceeded ${'é'.repeat(2000)}`),
    })
    const verified = await verifyEnvelope(failed, { worker: worker.publicKeys.evmAddress })
    expect(verified.envelope.status).toBe('TIMEOUT')
    expect(verified.result.length).toBeLessThanOrEqual(maxErrorResultBytes)
    expect(new TextDecoder('utf-8', { fatal: true }).decode(verified.result)).toMatch(
      /^deadline of 10 s exceeded é+$/,
    )
    // The status is signed: turning a failure into OK breaks the signature.
    expect(await reason(verifyEnvelope({ ...failed, status: 'OK' }))).toBe('SIGNATURE_INVALID')
  })

  it('refuses another signer than the expected worker', async () => {
    const envelope = await signEnvelope(otherWorker, evmParameters)
    expect(await reason(verifyEnvelope(envelope, { worker: worker.publicKeys.evmAddress }))).toBe(
      'WRONG_SIGNER',
    )
    // Claiming to be the expected worker does not help: the signature no longer matches.
    expect(
      await reason(
        verifyEnvelope(
          { ...envelope, worker: worker.publicKeys.evmAddress },
          { worker: worker.publicKeys.evmAddress },
        ),
      ),
    ).toBe('SIGNATURE_INVALID')
  })

  it('refuses an altered result', async () => {
    const envelope = await signEnvelope(worker, evmParameters)
    const altered = bytesToHex(utf8('{"price":"43"}'))
    expect(await reason(verifyEnvelope({ ...envelope, result: altered }))).toBe('RESULT_ALTERED')
    expect(
      await reason(
        verifyEnvelope({
          ...envelope,
          result: altered,
          resultHash: bytesToHex(resultHashOf(utf8('{"price":"43"}'))),
        }),
      ),
    ).toBe('SIGNATURE_INVALID')
  })

  it('binds the payload hash: an expected other payload is WRONG_PAYLOAD, a rewritten one breaks the signature', async () => {
    const envelope = await signEnvelope(worker, evmParameters)
    expect(envelope.payloadHash).toBe(bytesToHex(keccak_256(payload)))
    await expect(
      verifyEnvelope(envelope, { payloadHash: base.payloadHash.toUpperCase().replace('0X', '0x') }),
    ).resolves.toBeDefined()
    expect(await reason(verifyEnvelope(envelope, { payloadHash: otherPayloadHash }))).toBe('WRONG_PAYLOAD')
    expect(await reason(verifyEnvelope({ ...envelope, payloadHash: otherPayloadHash }))).toBe(
      'SIGNATURE_INVALID',
    )
    // The same result for another payload is another signature, which does not carry over.
    const other = await signEnvelope(worker, { ...evmParameters, payloadHash: otherPayloadHash })
    expect(other.signature).not.toBe(envelope.signature)
    await expect(verifyEnvelope(other, { payloadHash: otherPayloadHash })).resolves.toBeDefined()
    expect(await reason(verifyEnvelope({ ...envelope, signature: other.signature }))).toBe(
      'SIGNATURE_INVALID',
    )
  })

  it('refuses version 1 envelopes with a hint to upgrade, and any unknown version', async () => {
    const envelope = await signEnvelope(worker, evmParameters)
    const { payloadHash: _, ...withoutPayload } = envelope
    const error = (await verifyEnvelope({ ...withoutPayload, version: 1 }).catch(
      (e: unknown) => e,
    )) as EnvelopeError
    expect(error.reason).toBe('ENVELOPE_MALFORMED')
    expect(error.shortMessage).toBe('Envelope version 1 is no longer accepted.')
    expect(error.hint).toMatch(/Upgrade .* version 2/)
    expect(await reason(verifyEnvelope({ ...envelope, version: 3 }))).toBe('ENVELOPE_MALFORMED')
    expect(await reason(verifyEnvelope({ ...envelope, version: '2' }))).toBe('ENVELOPE_MALFORMED')
    expect(await reason(verifyEnvelope(withoutPayload))).toBe('ENVELOPE_MALFORMED')
  })

  it('refuses another chain, contract or request, whether expected or forged', async () => {
    const envelope = await signEnvelope(worker, evmParameters)
    expect(await reason(verifyEnvelope(envelope, { chainId: 1 }))).toBe('WRONG_CHAIN')
    expect(await reason(verifyEnvelope(envelope, { destination: otherConsumer }))).toBe('WRONG_DESTINATION')
    expect(await reason(verifyEnvelope(envelope, { requestId: `0x${'09'.repeat(32)}` }))).toBe(
      'WRONG_REQUEST',
    )
    expect(await reason(verifyEnvelope(envelope, { functionId: `0x${'09'.repeat(32)}` }))).toBe(
      'WRONG_FUNCTION',
    )
    expect(await reason(verifyEnvelope(envelope, { codeHash: `0x${'09'.repeat(32)}` }))).toBe(
      'WRONG_CODE_HASH',
    )
    // Rewriting the fields to pass those checks breaks the signature instead.
    for (const forged of [
      { ...envelope, chainId: '1' },
      { ...envelope, destination: otherConsumer },
      { ...envelope, requestId: `0x${'09'.repeat(32)}` },
      { ...envelope, functionId: `0x${'09'.repeat(32)}` },
      { ...envelope, codeHash: `0x${'09'.repeat(32)}` },
    ]) {
      expect(await reason(verifyEnvelope(forged))).toBe('SIGNATURE_INVALID')
    }
    // Expected values match case-insensitively.
    await expect(
      verifyEnvelope(envelope, { destination: consumer.toLowerCase(), chainId: '31337' }),
    ).resolves.toBeDefined()
  })

  it('refuses malleated (high-s) signatures, bad v and malformed JSON', async () => {
    const envelope = await signEnvelope(worker, evmParameters)
    const signature = Buffer.from(envelope.signature.slice(2), 'hex')
    const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n
    const highS = (n - BigInt(`0x${signature.subarray(32, 64).toString('hex')}`))
      .toString(16)
      .padStart(64, '0')
    const malleated = Buffer.concat([
      signature.subarray(0, 32),
      Buffer.from(highS, 'hex'),
      Buffer.of(signature[64] === 27 ? 28 : 27),
    ])
    expect(await reason(verifyEnvelope({ ...envelope, signature: bytesToHex(malleated) }))).toBe(
      'SIGNATURE_INVALID',
    )
    const badV = Buffer.from(signature)
    badV[64] = 2
    expect(await reason(verifyEnvelope({ ...envelope, signature: bytesToHex(badV) }))).toBe(
      'SIGNATURE_INVALID',
    )

    expect(await reason(verifyEnvelope({ ...envelope, status: 'MAYBE' }))).toBe('ENVELOPE_MALFORMED')
    expect(await reason(verifyEnvelope({ ...envelope, chainId: 31337 }))).toBe('ENVELOPE_MALFORMED')
    expect(await reason(verifyEnvelope({ ...envelope, requestId: '0x01' }))).toBe('ENVELOPE_MALFORMED')
    expect(await reason(verifyEnvelope({ ...envelope, version: 1 }))).toBe('ENVELOPE_MALFORMED')
    expect(await reason(verifyEnvelope({ ...envelope, payloadHash: '0x12' }))).toBe('ENVELOPE_MALFORMED')
    expect(await reason(verifyEnvelope('{}'))).toBe('ENVELOPE_MALFORMED')
    expect(await reason(verifyEnvelope(envelope, { worker: 'not-a-key' }))).toBe('INVALID_WORKER')
  })

  it('refuses to sign malformed parameters', async () => {
    await expect(signEnvelope(worker, { ...evmParameters, destination: '0x1234' })).rejects.toMatchObject({
      reason: 'ENVELOPE_MALFORMED',
    })
    await expect(signEnvelope(worker, { ...evmParameters, chainId: -1 })).rejects.toMatchObject({
      reason: 'ENVELOPE_MALFORMED',
    })
    await expect(signEnvelope(worker, { ...evmParameters, status: 'NOPE' as 'OK' })).rejects.toMatchObject({
      reason: 'ENVELOPE_MALFORMED',
    })
    for (const payloadHash of ['0x1234', undefined, bytesToHex(payload)]) {
      await expect(
        signEnvelope(worker, { ...substrateParameters, payloadHash: payloadHash as Hex }),
      ).rejects.toMatchObject({
        reason: 'ENVELOPE_MALFORMED',
        details: expect.stringContaining('payloadHash'),
      })
    }
  })
})

describe('Substrate envelopes (SCALE, sr25519)', () => {
  let envelope: Envelope
  beforeAll(async () => {
    envelope = await signEnvelope(worker, substrateParameters)
  })

  it('signs with the sr25519 key and verifies, by public key or SS58 address', async () => {
    expect(envelope).toMatchObject({
      version: 2,
      family: 'substrate',
      chainId: genesis,
      payloadHash: base.payloadHash,
      worker: worker.publicKeys.sr25519,
    })
    expect(envelope.signature).toMatch(/^0x[0-9a-f]{128}$/)
    await expect(
      verifyEnvelope(envelope, { worker: worker.publicKeys.sr25519, chainId: genesis }),
    ).resolves.toMatchObject({
      signer: worker.publicKeys.sr25519,
    })
    await expect(
      verifyEnvelope(envelope, { worker: encodeAddress(worker.publicKeys.sr25519, 42) }),
    ).resolves.toBeDefined()
  })

  it('refuses another signer, an altered result, another chain, destination, request or payload', async () => {
    expect(await reason(verifyEnvelope(envelope, { worker: otherWorker.publicKeys.sr25519 }))).toBe(
      'WRONG_SIGNER',
    )
    expect(await reason(verifyEnvelope({ ...envelope, result: bytesToHex(utf8('x')) }))).toBe(
      'RESULT_ALTERED',
    )
    expect(await reason(verifyEnvelope(envelope, { chainId: `0x${'92'.repeat(32)}` }))).toBe('WRONG_CHAIN')
    expect(await reason(verifyEnvelope(envelope, { payloadHash: otherPayloadHash }))).toBe('WRONG_PAYLOAD')
    for (const forged of [
      { ...envelope, payloadHash: otherPayloadHash },
      { ...envelope, chainId: `0x${'92'.repeat(32)}` },
      { ...envelope, destination: `0x${'d5'.repeat(32)}` },
      { ...envelope, requestId: `0x${'09'.repeat(32)}` },
      { ...envelope, status: 'FUNCTION_ERROR' },
      { ...envelope, worker: otherWorker.publicKeys.sr25519 },
      { ...envelope, result: bytesToHex(utf8('x')), resultHash: bytesToHex(resultHashOf(utf8('x'))) },
    ]) {
      expect(await reason(verifyEnvelope(forged))).toBe('SIGNATURE_INVALID')
    }
  })

  it('does not accept an EVM signature of the same fields as a Substrate one', async () => {
    const evm = await signEnvelope(worker, evmParameters)
    expect(await reason(verifyEnvelope({ ...envelope, signature: evm.signature }))).toBe('ENVELOPE_MALFORMED')
  })
})
