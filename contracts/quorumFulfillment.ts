import { Interface, type TypedDataDomain, verifyTypedData } from 'ethers'
import { ContractsError } from './ContractsError.js'
import { type Envelope, FULFILLMENT_TYPES, fulfillmentMessage } from './fulfillmentTypedData.js'
import { loadArtifact } from './loadArtifact.js'

/** `ITeefnRegistry.Aggregation`, by index (append-only). */
export const AGGREGATIONS = ['Identical', 'MedianUint256', 'MedianInt256'] as const
export type Aggregation = (typeof AGGREGATIONS)[number]

/** The most answers one quorum envelope may carry (`TeefnConsumer.MAX_QUORUM_ANSWERS`). */
export const MAX_QUORUM_ANSWERS = 32

/** One worker's answer: what it signed beyond the request's common fields. 0x-hex. */
export type QuorumAnswer = { status: number; result: string; signature: string }

/**
 * The calldata struct `TeefnConsumer.QuorumEnvelope`: one request's common signed fields and the answers of
 * distinct workers, ordered by strictly increasing signer address.
 */
export type QuorumEnvelope = {
  requestId: string
  functionId: string
  payloadHash: string
  codeHash: string
  answers: QuorumAnswer[]
}

export type BuildQuorumEnvelopeReturnType = {
  envelope: QuorumEnvelope
  /** The signer of each answer, in the envelope's order (EIP-55). */
  signers: string[]
}

/**
 * Merges single signed envelopes (`signFulfillment`, or what workers return) for one request into the quorum
 * envelope a consumer takes: each signer recovered over the consumer's `domain`, answers ordered by ascending
 * signer. Workers sign exactly what they sign for `fulfill`; nothing is signed again.
 * @throws ContractsError `QUORUM_MIXED_ENVELOPES`, `QUORUM_DUPLICATE_SIGNER` or `QUORUM_ANSWER_COUNT`.
 */
export function buildQuorumEnvelope(
  domain: TypedDataDomain,
  envelopes: Envelope[],
): BuildQuorumEnvelopeReturnType {
  if (envelopes.length === 0 || envelopes.length > MAX_QUORUM_ANSWERS) {
    throw new ContractsError(`A quorum envelope carries 1 to ${MAX_QUORUM_ANSWERS} answers.`, {
      code: 'QUORUM_ANSWER_COUNT',
      details: `${envelopes.length} envelopes were given.`,
    })
  }
  const [first] = envelopes as [Envelope]
  const common = ['requestId', 'functionId', 'payloadHash', 'codeHash'] as const
  for (const other of envelopes) {
    const differing = common.filter((field) => other[field].toLowerCase() !== first[field].toLowerCase())
    if (differing.length > 0) {
      throw new ContractsError('The envelopes answer different questions.', {
        code: 'QUORUM_MIXED_ENVELOPES',
        details: `${differing.join(', ')} differ from the first envelope's (request ${first.requestId}).`,
        hint: 'A quorum is made of answers to one request by one codeHash.',
      })
    }
  }
  const signed = envelopes.map((envelope) => ({
    envelope,
    signer: verifyTypedData(domain, FULFILLMENT_TYPES, fulfillmentMessage(envelope), envelope.signature),
  }))
  signed.sort((a, b) => compareAddresses(a.signer, b.signer))
  for (let i = 1; i < signed.length; i++) {
    if (compareAddresses(signed[i]!.signer, signed[i - 1]!.signer) === 0) {
      throw new ContractsError('Two answers come from the same worker.', {
        code: 'QUORUM_DUPLICATE_SIGNER',
        details: `${signed[i]!.signer} signed two answers to request ${first.requestId}; each worker counts once.`,
        hint: 'Keep one answer per worker.',
      })
    }
  }
  return {
    envelope: {
      requestId: first.requestId,
      functionId: first.functionId,
      payloadHash: first.payloadHash,
      codeHash: first.codeHash,
      answers: signed.map(({ envelope }) => ({
        status: envelope.status,
        result: envelope.result,
        signature: envelope.signature,
      })),
    },
    signers: signed.map(({ signer }) => signer),
  }
}

let consumerInterface: Interface | undefined

/** Calldata delivering `envelopes` to a consumer: `fulfillQuorum` for one, `fulfillQuorumBatch` for several. */
export function encodeQuorumFulfilment(envelopes: QuorumEnvelope[]): string {
  consumerInterface ??= new Interface(loadArtifact('TeefnConsumer').abi)
  return envelopes.length === 1
    ? consumerInterface.encodeFunctionData('fulfillQuorum', [envelopes[0]])
    : consumerInterface.encodeFunctionData('fulfillQuorumBatch', [envelopes])
}

/** Orders 0x addresses by their numeric value (the order the consumer checks). */
export function compareAddresses(a: string, b: string): number {
  const x = BigInt(a)
  const y = BigInt(b)
  return x < y ? -1 : x > y ? 1 : 0
}
