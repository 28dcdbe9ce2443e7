import { queuePrefix } from './names.js'

/** Which request a set of quorum envelopes answers: an EVM chain, its consumer and the request id. */
export type QuorumRequestRef = {
  /** Decimal EVM chain id. */
  chainId: string
  /** The consumer contract (any case). */
  consumer: string
  /** bytes32 request id (any case). */
  requestId: string
}

/**
 * The Redis hash holding one request's signed envelopes, one field per signer and codeHash (`<address>:<codeHash>`, lowercase): what this
 * node's worker signed and what peers posted (`POST /v1/envelopes`). Lowercased, so any spelling of the same
 * request is one key.
 */
export function quorumEnvelopeKey({ chainId, consumer, requestId }: QuorumRequestRef): string {
  return [queuePrefix, 'envelopes', 'evm', chainId, consumer, requestId].join(':').toLowerCase()
}

/** The pub/sub channel on which the store announces each envelope it keeps for a request (the field stored). */
export function quorumEnvelopeChannel(ref: QuorumRequestRef): string {
  return `${quorumEnvelopeKey(ref)}:stored`
}
