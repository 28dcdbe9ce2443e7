import { Redis } from 'ioredis'
import { describe, expect, it } from 'vitest'
import { startRedisServer } from './startRedisServer.js'

describe('startRedisServer', () => {
  it('starts a private Redis on a free port and stops it by its PID', async () => {
    const server = await startRedisServer()
    const client = new Redis(server.url)
    await client.set('k', 'v')
    expect(await client.get('k')).toBe('v')
    client.disconnect()
    await server.stop()
    expect(() => process.kill(server.pid, 0)).toThrow()
    await server.stop()
  })

  it('keeps its data across a crash (SIGKILL) and restart with appendOnly, on the same port', async () => {
    const server = await startRedisServer({ appendOnly: true })
    const client = new Redis(server.url, { maxRetriesPerRequest: null })
    client.on('error', () => {})
    await client.set('k', 'v')
    const pid = server.pid
    await server.restart({ downtimeMs: 100 })
    expect(server.pid).not.toBe(pid)
    expect(() => process.kill(pid, 0)).toThrow()
    expect(await client.get('k')).toBe('v') // the same client, reconnected to the same port
    client.disconnect()
    await server.stop()
  })

  it('comes back empty from a restart without appendOnly', async () => {
    const server = await startRedisServer()
    const client = new Redis(server.url, { maxRetriesPerRequest: null })
    client.on('error', () => {})
    await client.set('k', 'v')
    await server.restart({ signal: 'SIGTERM' })
    expect(await client.get('k')).toBeNull()
    client.disconnect()
    await server.stop()
  })

  it('comes back from a copy of its AOF with only what was written up to the copy', async () => {
    const server = await startRedisServer({ appendOnly: true })
    const client = new Redis(server.url, { maxRetriesPerRequest: null })
    client.on('error', () => {})
    await client.set('before', '1')
    const copy = await server.copyData()
    await client.set('after', '2')
    await server.restart({ from: copy })
    expect(await client.mget('before', 'after')).toEqual(['1', null])
    client.disconnect()
    await server.stop()
  })
})
