import { get, type IncomingMessage } from 'node:http'
import { gzipSync } from 'node:zlib'
import { afterEach, describe, expect, it } from 'vitest'
import { rejectionOf } from '../../test/support/rejectionOf.js'
import { type StartHttpServerReturnType, startHttpServer } from '../../test/support/startHttpServer.js'
import { FetchError } from './FetchError.js'
import { readResponseBody } from './readResponseBody.js'

const servers: StartHttpServerReturnType[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()))
})

async function responseFrom(handler: Parameters<typeof startHttpServer>[0]): Promise<IncomingMessage> {
  const server = await startHttpServer(handler)
  servers.push(server)
  return new Promise((resolve, reject) => get(server.url, { agent: false }, resolve).on('error', reject))
}

describe('readResponseBody', () => {
  it('returns a fresh copy of the whole body', async () => {
    const response = await responseFrom((_request, res) => {
      res.write('part one, ')
      setTimeout(() => res.end('part two'), 10)
    })
    const { body } = await readResponseBody(response, { maxResponseBytes: 100, origin: 'http://x' })
    expect(new TextDecoder().decode(body)).toBe('part one, part two')
    expect(body.byteOffset).toBe(0)
    expect(body.buffer.byteLength).toBe(body.byteLength)
  })

  it('counts decoded bytes and destroys the socket past the limit', async () => {
    const response = await responseFrom((_request, res) => {
      res.writeHead(200, { 'content-encoding': 'gzip' }).end(gzipSync(Buffer.alloc(10_000)))
    })
    const error = await rejectionOf(
      readResponseBody(response, { maxResponseBytes: 4096, origin: 'http://x' }),
    )
    expect(error).toBeInstanceOf(FetchError)
    expect(error).toMatchObject({
      code: 'RESPONSE_TOO_LARGE',
      details: 'more than 4096 bytes received after decoding',
    })
    expect((error as FetchError).shortMessage).toBe(
      'The response from http://x is larger than the limit of 4 KiB.',
    )
    expect(response.socket?.destroyed ?? true).toBe(true)
  })

  it('rejects with the error the response is destroyed with', async () => {
    const response = await responseFrom((_request, res) => {
      res.writeHead(200)
      res.write('started')
    })
    const pending = readResponseBody(response, { maxResponseBytes: 100, origin: 'http://x' })
    const reason = new FetchError('Too slow.', { code: 'TIMEOUT' })
    setTimeout(() => response.destroy(reason), 20)
    expect(await rejectionOf(pending)).toBe(reason)
  })
})
