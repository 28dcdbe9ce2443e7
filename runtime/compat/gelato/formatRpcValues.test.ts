import { describe, expect, it } from 'vitest'
import { formatTransaction } from './formatRpcValues.js'

describe('formatTransaction', () => {
  it("gives r and s as 32 bytes, as ethers v5 does, though JSON-RPC drops a quantity's leading zeros", () => {
    const formatted = formatTransaction({
      hash: `0x${'ab'.repeat(32)}`,
      r: '0x1f37',
      s: '0x366b3170f8b81b7ef934db6250bdfeb07dc26edbf61ac3e85c30a1c585c3f33',
      v: '0x0',
    })
    expect(formatted?.r).toBe(`0x${'0'.repeat(60)}1f37`)
    expect(formatted?.s).toBe('0x0366b3170f8b81b7ef934db6250bdfeb07dc26edbf61ac3e85c30a1c585c3f33')
  })
})
