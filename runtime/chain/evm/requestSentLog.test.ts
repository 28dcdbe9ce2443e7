import {
  AbiCoder,
  getAddress,
  hexlify,
  Interface,
  keccak256,
  randomBytes,
  toUtf8Bytes,
  zeroPadValue,
} from 'ethers'
import { describe, expect, it } from 'vitest'
import {
  decodeRequestSent,
  type EvmLog,
  logFromRpc,
  requestFromLog,
  requestSentTopic,
} from './requestSentLog.js'

const event = new Interface([
  'event RequestSent(bytes32 indexed requestId, bytes32 indexed functionId, address indexed requester, uint64 nonce, uint64 deadline, bytes payload)',
])
const consumer = '0x5fbdb2315678afecb367f032d93f642f64180aa3'
const requester = '0x70997970c51812dc3a010c7d01b50e0d17dc79c8'

/** A log exactly as the consumer contract emits it, encoded by ethers. */
function logOf(
  payload: string,
  requestId = hexlify(randomBytes(32)),
  functionId = hexlify(randomBytes(32)),
): EvmLog {
  const { data, topics } = event.encodeEventLog('RequestSent', [
    requestId,
    functionId,
    requester,
    7n,
    1_900_000_000n,
    payload,
  ])
  return {
    address: consumer,
    topics,
    data,
    blockNumber: 7,
    blockHash: `0x${'bb'.repeat(32)}`,
    transactionHash: `0x${'cc'.repeat(32)}`,
    index: 2,
  }
}

describe('decodeRequestSent', () => {
  it('decodes what the contract emits, for payloads of every length', () => {
    expect(requestSentTopic).toBe(event.getEvent('RequestSent')!.topicHash)
    for (const payload of [
      '0x',
      '0x01',
      hexlify(randomBytes(31)),
      hexlify(randomBytes(32)),
      hexlify(randomBytes(33)),
      hexlify(toUtf8Bytes('{"sources":[{"url":"https://x","path":"p"}]}'.repeat(20))),
    ]) {
      const log = logOf(payload)
      expect(decodeRequestSent(log)).toEqual({
        consumer: getAddress(consumer),
        requestId: log.topics[1],
        functionId: log.topics[2],
        requester: getAddress(requester),
        nonce: 7n,
        deadline: 1_900_000_000n,
        payload,
        payloadHash: keccak256(payload),
      })
    }
  })

  it('refuses logs that are not a well-formed RequestSent', () => {
    const good = logOf('0xabcd')
    expect(decodeRequestSent(good)).toBeDefined()
    expect(
      decodeRequestSent({ ...good, topics: [`0x${'00'.repeat(32)}`, ...good.topics.slice(1)] }),
    ).toBeUndefined()
    expect(decodeRequestSent({ ...good, topics: good.topics.slice(0, 3) })).toBeUndefined()
    expect(decodeRequestSent({ ...good, data: good.data.slice(0, 2 + 64 * 3) })).toBeUndefined()
    // A payload length beyond the data.
    const words = AbiCoder.defaultAbiCoder().encode(
      ['uint64', 'uint64', 'uint256', 'uint256'],
      [1, 2, 96, 1000],
    )
    expect(decodeRequestSent({ ...good, data: words })).toBeUndefined()
    // A nonce wider than uint64.
    const wide = `0x${'ff'.repeat(32)}${good.data.slice(2 + 64)}`
    expect(decodeRequestSent({ ...good, data: wide })).toBeUndefined()
    // A requester topic with high bits set.
    const topics = [...good.topics]
    topics[3] = `0x${'ff'.repeat(12)}${topics[3]!.slice(26)}`
    expect(decodeRequestSent({ ...good, topics })).toBeUndefined()
    expect(decodeRequestSent({ ...good, data: zeroPadValue('0x01', 32) })).toBeUndefined()
  })
})

describe('requestFromLog', () => {
  it('turns a log into a job hint, in the JSON-RPC form too', () => {
    const log = logOf('0xabcd')
    expect(requestFromLog(log, '31337', 1234)).toEqual({
      trigger: 'evm',
      chainId: '31337',
      destination: getAddress(consumer),
      requestId: log.topics[1],
      functionId: log.topics[2],
      request: '0xabcd',
      sender: getAddress(requester),
      seenAt: 1234,
      origin: { blockNumber: 7, blockHash: log.blockHash, transactionHash: log.transactionHash, index: 2 },
    })
    const fromRpc = requestFromLog(
      logFromRpc({ ...log, topics: [...log.topics], blockNumber: '0x10', logIndex: '0x3' }),
      '1',
    )
    expect(fromRpc?.origin).toMatchObject({ blockNumber: 16, index: 3 })
    expect(requestFromLog({ ...log, topics: log.topics.slice(0, 2) }, '1')).toBeUndefined()
  })
})
