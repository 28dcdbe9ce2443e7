/** Chain ids of local development chains (anvil, Hardhat), where nothing reorganizes unless a test asks. */
export const devChainIds: readonly bigint[] = [31337n]

/**
 * Blocks a request waits under before a worker answers it, unless configured: 0 on a local development chain,
 * 12 anywhere else. A shallower request could be reorganized away after it was answered; the request id binds
 * its content, so a replaced request is never answered with the old one's result, but a removed one may still
 * have spent a run.
 */
export function defaultConfirmations(chainId: bigint | number | string): number {
  return devChainIds.includes(BigInt(chainId)) ? 0 : 12
}
