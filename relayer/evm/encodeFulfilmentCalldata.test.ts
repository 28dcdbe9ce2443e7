import { hexlify, Interface, randomBytes } from 'ethers'
import { describe, expect, it } from 'vitest'
import { loadArtifact } from '../../contracts/loadArtifact.js'
import { type EnvelopeCalldata, encodeFulfilmentCalldata } from './encodeFulfilmentCalldata.js'

const envelope = (status: number, resultBytes: number): EnvelopeCalldata => ({
  requestId: hexlify(randomBytes(32)),
  functionId: hexlify(randomBytes(32)),
  payloadHash: hexlify(randomBytes(32)),
  codeHash: hexlify(randomBytes(32)),
  status,
  result: hexlify(randomBytes(resultBytes)),
  signature: hexlify(randomBytes(65)),
})

// ethers' coder as the independent reference.
const consumerInterface = () => new Interface(loadArtifact('TeefnConsumer').abi)

describe('encodeFulfilmentCalldata', () => {
  it('encodes one envelope as fulfill, exactly as the consumer ABI does', () => {
    const one = envelope(0, 32)
    const data = encodeFulfilmentCalldata([one])
    expect(data).toBe(consumerInterface().encodeFunctionData('fulfill', [one]))
  })

  it('encodes several envelopes (results of any length) as one fulfillBatch', () => {
    const several = [envelope(0, 32), envelope(3, 0), envelope(1, 117)]
    const data = encodeFulfilmentCalldata(several)
    expect(data).toBe(consumerInterface().encodeFunctionData('fulfillBatch', [several]))
    const [decoded] = consumerInterface().decodeFunctionData('fulfillBatch', data)
    expect(decoded.map((item: { result: string }) => item.result)).toEqual(several.map((item) => item.result))
  })

  it('refuses a bytes32 field of another size', () => {
    expect(() => encodeFulfilmentCalldata([{ ...envelope(0, 1), codeHash: '0x1234' }])).toThrow(
      /does not match expected size \(bytes32\)/,
    )
  })
})
