import { AbiCoder, getAddress, hexlify, Interface, randomBytes, toUtf8Bytes, zeroPadValue } from 'ethers'
import { describe, expect, it } from 'vitest'
import { type EvmLog, logFromRpc, requestFromLog, requestSentTopic } from './requestSentLog.js'

const event = new Interface([
  'event RequestSent(bytes32 indexed requestId, bytes32 indexed functionId, address requester, bytes payload)',
])
const consumer = '0x5fbdb2315678afecb367f032d93f642f64180aa3'
const requester = '0x70997970c51812dc3a010c7d01b50e0d17dc79c8'

/** A log exactly as the consumer contract emits it, encoded by ethers. */
function logOf(
  payload: string,
  requestId = hexlify(randomBytes(32)),
  functionId = hexlify(randomBytes(32)),
): EvmLog {
  const { data, topics } = event.encodeEventLog('RequestSent', [requestId, functionId, requester, payload])
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

describe('requestFromLog', () => {
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
      const request = requestFromLog(log, '31337', 1234)
      expect(request).toEqual({
        trigger: 'evm',
        chainId: '31337',
        destination: getAddress(consumer),
        requestId: log.topics[1],
        functionId: log.topics[2],
        request: payload,
        sender: getAddress(requester),
        seenAt: 1234,
        origin: { blockNumber: 7, blockHash: log.blockHash, transactionHash: log.transactionHash, index: 2 },
      })
    }
  })

  it('reads logs in the JSON-RPC form (hex numbers)', () => {
    const log = logOf('0xabcd')
    const request = requestFromLog(
      logFromRpc({ ...log, topics: [...log.topics], blockNumber: '0x10', logIndex: '0x3' }),
      '1',
    )
    expect(request?.origin).toMatchObject({ blockNumber: 16, index: 3 })
    expect(request?.request).toBe('0xabcd')
  })

  it('refuses logs that are not a well-formed RequestSent', () => {
    const good = logOf('0xabcd')
    expect(
      requestFromLog({ ...good, topics: [`0x${'00'.repeat(32)}`, ...good.topics.slice(1)] }, '1'),
    ).toBeUndefined()
    expect(requestFromLog({ ...good, topics: good.topics.slice(0, 2) }, '1')).toBeUndefined()
    expect(requestFromLog({ ...good, data: good.data.slice(0, 2 + 64 * 2) }, '1')).toBeUndefined()
    // A payload length beyond the data.
    const words = AbiCoder.defaultAbiCoder().encode(['address', 'uint256', 'uint256'], [requester, 64, 1000])
    expect(requestFromLog({ ...good, data: words }, '1')).toBeUndefined()
    // An "address" with high bits set.
    const dirty = `0x${'ff'.repeat(12)}${good.data.slice(2 + 24)}`
    expect(requestFromLog({ ...good, data: dirty }, '1')).toBeUndefined()
    expect(requestFromLog({ ...good, data: zeroPadValue('0x01', 32) }, '1')).toBeUndefined()
  })
})
