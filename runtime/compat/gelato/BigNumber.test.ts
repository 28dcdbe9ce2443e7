import { BigNumber as EthersBigNumber, utils } from 'ethers5'
import { describe, expect, it } from 'vitest'
import { BigNumber } from './BigNumber.js'

describe('BigNumber', () => {
  it("does ethers v5's arithmetic and comparisons on bigint", () => {
    const gas = BigNumber.from('30000000000')
    expect(gas.mul(2).add(1).toString()).toBe('60000000001')
    expect(gas.div(7).toString()).toBe('4285714285')
    expect(BigNumber.from(-5).abs().eq(5)).toBe(true)
    expect(gas.gt('0x1')).toBe(true)
    expect(BigNumber.from(255).toHexString()).toBe('0xff')
    expect(BigNumber.from(1).shl(8).toNumber()).toBe(256)
    expect(() => BigNumber.from(2n ** 60n).toNumber()).toThrow('overflow')
    expect(() => gas.div(0)).toThrow('division-by-zero')
  })

  it("passes for ethers v5's own BigNumber both ways", () => {
    const ours = BigNumber.from(123_456_789)
    expect(EthersBigNumber.isBigNumber(ours)).toBe(true)
    expect(EthersBigNumber.from(ours).toString()).toBe('123456789')
    expect(utils.formatUnits(ours as never, 'gwei')).toBe('0.123456789')
    expect(BigNumber.from(EthersBigNumber.from(42)).toNumber()).toBe(42)
    expect(ours.add(EthersBigNumber.from(1) as never).toString()).toBe('123456790')
  })
})
