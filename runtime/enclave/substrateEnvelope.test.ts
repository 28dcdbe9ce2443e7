import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { TypeRegistry } from '@polkadot/types'
import { u8aToHex } from '@polkadot/util'
import { sr25519Verify } from '@polkadot/util-crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bytesToHex, concatBytes, utf8 } from '../bytes.js'
import { createDevProvider } from './devProvider.js'
import type { Envelope } from './envelope.js'
import { signEnvelope } from './signEnvelope.js'
import {
  decodeSubstrateEnvelope,
  encodeSubstrateEnvelope,
  substrateEnvelopeContext,
  substrateFieldsOf,
  substrateSigningMessage,
} from './substrateEnvelope.js'
import { verifyEnvelope } from './verifyEnvelope.js'

const registry = new TypeRegistry()
registry.register({
  TeefnEnvelope: {
    chain: '[u8; 32]',
    destination: 'Bytes',
    requestId: '[u8; 32]',
    functionId: '[u8; 32]',
    payloadHash: '[u8; 32]',
    codeHash: '[u8; 32]',
    status: 'u8',
    resultHash: '[u8; 32]',
    result: 'Bytes',
    worker: '[u8; 32]',
  },
  TeefnSignedFields: {
    chain: '[u8; 32]',
    destination: 'Bytes',
    requestId: '[u8; 32]',
    functionId: '[u8; 32]',
    payloadHash: '[u8; 32]',
    codeHash: '[u8; 32]',
    status: 'u8',
    resultHash: '[u8; 32]',
    worker: '[u8; 32]',
  },
})

let dir: string
let envelope: Envelope
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'teefn-scale-'))
  const worker = await createDevProvider({ keyFile: join(dir, 'worker.json') })
  envelope = await signEnvelope(worker, {
    family: 'substrate',
    chainId: `0x${'ab'.repeat(32)}`,
    destination: `0x${'cd'.repeat(32)}`,
    requestId: `0x${'01'.repeat(32)}`,
    functionId: `0x${'02'.repeat(32)}`,
    payloadHash: `0x${'04'.repeat(32)}`,
    codeHash: `0x${'03'.repeat(32)}`,
    status: 'FUNCTION_ERROR',
    // Over 63 bytes, so the compact length prefix takes two bytes.
    result: utf8(`TypeError: x is undefined ${'.'.repeat(100)}`),
  })
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('Substrate envelope SCALE codec', () => {
  it('encodes exactly as @polkadot/types encodes the struct', () => {
    const fields = substrateFieldsOf(envelope)
    const wire = encodeSubstrateEnvelope(envelope)
    const struct = registry.createType('TeefnEnvelope', {
      ...fields,
      destination: u8aToHex(fields.destination),
      result: u8aToHex(fields.result),
    })
    expect(bytesToHex(wire.subarray(0, wire.length - 64))).toBe(struct.toHex())
    expect(bytesToHex(wire.subarray(wire.length - 64))).toBe(envelope.signature)
    expect((struct.toJSON() as { status: number }).status).toBe(1)
  })

  it('signs the v2 context followed by SCALE of every field but result', () => {
    expect(substrateEnvelopeContext).toBe('teefn/substrate-envelope/v2')
    const fields = substrateFieldsOf(envelope)
    expect(bytesToHex(fields.payloadHash)).toBe(`0x${'04'.repeat(32)}`)
    const signedStruct = registry.createType('TeefnSignedFields', {
      ...fields,
      destination: u8aToHex(fields.destination),
    })
    const message = substrateSigningMessage(fields)
    expect(message).toEqual(concatBytes(utf8(substrateEnvelopeContext), signedStruct.toU8a()))
    expect(sr25519Verify(message, envelope.signature, envelope.worker)).toBe(true)
  })

  it('reads the wire bytes back into the same envelope, which still verifies', async () => {
    const decoded = decodeSubstrateEnvelope(encodeSubstrateEnvelope(envelope))
    expect(decoded).toEqual(envelope)
    await expect(
      verifyEnvelope(decoded, { worker: envelope.worker, payloadHash: envelope.payloadHash }),
    ).resolves.toBeDefined()
  })

  it('a payload hash changed on the wire breaks the signature', async () => {
    const wire = encodeSubstrateEnvelope(envelope)
    const payloadHashOffset = 32 + 1 + 32 + 32 + 32 // chain, compact(32), destination, requestId, functionId
    expect(bytesToHex(wire.subarray(payloadHashOffset, payloadHashOffset + 32))).toBe(envelope.payloadHash)
    const tampered = wire.slice()
    tampered[payloadHashOffset]! ^= 0x01
    const decoded = decodeSubstrateEnvelope(tampered)
    expect(decoded.payloadHash).not.toBe(envelope.payloadHash)
    await expect(verifyEnvelope(decoded)).rejects.toMatchObject({ reason: 'SIGNATURE_INVALID' })
  })

  it('refuses truncated, extended or unknown-status wire bytes', () => {
    const wire = encodeSubstrateEnvelope(envelope)
    expect(() => decodeSubstrateEnvelope(wire.subarray(0, wire.length - 1))).toThrowError(
      expect.objectContaining({ reason: 'ENVELOPE_MALFORMED' }),
    )
    expect(() => decodeSubstrateEnvelope(concatBytes(wire, Uint8Array.of(0)))).toThrowError(
      /after the signature/,
    )
    const badStatus = wire.slice()
    // chain, compact(32)=1 byte, destination, requestId, functionId, payloadHash, codeHash
    badStatus[32 + 1 + 32 + 32 + 32 + 32 + 32] = 250
    expect(() => decodeSubstrateEnvelope(badStatus)).toThrowError(/unknown status code 250/)
    expect(() => decodeSubstrateEnvelope(new Uint8Array(10))).toThrowError(/truncated/)
  })

  it('has no wire form for EVM envelopes', () => {
    expect(() => encodeSubstrateEnvelope({ ...envelope, family: 'evm' })).toThrowError(
      expect.objectContaining({ reason: 'ENVELOPE_MALFORMED' }),
    )
  })
})
