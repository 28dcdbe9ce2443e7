/**
 * Queue names and the key prefix, defined once for producers (watchers, the HTTP API) and consumers
 * (workers, submitters). BullMQ forbids ':' in names and job ids; '-' separates parts instead.
 */
export const queuePrefix = 'teefn'

/** Requests from every chain (the chain lane), consumed by the TEE workers. */
export const requestQueueName = 'requests'

/** Invocations through the HTTP API (the HTTP lane): their own queue, so chain requests never wait behind them. */
export const httpRequestQueueName = 'http-requests'

/**
 * Which request queue a job travels in. Chain requests cost their requester gas and carry a deadline; HTTP
 * invocations are free to send: each lane has its own queue and its own share of the worker.
 */
export type RequestLane = 'chain' | 'http'

export type ChainFamily = 'evm' | 'substrate'

/** Where a request came from: a chain family and its id (EVM: decimal chain id; Substrate: genesis hash). */
export type ChainRef = { family: ChainFamily; chainId: string }

/** Signed envelopes for one chain, consumed by that chain's submitter. */
export function deliveryQueueName({ family, chainId }: ChainRef): string {
  return `deliveries-${family}-${chainId.toLowerCase()}`
}
