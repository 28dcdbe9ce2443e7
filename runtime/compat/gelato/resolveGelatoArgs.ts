import { BigNumber } from './BigNumber.js'
import type { GelatoRequest } from './parseGelatoRequest.js'

/** `context.gelatoArgs`, as Gelato's SDK gives it: the task's chain id and the gas price as a BigNumber. */
export type GelatoArgs = { chainId: number; gasPrice: BigNumber; taskId?: string }

/** Gelato's `w3f test` defaults, for a run without a chain to ask. */
const testChainId = 11155111
const testGasPrice = '10'

/**
 * The chain id and gas price of the run: as the request gives them, else read from the default chain's RPC in one
 * JSON-RPC batch (Gelato's executor knows both, so this is not one of the function's RPC calls; it is a fetch),
 * else Gelato's `w3f test` defaults (Sepolia, 10 wei).
 */
export async function resolveGelatoArgs({ gelatoArgs, rpcUrl }: GelatoRequest): Promise<GelatoArgs> {
  let { chainId, gasPrice } = gelatoArgs
  if ((chainId === undefined || gasPrice === undefined) && rpcUrl !== undefined) {
    const [chain, price] = await askChain(rpcUrl)
    chainId ??= chain
    gasPrice ??= price
  }
  return {
    chainId: chainId ?? testChainId,
    gasPrice: BigNumber.from(gasPrice ?? testGasPrice),
    ...(gelatoArgs.taskId === undefined ? {} : { taskId: gelatoArgs.taskId }),
  }
}

async function askChain(url: string): Promise<[number, string]> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([
        { jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] },
        { jsonrpc: '2.0', id: 2, method: 'eth_gasPrice', params: [] },
      ]),
    })
    const answers = (await response.json()) as { id: number; result?: string }[]
    const chainId = answers.find((answer) => answer.id === 1)?.result
    const gasPrice = answers.find((answer) => answer.id === 2)?.result
    if (typeof chainId !== 'string' || typeof gasPrice !== 'string') throw new Error('no result')
    return [Number(BigInt(chainId)), BigInt(gasPrice).toString()]
  } catch (error) {
    throw new Error(
      `Could not read the chain id and gas price from ${url} (${(error as Error).message}): pass --chain-id and --gas-price`,
    )
  }
}
