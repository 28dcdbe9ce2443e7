import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createInvocationFetcher } from './createInvocationFetcher.js'
import { createNetworkPolicy } from './createNetworkPolicy.js'
import { keepAliveAgentsFor } from './keepAliveAgentsFor.js'

let server: Server
let port: number
const clientPorts: number[] = []

beforeAll(async () => {
  server = createServer((request, response) => {
    clientPorts.push(request.socket.remotePort ?? 0)
    response.end('ok')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  port = (server.address() as AddressInfo).port
})
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

/** One invocation's fetch through the thread's shared pools, closed afterwards as the sandbox does. */
async function fetchAsInvocation(allowHosts: string[]): Promise<void> {
  const fetcher = createInvocationFetcher({
    policy: createNetworkPolicy({ allowHosts }),
    agents: keepAliveAgentsFor({ allowHosts }),
    deadlineAt: Date.now() + 5_000,
  })
  await fetcher.fetch({ url: `http://127.0.0.1:${port}/` })
  fetcher.close()
}

describe('keepAliveAgentsFor', () => {
  it('lets invocations under the same allowlist reuse a connection, and no others', async () => {
    const allowed = [`127.0.0.1:${port}`]
    await fetchAsInvocation(allowed)
    await fetchAsInvocation([...allowed])
    await fetchAsInvocation(allowed)
    await fetchAsInvocation([...allowed, 'example.com'])
    await fetchAsInvocation([...allowed, 'example.com'])
    // Three invocations on one connection; the other allowlist got a connection of its own.
    expect(new Set(clientPorts.slice(0, 3)).size).toBe(1)
    expect(new Set(clientPorts.slice(3)).size).toBe(1)
    expect(clientPorts[3]).not.toBe(clientPorts[0])
  })
})
