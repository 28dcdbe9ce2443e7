import type { LookupAddress } from 'node:dns'
import { describe, expect, it } from 'vitest'
import { createCheckedLookup } from './createCheckedLookup.js'
import { createNetworkPolicy } from './createNetworkPolicy.js'
import { FetchError } from './FetchError.js'

type Result = {
  error: NodeJS.ErrnoException | null
  address: string | LookupAddress[]
  family?: number | undefined
}

function run(
  lookup: ReturnType<typeof createCheckedLookup>,
  hostname: string,
  all: boolean,
): Promise<Result> {
  return new Promise((resolve) => {
    lookup(hostname, { all }, (error, address, family) => resolve({ error, address, family }))
  })
}

// `localhost` is resolved by the system resolver (getaddrinfo, /etc/hosts): a real name with a loopback answer.
describe('createCheckedLookup', () => {
  it('fails with the denial when every resolved address is denied', async () => {
    const denials: string[] = []
    const lookup = createCheckedLookup({
      policy: createNetworkPolicy(),
      port: 8080,
      onDenied: (decision) => denials.push(decision.reason),
    })
    const { error } = await run(lookup, 'localhost', true)
    expect(error).toBeInstanceOf(FetchError)
    expect(error).toMatchObject({
      code: 'HOST_NOT_ALLOWED',
      hint: expect.stringContaining('--allow-host localhost:8080'),
    })
    expect((error as FetchError).shortMessage).toMatch(
      /^localhost:8080 resolves to (127\.0\.0\.1|::1), a loopback address; fetches to loopback/,
    )
    expect(denials).toHaveLength(1)
    expect((error as FetchError).shortMessage.startsWith(denials[0]!)).toBe(true)
  })

  it('hands over only the addresses the policy allowed (all: true)', async () => {
    const lookup = createCheckedLookup({
      policy: createNetworkPolicy({ allowHosts: ['127.0.0.1:8080'] }),
      port: 8080,
    })
    const { error, address } = await run(lookup, 'localhost', true)
    expect(error).toBeNull()
    // Even where localhost also resolves to ::1, that address is not handed over: it was not allowed.
    expect(address).toEqual([{ address: '127.0.0.1', family: 4 }])
  })

  it('hands over one allowed address (all: false)', async () => {
    const lookup = createCheckedLookup({
      policy: createNetworkPolicy({ allowHosts: ['127.0.0.1'] }),
      port: 1,
    })
    expect(await run(lookup, 'localhost', false)).toEqual({ error: null, address: '127.0.0.1', family: 4 })
  })

  it('checks the port it was made for', async () => {
    const lookup = createCheckedLookup({
      policy: createNetworkPolicy({ allowHosts: ['localhost:8080'] }),
      port: 9090,
    })
    const { error } = await run(lookup, 'localhost', true)
    expect(error).toMatchObject({ code: 'HOST_NOT_ALLOWED' })
  })

  it('passes a name entry for every address of that name', async () => {
    const lookup = createCheckedLookup({
      policy: createNetworkPolicy({ allowHosts: ['localhost'] }),
      port: 80,
    })
    const { error, address } = await run(lookup, 'localhost', true)
    expect(error).toBeNull()
    expect((address as LookupAddress[]).map((entry) => entry.address)).toContain('127.0.0.1')
  })
})
