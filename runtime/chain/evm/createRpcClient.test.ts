import { createServer, type Socket } from 'node:net'
import { id } from 'ethers'
import { describe, expect, it } from 'vitest'
import type { AnvilInstance } from '../../../dev/startAnvil.js'
import { rejectionOf } from '../../../test/support/rejectionOf.js'
import type { TeefnContractsFixture } from '../../../test/support/teefnContracts.js'
import { useTeefnChain } from '../../../test/support/useTeefnChain.js'
import { createRpcClient, RpcError, RpcTransportError } from './createRpcClient.js'

let anvil: AnvilInstance
let f: TeefnContractsFixture
useTeefnChain({}, (chain) => {
  ;({ anvil, f } = chain)
})

describe('createRpcClient', () => {
  it('calls the node and hands back revert data as an RpcError', async () => {
    const rpc = createRpcClient({ url: anvil.rpcUrl })
    expect(Number(await rpc.request<string>('eth_chainId'))).toBe(anvil.chainId)
    // fulfill() of an unknown request reverts with UnknownRequest(requestId).
    const data = f.oracle.interface.encodeFunctionData('fulfill', [
      {
        requestId: id('nope'),
        functionId: f.functionId,
        payloadHash: id('payload'),
        codeHash: f.codeHash,
        status: 0,
        result: '0x',
        signature: '0x',
      },
    ])
    const error = await rejectionOf(rpc.request('eth_call', [{ to: f.oracle.target, data }, 'latest']))
    expect(error).toBeInstanceOf(RpcError)
    expect((error as RpcError).data).toBe(
      f.oracle.interface.encodeErrorResult('UnknownRequest', [id('nope')]),
    )
    rpc.close()
  })

  it('sends a batch in one round trip and settles each call on its own', async () => {
    const rpc = createRpcClient({ url: anvil.rpcUrl })
    const [chainId, bad, block] = await rpc.batch<string>([
      { method: 'eth_chainId' },
      { method: 'eth_noSuchMethod' },
      { method: 'eth_blockNumber' },
    ])
    expect(chainId).toEqual({ status: 'fulfilled', value: `0x${anvil.chainId.toString(16)}` })
    expect(bad?.status).toBe('rejected')
    expect((bad as PromiseRejectedResult).reason).toBeInstanceOf(RpcError)
    expect(Number((block as PromiseFulfilledResult<string>).value)).toBeGreaterThan(0)
    expect(await rpc.batch([])).toEqual([])
    rpc.close()
  })

  it('reports a node it cannot reach, and one that does not answer in time', async () => {
    const closed = createRpcClient({ url: 'http://127.0.0.1:1' })
    const unreachable = await rejectionOf(closed.request('eth_chainId'))
    expect(unreachable).toBeInstanceOf(RpcTransportError)
    expect((unreachable as RpcTransportError).code).toBe('RPC_UNREACHABLE')
    closed.close()

    // A server that accepts and never answers.
    const sockets: Socket[] = []
    const silent = createServer((socket) => sockets.push(socket))
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    const port = (silent.address() as { port: number }).port
    const hung = createRpcClient({ url: `http://127.0.0.1:${port}`, timeoutMs: 200 })
    expect(((await rejectionOf(hung.request('eth_chainId'))) as RpcTransportError).code).toBe(
      'RPC_UNREACHABLE',
    )
    hung.close()
    for (const socket of sockets) socket.destroy()
    await new Promise((resolve) => silent.close(resolve))
  })
})
