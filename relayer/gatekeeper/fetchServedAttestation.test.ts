import { afterAll, describe, expect, it } from 'vitest'
import { type StartHttpServerReturnType, startHttpServer } from '../../test/support/startHttpServer.js'
import { fetchServedAttestation } from './fetchServedAttestation.js'

const servers: StartHttpServerReturnType[] = []
afterAll(async () => {
  for (const server of servers) await server.close()
})

describe('fetchServedAttestation', () => {
  it('parses what the candidate serves', async () => {
    const server = await startHttpServer((_, response) => response.end('{"provider":"dev"}'))
    servers.push(server)
    expect(await fetchServedAttestation(`${server.url}/v1/attestation`, 5_000)).toEqual({ provider: 'dev' })
  })

  it('stops reading at the bound: an endless body is refused long before the timeout', async () => {
    let closed = false
    const server = await startHttpServer((request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' })
      const chunk = Buffer.alloc(64 * 1024, 0x20)
      const timer = setInterval(() => response.write(chunk), 1)
      request.socket.once('close', () => {
        closed = true
        clearInterval(timer)
      })
    })
    servers.push(server)
    const started = Date.now()
    await expect(fetchServedAttestation(server.url, 20_000)).rejects.toThrow(/exceeds 262144 bytes/)
    expect(Date.now() - started).toBeLessThan(10_000)
    await expect.poll(() => closed).toBe(true)
  })

  it('fetches only http(s) URLs', async () => {
    await expect(fetchServedAttestation('file:///etc/passwd', 1_000)).rejects.toThrow(
      /file: URLs are not fetched/,
    )
  })
})
