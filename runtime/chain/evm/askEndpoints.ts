import type { EndpointOutcome } from '../reachQuorum.js'
import type { BlockCall } from './blockView.js'
import { type RpcClient, RpcError } from './createRpcClient.js'

/** One RPC endpoint of a chain reader; `servesChain` once its chain id was seen right. */
export type Endpoint = { host: string; rpc: RpcClient; servesChain: boolean }

export type AskEndpointsParameters<T> = {
  endpoints: Endpoint[]
  chainId: bigint
  /** One batch, asked of every endpoint. */
  calls: BlockCall[]
  /** Turns an endpoint's results into its answer; throws (so the endpoint does not count) on nonsense. */
  read: (results: unknown[]) => T
}

/**
 * Every endpoint at once; an endpoint that fails or serves another chain says why instead. Its chain id is
 * checked in the same batch until it has once been right (an endpoint does not change chains under a URL). An
 * `optional` call that reverts reads as `undefined`; any other failed call fails the endpoint's answer.
 */
export function askEndpoints<T>({
  endpoints,
  chainId,
  calls,
  read,
}: AskEndpointsParameters<T>): Promise<EndpointOutcome<T>[]> {
  return Promise.all(
    endpoints.map(async (endpoint): Promise<EndpointOutcome<T>> => {
      const { host, rpc } = endpoint
      try {
        const check = !endpoint.servesChain
        const asked: BlockCall[] = check ? [{ method: 'eth_chainId' }, ...calls] : calls
        const settled = await rpc.batch(asked)
        const failed = settled.find(
          (result, index) =>
            result.status === 'rejected' && !(asked[index]!.optional && isRevert(result.reason)),
        )
        if (failed?.status === 'rejected') return { endpoint: host, error: reasonOf(failed.reason) }
        const results = settled.map((result) => (result.status === 'fulfilled' ? result.value : undefined))
        if (check) {
          const served = results.shift()
          if (typeof served !== 'string' || BigInt(served) !== chainId) {
            return { endpoint: host, error: `serves chain ${String(served)}, not ${chainId}` }
          }
          endpoint.servesChain = true
        }
        return { endpoint: host, answer: read(results) }
      } catch (error) {
        return { endpoint: host, error: reasonOf(error) }
      }
    }),
  )
}

/** A call the node executed and that reverted (JSON-RPC error 3, or a message saying so), not a node failure. */
function isRevert(error: unknown): boolean {
  return error instanceof RpcError && (error.rpcCode === 3 || /revert/i.test(error.shortMessage))
}

function reasonOf(error: unknown): string {
  const coded = error as { code?: unknown; shortMessage?: unknown; message?: unknown }
  if (typeof coded.code === 'string' && coded.code.startsWith('RPC_')) {
    return coded.code === 'RPC_ERROR' ? String(coded.shortMessage).slice(0, 120) : coded.code.toLowerCase()
  }
  return String(coded.message ?? error)
    .split('\n')[0]!
    .slice(0, 120)
}
