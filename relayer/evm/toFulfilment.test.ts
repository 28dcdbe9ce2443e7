import { UnrecoverableError } from 'bullmq'
import { describe, expect, it } from 'vitest'
import type { Envelope } from '../../runtime/enclave/envelope.js'
import type { DeliveryJobData } from '../../runtime/queue/jobs.js'
import { toFulfilment } from './toFulfilment.js'

const word = (byte: string) => `0x${byte.repeat(32)}` as const
const envelope: Envelope = {
  version: 2,
  family: 'evm',
  chainId: '31337',
  destination: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
  requestId: word('0e'),
  functionId: word('0f'),
  payloadHash: word('9a'),
  codeHash: word('0c'),
  status: 'FUNCTION_ERROR',
  resultHash: word('77'),
  result: '0x6f6f7073',
  worker: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
  signature: `0x${'5a'.repeat(65)}`,
}
const delivery = (changes: Partial<Envelope> = {}) =>
  ({ envelope: { ...envelope, ...changes } }) as unknown as DeliveryJobData

describe('toFulfilment', () => {
  it('gives the consumer struct of the envelope, with the numeric status', () => {
    expect(toFulfilment(delivery(), 31337n)).toEqual({
      requestId: envelope.requestId,
      envelope: {
        requestId: envelope.requestId,
        functionId: envelope.functionId,
        payloadHash: envelope.payloadHash,
        codeHash: envelope.codeHash,
        status: 1,
        result: envelope.result,
        signature: envelope.signature,
      },
    })
  })

  it('refuses for good an envelope for another chain or family, or with a status the consumer has no code for', () => {
    for (const changes of [
      { chainId: '1' },
      { family: 'substrate' as const },
      { status: 'NOT_A_STATUS' as never },
    ]) {
      expect(() => toFulfilment(delivery(changes), 31337n)).toThrow(UnrecoverableError)
    }
  })
})
