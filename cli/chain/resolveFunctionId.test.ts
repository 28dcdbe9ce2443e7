import { id } from 'ethers'
import { describe, expect, it } from 'vitest'
import { resolveFunctionId } from './resolveFunctionId.js'

describe('resolveFunctionId', () => {
  it('takes --function-id as is (lower-cased), else hashes --name, else the entry name', () => {
    const given = `0x${'AB'.repeat(32)}`
    expect(resolveFunctionId({ functionId: given, entry: 'x.ts' })).toEqual({
      functionId: given.toLowerCase(),
      name: undefined,
    })
    expect(resolveFunctionId({ name: 'teefn.demo.priceFeed', entry: 'x.ts' }).functionId).toBe(
      id('teefn.demo.priceFeed'),
    )
    expect(resolveFunctionId({ entry: 'functions/priceFeed.ts' }).name).toBe('priceFeed')
    expect(resolveFunctionId({ entry: 'functions/priceFeed/index.ts' }).name).toBe('priceFeed')
    expect(resolveFunctionId({ entry: 'my-project/src/index.ts' }).name).toBe('my-project')
  })

  it('refuses a zero or malformed id, and both flags at once', () => {
    expect(() => resolveFunctionId({ functionId: `0x${'00'.repeat(32)}`, entry: 'x.ts' })).toThrow(
      /non-zero bytes32/,
    )
    expect(() => resolveFunctionId({ functionId: '0x12', entry: 'x.ts' })).toThrow(/bytes32/)
    expect(() => resolveFunctionId({ functionId: `0x${'11'.repeat(32)}`, name: 'a', entry: 'x.ts' })).toThrow(
      /not both/,
    )
  })
})
