import { BigNumber } from './BigNumber.js'
import type { RpcClient } from './createRpcClient.js'
import {
  blockTagOf,
  formatBlock,
  formatLog,
  formatReceipt,
  formatTransaction,
  quantity,
  rpcTransaction,
} from './formatRpcValues.js'

type Json = Record<string, unknown>

/** ethers v5's names for the chains Gelato served; any other chain is `unknown`, as in ethers. */
const networkNames: Record<number, string> = {
  1: 'homestead',
  5: 'goerli',
  10: 'optimism',
  56: 'bnb',
  100: 'xdai',
  137: 'matic',
  8453: 'base',
  42161: 'arbitrum',
  43114: 'avalanche',
  80001: 'maticmum',
  11155111: 'sepolia',
}

const readOnly =
  "teefn's Gelato provider reads the chain only: return callData from onRun and the executor sends the transaction"

/**
 * What `context.multiChainProvider.default()` returns: the read side of ethers v5's `StaticJsonRpcProvider` (a
 * fixed chain id, no `eth_chainId` round trip) over the sandbox's `fetch`, so a function's own
 * `new Contract(address, abi, provider)` from ethers v5 calls through it. It implements what ethers v5's
 * Contract, Interface and a Gelato function use; event subscriptions, ENS and sending transactions are refused
 * with an `Error` that says so. Every call counts against the run's RPC limit (`createRpcClient`).
 */
export class GelatoJsonRpcProvider {
  readonly _isProvider = true
  readonly anyNetwork = false
  readonly connection: { url: string }
  readonly _network: { chainId: number; name: string }
  readonly #client: RpcClient

  constructor(url: string, chainId: number, client: RpcClient) {
    this.connection = { url }
    this._network = { chainId, name: networkNames[chainId] ?? 'unknown' }
    this.#client = client
  }

  get network(): { chainId: number; name: string } {
    return this._network
  }

  get ready(): Promise<{ chainId: number; name: string }> {
    return Promise.resolve(this._network)
  }

  /** A raw JSON-RPC call, as ethers' `JsonRpcProvider.send`. */
  send(method: string, params: unknown[] = []): Promise<unknown> {
    return this.#client.request(this.connection.url, method, params)
  }

  async getNetwork(): Promise<{ chainId: number; name: string }> {
    return { ...this._network }
  }

  detectNetwork(): Promise<{ chainId: number; name: string }> {
    return this.getNetwork()
  }

  async getBlockNumber(): Promise<number> {
    return Number(await this.send('eth_blockNumber'))
  }

  async getGasPrice(): Promise<BigNumber> {
    return BigNumber.from(await this.send('eth_gasPrice'))
  }

  /** ethers v5's fee data: the gas price, and EIP-1559 fees from the latest block's base fee when it has one. */
  async getFeeData(): Promise<Json> {
    const [block, gasPrice] = await Promise.all([this.getBlock('latest'), this.getGasPrice()])
    const baseFee = block?.baseFeePerGas as BigNumber | null | undefined
    if (!baseFee) return { lastBaseFeePerGas: null, maxFeePerGas: null, maxPriorityFeePerGas: null, gasPrice }
    const maxPriorityFeePerGas = BigNumber.from('1500000000')
    const maxFeePerGas = baseFee.mul(2).add(maxPriorityFeePerGas)
    return { lastBaseFeePerGas: baseFee, maxFeePerGas, maxPriorityFeePerGas, gasPrice }
  }

  async getBalance(address: string | Promise<string>, blockTag?: unknown): Promise<BigNumber> {
    return BigNumber.from(await this.send('eth_getBalance', [await address, blockTagOf(await blockTag)]))
  }

  async getTransactionCount(address: string | Promise<string>, blockTag?: unknown): Promise<number> {
    return Number(await this.send('eth_getTransactionCount', [await address, blockTagOf(await blockTag)]))
  }

  async getCode(address: string | Promise<string>, blockTag?: unknown): Promise<string> {
    return (await this.send('eth_getCode', [await address, blockTagOf(await blockTag)])) as string
  }

  async getStorageAt(
    address: string | Promise<string>,
    position: unknown,
    blockTag?: unknown,
  ): Promise<string> {
    const slot = quantity(await position)
    return (await this.send('eth_getStorageAt', [await address, slot, blockTagOf(await blockTag)])) as string
  }

  /**
   * `eth_call`. A revert answers with its data, as ethers v5's provider does: the Contract then decodes the
   * revert reason and throws `CALL_EXCEPTION`.
   */
  async call(transaction: unknown, blockTag?: unknown): Promise<string> {
    const params = [await rpcTransaction(transaction), blockTagOf(await blockTag)]
    try {
      return (await this.send('eth_call', params)) as string
    } catch (error) {
      const data = (error as { data?: unknown }).data
      if (typeof data === 'string' && /^0x[0-9a-fA-F]*$/.test(data)) return data
      throw error
    }
  }

  async estimateGas(transaction: unknown): Promise<BigNumber> {
    return BigNumber.from(await this.send('eth_estimateGas', [await rpcTransaction(transaction)]))
  }

  async getBlock(blockHashOrTag?: unknown): Promise<Json | null> {
    const tag = await blockHashOrTag
    const byHash = typeof tag === 'string' && /^0x[0-9a-fA-F]{64}$/.test(tag)
    const block = byHash
      ? await this.send('eth_getBlockByHash', [tag, false])
      : await this.send('eth_getBlockByNumber', [blockTagOf(tag), false])
    return formatBlock(block as Json | null)
  }

  async getLogs(filter: unknown = {}): Promise<Json[]> {
    const { address, topics, fromBlock, toBlock, blockHash } = ((await filter) ?? {}) as Json
    const query: Json = {}
    if (address !== undefined) query.address = await address
    if (topics !== undefined) query.topics = topics
    if (blockHash !== undefined) query.blockHash = blockHash
    else {
      if (fromBlock !== undefined) query.fromBlock = blockTagOf(await fromBlock)
      if (toBlock !== undefined) query.toBlock = blockTagOf(await toBlock)
    }
    const logs = (await this.send('eth_getLogs', [query])) as Json[]
    return logs.map(formatLog)
  }

  async getTransaction(hash: string | Promise<string>): Promise<Json | null> {
    return formatTransaction((await this.send('eth_getTransactionByHash', [await hash])) as Json | null)
  }

  async getTransactionReceipt(hash: string | Promise<string>): Promise<Json | null> {
    return formatReceipt((await this.send('eth_getTransactionReceipt', [await hash])) as Json | null)
  }

  /** An address is its own name; ENS is not resolved (it needs the ENS registry on the provider's chain). */
  async resolveName(name: string | Promise<string>): Promise<string> {
    const value = await name
    if (typeof value === 'string' && /^0x[0-9a-fA-F]{40}$/.test(value)) return value
    throw new Error(
      `ENS names are not resolved by teefn's Gelato provider (${String(value)}): use the address`,
    )
  }

  async lookupAddress(): Promise<never> {
    throw new Error("ENS reverse lookup is not supported by teefn's Gelato provider")
  }

  async sendTransaction(): Promise<never> {
    throw new Error(readOnly)
  }

  getSigner(): never {
    throw new Error(readOnly)
  }

  /** Events need polling across runs, which a run does not do: query past events with `getLogs`/`queryFilter`. */
  on(): never {
    throw new Error(
      "Event listeners are not supported by teefn's Gelato provider: use getLogs or queryFilter",
    )
  }

  once(): never {
    return this.on()
  }

  off(): this {
    return this
  }

  removeAllListeners(): this {
    return this
  }

  listenerCount(): number {
    return 0
  }

  listeners(): unknown[] {
    return []
  }
}
