import { describe, expect, it } from 'vitest'
import type { RequestJobData } from '../queue/jobs.js'
import { createStaticFunctionRegistry } from './createStaticFunctionRegistry.js'

const functionId = `0x${'aB'.repeat(32)}` as const
const codeHash = `0x${'Cd'.repeat(32)}` as const
const request = (id: `0x${string}`): RequestJobData => ({
  trigger: 'substrate',
  chainId: `0x${'45'.repeat(32)}`,
  destination: `0x${'01'.repeat(32)}`,
  requestId: `0x${'02'.repeat(32)}`,
  functionId: id,
  request: '0x',
  seenAt: 0,
})

describe('createStaticFunctionRegistry', () => {
  it('answers the pinned codeHash whatever the case of the functionId, and nothing for others', async () => {
    const registry = createStaticFunctionRegistry({ [functionId]: codeHash })
    expect(await registry.codeHashOf(request(functionId.toLowerCase() as `0x${string}`))).toBe(
      codeHash.toLowerCase(),
    )
    expect(
      await registry.codeHashOf(request(functionId.toUpperCase().replace('0X', '0x') as `0x${string}`)),
    ).toBe(codeHash.toLowerCase())
    expect(await registry.codeHashOf(request(`0x${'00'.repeat(32)}`))).toBeUndefined()
  })

  it('accepts a Map and copies it: later changes to the map do not change the pins', async () => {
    const map = new Map([[functionId, codeHash]])
    const registry = createStaticFunctionRegistry(map)
    map.set(functionId, `0x${'ee'.repeat(32)}`)
    expect(await registry.codeHashOf(request(functionId))).toBe(codeHash.toLowerCase())
    expect(registry.entries.size).toBe(1)
  })

  it('refuses entries that are not bytes32', () => {
    expect(() => createStaticFunctionRegistry({ '0x1234': codeHash })).toThrow(
      expect.objectContaining({ code: 'INVALID_FUNCTION_REGISTRY' }),
    )
    expect(() => createStaticFunctionRegistry({ [functionId]: 'not-a-hash' })).toThrow(/not bytes32/)
  })
})
