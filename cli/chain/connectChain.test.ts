import { describe, expect, it } from 'vitest'
import { findFreePort } from '../../dev/findFreePort.js'
import { startHttpServer } from '../../test/support/startHttpServer.js'
import { ChainError } from './ChainError.js'
import { connectChain, resolveRpcUrl } from './connectChain.js'

describe('connectChain', () => {
  it('asks the chain id once and returns an uncached provider for it', async () => {
    const server = await startHttpServer((_request, response) => {
      response.setHeader('content-type', 'application/json')
      response.end(JSON.stringify({ jsonrpc: '2.0', id: 1, result: '0x2105' }))
    })
    try {
      const connection = await connectChain({ rpc: server.url })
      expect(connection.chainId).toBe(8453)
      expect(connection.rpc).toBe(server.url)
      connection.provider.destroy()
    } finally {
      await server.close()
    }
  })

  it('says which endpoint does not answer (CHAIN_UNREACHABLE), and refuses a URL that is not http(s)', async () => {
    const rpc = `http://127.0.0.1:${await findFreePort()}`
    const error = await connectChain({ rpc }).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(ChainError)
    expect((error as ChainError).code).toBe('CHAIN_UNREACHABLE')
    expect((error as ChainError).shortMessage).toBe(`Cannot reach the JSON-RPC endpoint ${rpc}.`)
    expect(() => resolveRpcUrl('ws://127.0.0.1:8546')).toThrow(/not an http\(s\) URL/)
    expect(() => resolveRpcUrl('nonsense')).toThrow(/is not a URL/)
  })
})
