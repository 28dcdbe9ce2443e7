import { encodeErrorResult } from 'viem'
import { describe, expect, it } from 'vitest'
import { RpcError } from '../../runtime/chain/evm/createRpcClient.js'
import { consumerAbi } from './consumerAbi.js'
import { decodeConsumerRevert, isRevert, rejectionOfCode, rejectionOfRevert } from './consumerRejection.js'

const requestId = `0x${'0e'.repeat(32)}` as const
/** What a node answers for a call the consumer reverted with `data` (anvil and geth: code 3). */
const reverted = (data: string) =>
  new RpcError('eth_createAccessList', { code: 3, message: 'execution reverted', data })

describe('consumer rejections', () => {
  it('decodes the consumer’s custom error from a revert, and names the rejection it stands for', () => {
    const data = encodeErrorResult({ abi: consumerAbi(), errorName: 'PayloadMismatch', args: [requestId] })
    const revert = decodeConsumerRevert(reverted(data))
    expect(revert).toEqual({ name: 'PayloadMismatch', args: [requestId] })
    expect(rejectionOfRevert(revert)).toBe('PayloadMismatch')
  })

  it('names no rejection for a revert that is not one (the hook gas check), nor for other failures', () => {
    const data = encodeErrorResult({
      abi: consumerAbi(),
      errorName: 'InsufficientGasForHook',
      args: [200_000n],
    })
    expect(rejectionOfRevert(decodeConsumerRevert(reverted(data)))).toBeUndefined()
    expect(decodeConsumerRevert(reverted('0xdeadbeef'))).toBeUndefined()
    const down = new RpcError('eth_createAccessList', { code: -32000, message: 'header not found' })
    expect(isRevert(down)).toBe(false)
    expect(decodeConsumerRevert(down)).toBeUndefined()
    expect(isRevert(new RpcError('eth_call', { code: -32000, message: 'execution reverted' }))).toBe(true)
  })

  it('maps FulfillmentRejected reason codes, with None and unknown codes as no rejection', () => {
    expect(rejectionOfCode(2)).toBe('AlreadyFulfilled')
    expect(rejectionOfCode(9n)).toBe('RequestCancelled')
    expect(rejectionOfCode(0)).toBeUndefined()
    expect(rejectionOfCode(200)).toBeUndefined()
  })
})
