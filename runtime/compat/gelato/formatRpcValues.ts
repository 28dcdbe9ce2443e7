import { keccak_256 } from '@noble/hashes/sha3'
import { BigNumber, toBigInt } from './BigNumber.js'

/**
 * JSON-RPC values in and out in ethers v5's shapes, for the Gelato provider: transaction requests become the
 * node's hex quantities, and blocks, logs, receipts and transactions come back with numbers, BigNumbers and
 * checksummed addresses where ethers v5 gives them.
 */
type Json = Record<string, unknown>

/** An ethers v5 block tag as the node takes it. */
export function blockTagOf(blockTag: unknown): string {
  if (blockTag === undefined || blockTag === null) return 'latest'
  if (typeof blockTag === 'number') return quantity(blockTag)
  if (typeof blockTag === 'string' && /^(latest|pending|earliest|safe|finalized)$/.test(blockTag))
    return blockTag
  if (typeof blockTag === 'string' && /^0x[0-9a-fA-F]+$/.test(blockTag)) return quantity(BigInt(blockTag))
  throw new Error(`invalid blockTag (value=${JSON.stringify(blockTag)})`)
}

/** A number, bigint, string or BigNumber as a minimal 0x quantity. */
export function quantity(value: unknown): string {
  return `0x${toBigInt(value).toString(16)}`
}

const quantityFields: [string, string][] = [
  ['chainId', 'chainId'],
  ['gasLimit', 'gas'],
  ['gas', 'gas'],
  ['gasPrice', 'gasPrice'],
  ['maxFeePerGas', 'maxFeePerGas'],
  ['maxPriorityFeePerGas', 'maxPriorityFeePerGas'],
  ['nonce', 'nonce'],
  ['value', 'value'],
  ['type', 'type'],
]

/** An ethers v5 transaction request (values may be promises, as ethers' Deferrable) as `eth_call` takes it. */
export async function rpcTransaction(transaction: unknown): Promise<Json> {
  const given = (await transaction) as Json
  const result: Json = {}
  for (const [field, name] of quantityFields) {
    const value = await given[field]
    if (value !== undefined && value !== null) result[name] = quantity(value)
  }
  for (const field of ['from', 'to', 'data']) {
    const value = await given[field]
    if (value === undefined || value === null) continue
    if (typeof value !== 'string') throw new Error(`invalid ${field} (value=${String(value)})`)
    result[field] = value.toLowerCase()
  }
  const accessList = await given.accessList
  if (accessList !== undefined) result.accessList = accessList
  return result
}

export function checksumAddress(address: string): string {
  const lower = address.toLowerCase().slice(2)
  const hash = keccak_256(new TextEncoder().encode(lower))
  let out = '0x'
  for (let index = 0; index < 40; index++) {
    const nibble = ((hash[index >> 1] ?? 0) >> (index % 2 === 0 ? 4 : 0)) & 0xf
    out += nibble >= 8 ? (lower[index] ?? '').toUpperCase() : lower[index]
  }
  return out
}

const address = (value: unknown) =>
  typeof value === 'string' && /^0x[0-9a-fA-F]{40}$/.test(value) ? checksumAddress(value) : null
const number = (value: unknown) => (value === undefined || value === null ? null : Number(toBigInt(value)))
const big = (value: unknown) => (value === undefined || value === null ? null : BigNumber.from(value))

export function formatBlock(block: Json | null): Json | null {
  if (!block) return null
  const difficulty = big(block.difficulty)
  return {
    hash: block.hash,
    parentHash: block.parentHash,
    number: number(block.number),
    timestamp: number(block.timestamp),
    nonce: block.nonce,
    difficulty: difficulty?.lte(Number.MAX_SAFE_INTEGER) ? difficulty.toNumber() : null,
    _difficulty: difficulty,
    gasLimit: big(block.gasLimit),
    gasUsed: big(block.gasUsed),
    miner: address(block.miner),
    extraData: block.extraData,
    baseFeePerGas: big(block.baseFeePerGas),
    transactions: ((block.transactions as unknown[]) ?? []).map((entry) =>
      typeof entry === 'string' ? entry : formatTransaction(entry as Json),
    ),
  }
}

export function formatLog(log: Json): Json {
  return {
    blockNumber: number(log.blockNumber),
    blockHash: log.blockHash,
    transactionIndex: number(log.transactionIndex),
    removed: Boolean(log.removed),
    address: address(log.address),
    data: log.data,
    topics: log.topics,
    transactionHash: log.transactionHash,
    logIndex: number(log.logIndex),
  }
}

export function formatReceipt(receipt: Json | null): Json | null {
  if (!receipt) return null
  return {
    to: address(receipt.to),
    from: address(receipt.from),
    contractAddress: address(receipt.contractAddress),
    transactionIndex: number(receipt.transactionIndex),
    gasUsed: big(receipt.gasUsed),
    logsBloom: receipt.logsBloom,
    blockHash: receipt.blockHash,
    transactionHash: receipt.transactionHash,
    logs: ((receipt.logs as Json[]) ?? []).map(formatLog),
    blockNumber: number(receipt.blockNumber),
    cumulativeGasUsed: big(receipt.cumulativeGasUsed),
    effectiveGasPrice: big(receipt.effectiveGasPrice),
    status: number(receipt.status),
    type: number(receipt.type) ?? 0,
    byzantium: true,
  }
}

export function formatTransaction(transaction: Json | null): Json | null {
  if (!transaction) return null
  return {
    hash: transaction.hash,
    type: number(transaction.type) ?? 0,
    accessList: transaction.accessList,
    blockHash: transaction.blockHash ?? null,
    blockNumber: number(transaction.blockNumber),
    transactionIndex: number(transaction.transactionIndex),
    from: address(transaction.from),
    gasPrice: big(transaction.gasPrice),
    maxPriorityFeePerGas: big(transaction.maxPriorityFeePerGas),
    maxFeePerGas: big(transaction.maxFeePerGas),
    gasLimit: big(transaction.gas),
    to: address(transaction.to),
    value: big(transaction.value) ?? BigNumber.from(0),
    nonce: number(transaction.nonce),
    data: transaction.input,
    r: word(transaction.r),
    s: word(transaction.s),
    v: number(transaction.v),
    chainId: number(transaction.chainId),
  }
}

/** A signature's r or s as ethers v5 gives it: 32 bytes of hex (JSON-RPC drops leading zeros of a quantity). */
function word(value: unknown): unknown {
  if (typeof value !== 'string' || !/^0x[0-9a-fA-F]{0,64}$/.test(value)) return value
  return `0x${value.slice(2).padStart(64, '0')}`
}
