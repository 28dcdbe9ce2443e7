/**
 * Queue names and the key prefix, defined once for producers (watchers, the HTTP API) and consumers
 * (workers, submitters). BullMQ forbids ':' in names and job ids; '-' separates parts instead.
 */
export const queuePrefix = 'teefn'

/** Requests from every chain and the HTTP API, consumed by the TEE workers. */
export const requestQueueName = 'requests'

export type ChainFamily = 'evm' | 'substrate'

/** Where a request came from: a chain family and its id (EVM: decimal chain id; Substrate: genesis hash). */
export type ChainRef = { family: ChainFamily; chainId: string }

/** Signed envelopes for one chain, consumed by that chain's submitter. */
export function deliveryQueueName({ family, chainId }: ChainRef): string {
  return `deliveries-${family}-${chainId.toLowerCase()}`
}
