import { getAddress, id } from 'ethers'
import type { RequestJobData } from '../../runtime/queue/jobs.js'
import { checksumAddress } from './checksumAddress.js'

type Hex = `0x${string}`

/** topic0 of `TeefnConsumer.RequestSent(bytes32 indexed requestId, bytes32 indexed functionId, address requester, bytes payload)`. */
export const requestSentTopic = id('RequestSent(bytes32,bytes32,address,bytes)')

/** A log as the watcher needs it; ethers' `Log` has this shape. */
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

/**
 * The request job of a `RequestSent` log: destination = the consumer that emitted it, payload as 0x-hex,
 * requester as sender. Decoded by hand (the layout of `abi.encode(address, bytes)` is fixed): ethers'
 * `parseLog` was a tenth of the relayer's CPU under load. Undefined for a log that is not a well-formed
 * `RequestSent`.
 */
export function requestFromLog(
  log: EvmLog,
  chainId: string,
  seenAt = Date.now(),
): RequestJobData | undefined {
  const [topic, requestId, functionId] = log.topics
  if (topic?.toLowerCase() !== requestSentTopic || log.topics.length !== 3 || !requestId || !functionId) {
    return undefined
  }
  const data = log.data.toLowerCase()
  // requester (32) | offset of payload (32) | payload length (32) | payload, padded
  if (!/^0x[0-9a-f]*$/.test(data) || data.length < 2 + 64 * 3) return undefined
  const word = (index: number) => data.slice(2 + index * 64, 2 + (index + 1) * 64)
  if (!word(0).startsWith('0'.repeat(24))) return undefined
  const offset = Number.parseInt(word(1), 16)
  if (offset % 32 !== 0 || 2 + (offset + 32) * 2 > data.length) return undefined
  const length = Number.parseInt(data.slice(2 + offset * 2, 2 + (offset + 32) * 2), 16)
  const start = 2 + (offset + 32) * 2
  if (!Number.isSafeInteger(length) || start + length * 2 > data.length) return undefined
  return {
    trigger: 'evm',
    chainId,
    destination: checksumAddress(log.address),
    requestId: requestId.toLowerCase() as Hex,
    functionId: functionId.toLowerCase() as Hex,
    request: `0x${data.slice(start, start + length * 2)}`,
    sender: getAddress(`0x${word(0).slice(24)}`),
    seenAt,
    origin: {
      blockNumber: log.blockNumber,
      blockHash: log.blockHash,
      transactionHash: log.transactionHash,
      index: log.index,
    },
  }
}
