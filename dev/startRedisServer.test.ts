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
})
