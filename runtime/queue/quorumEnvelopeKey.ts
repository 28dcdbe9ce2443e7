import { queuePrefix } from './names.js'

/** Which request a set of quorum envelopes answers: a chain, the destination and the request id. */
export type QuorumRequestRef = {
  /** The envelopes' family; `evm` by default. */
  family?: 'evm' | 'substrate' | undefined
  /** Decimal EVM chain id, or a Substrate genesis hash. */
  chainId: string
  /** The consumer contract or the requesting account (any case). */
  consumer: string
  /** bytes32 request id (any case). */
  requestId: string
}

/**
 * The Redis hash holding one request's signed envelopes, one field per signer and codeHash (`<signer>:<codeHash>`,
 * lowercase): what this node's worker signed and what peers posted (`POST /v1/envelopes`). Lowercased, so any
 * spelling of the same request is one key.
 */
export function quorumEnvelopeKey({
  family = 'evm',
  chainId,
  consumer,
  requestId,
}: QuorumRequestRef): string {
  return [queuePrefix, 'envelopes', family, chainId, consumer, requestId].join(':').toLowerCase()
}

/** The pub/sub channel on which the store announces each envelope it keeps for a request (the field stored). */
export function quorumEnvelopeChannel(ref: QuorumRequestRef): string {
  return `${quorumEnvelopeKey(ref)}:stored`
}

/** The request an envelope answers. */
export function quorumRequestRefOf(envelope: {
  family: 'evm' | 'substrate'
  chainId: string
  destination: string
  requestId: string
}): QuorumRequestRef {
  return {
    family: envelope.family,
    chainId: envelope.chainId,
    consumer: envelope.destination,
    requestId: envelope.requestId,
  }
}
