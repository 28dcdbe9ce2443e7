import { keccak_256 } from '@noble/hashes/sha3.js'
import { id } from 'ethers'
import { bytesToHex, type Hex, hexToBytes } from '../../bytes.js'
import type { RequestJobData } from '../../queue/jobs.js'
import { checksumAddress } from './checksumAddress.js'

/**
 * topic0 of `TeefnConsumer.RequestSent(bytes32 indexed requestId, bytes32 indexed functionId, address indexed
 * requester, uint64 nonce, uint64 deadline, bytes payload)`.
 */
export const requestSentTopic = id('RequestSent(bytes32,bytes32,address,uint64,uint64,bytes)')

/** A log as the watcher and the chain reader need it; ethers' `Log` has this shape. */
export type EvmLog = {
  address: string
  topics: readonly string[]
  data: string
  blockNumber: number
  blockHash: string
  transactionHash: string
  index: number
  removed?: boolean | undefined
}

/** A log as `eth_getLogs` returns it. */
export type RpcLog = {
  address: string
  topics: string[]
  data: string
  blockNumber: string
  blockHash: string
  transactionHash: string
  logIndex: string
  removed?: boolean
}

export function logFromRpc(log: RpcLog): EvmLog {
  return {
    address: log.address,
    topics: log.topics,
    data: log.data,
    blockNumber: Number(log.blockNumber),
    blockHash: log.blockHash,
    transactionHash: log.transactionHash,
    index: Number(log.logIndex),
    removed: log.removed,
  }
}

/** The fields of a `RequestSent` log. */
export type RequestSent = {
  /** The consumer contract that emitted it (EIP-55). */
  consumer: Hex
  requestId: Hex
  functionId: Hex
  /** Who asked the consumer (EIP-55). */
  requester: Hex
  nonce: bigint
  /** Unix seconds after which the consumer refuses an answer. */
  deadline: bigint
  payload: Hex
  /** keccak256(payload): what the request id and the envelope commit to. */
  payloadHash: Hex
}

const maxUint64 = (1n << 64n) - 1n

/**
 * Decodes a `RequestSent` log by hand (the layout of `abi.encode(uint64, uint64, bytes)` is fixed: ethers'
 * `parseLog` was a tenth of the relayer's CPU under load). Undefined for a log that is not a well-formed
 * `RequestSent`: callers never see a half-decoded request.
 */
export function decodeRequestSent(log: Pick<EvmLog, 'address' | 'topics' | 'data'>): RequestSent | undefined {
  const [topic, requestId, functionId, requesterTopic] = log.topics
  if (topic?.toLowerCase() !== requestSentTopic || log.topics.length !== 4) return undefined
  if (!isWord(requestId) || !isWord(functionId) || !isWord(requesterTopic)) return undefined
  if (!/^0x0{24}/.test(requesterTopic)) return undefined
  const data = log.data.toLowerCase()
  // nonce (32) | deadline (32) | offset of payload (32) | payload length (32) | payload, padded
  if (!/^0x[0-9a-f]*$/.test(data) || data.length < 2 + 64 * 4) return undefined
  const word = (index: number) => BigInt(`0x${data.slice(2 + index * 64, 2 + (index + 1) * 64)}`)
  const nonce = word(0)
  const deadline = word(1)
  if (nonce > maxUint64 || deadline > maxUint64) return undefined
  const offset = word(2)
  if (offset % 32n !== 0n || offset > BigInt(data.length)) return undefined
  const lengthStart = 2 + Number(offset) * 2
  if (lengthStart + 64 > data.length) return undefined
  const length = BigInt(`0x${data.slice(lengthStart, lengthStart + 64)}`)
  const start = lengthStart + 64
  if (length > BigInt(data.length) || start + Number(length) * 2 > data.length) return undefined
  const payload = `0x${data.slice(start, start + Number(length) * 2)}` as Hex
  return {
    consumer: checksumAddress(log.address),
    requestId: requestId.toLowerCase() as Hex,
    functionId: functionId.toLowerCase() as Hex,
    requester: checksumAddress(`0x${requesterTopic.slice(26)}`),
    nonce,
    deadline,
    payload,
    payloadHash: bytesToHex(keccak_256(hexToBytes(payload)!)),
  }
}

/**
 * The request job of a `RequestSent` log: destination = the consumer that emitted it, payload as 0x-hex,
 * requester as sender. A job is only a hint: the worker reads the request from the chain again before it runs
 * anything. Undefined for a log that is not a well-formed `RequestSent`.
 */
export function requestFromLog(
  log: EvmLog,
  chainId: string,
  seenAt = Date.now(),
): RequestJobData | undefined {
  const decoded = decodeRequestSent(log)
  if (!decoded) return undefined
  return {
    trigger: 'evm',
    chainId,
    destination: decoded.consumer,
    requestId: decoded.requestId,
    functionId: decoded.functionId,
    request: decoded.payload,
    sender: decoded.requester,
    seenAt,
    origin: {
      blockNumber: log.blockNumber,
      blockHash: log.blockHash,
      transactionHash: log.transactionHash,
      index: log.index,
    },
  }
}

function isWord(value: string | undefined): value is string {
  return value !== undefined && /^0x[0-9a-fA-F]{64}$/.test(value)
}
