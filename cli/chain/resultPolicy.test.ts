import { describe, expect, it } from 'vitest'
import { AGGREGATIONS } from '../../contracts/quorumFulfillment.js'
import { AGGREGATION_FLAGS, aggregationIndex, describeAggregation, parseThreshold } from './resultPolicy.js'

describe('result policy flags', () => {
  it("name the registry's aggregations in its order", () => {
    expect(AGGREGATION_FLAGS.length).toBe(AGGREGATIONS.length)
    expect(aggregationIndex('identical')).toBe(0)
    expect(aggregationIndex('median-int256')).toBe(2)
    expect(describeAggregation(1n)).toEqual({ flag: 'median-uint256', name: 'MedianUint256' })
    expect(describeAggregation(7)).toEqual({ flag: 'unknown(7)', name: 'unknown(7)' })
    expect(() => aggregationIndex('mean')).toThrow(/--aggregation mean is not known/)
  })

  it('take a count the contract can encode as a uint8', () => {
    expect(parseThreshold('2', '--k')).toBe(2)
    for (const bad of ['0', '256', '-1', '1.5', 'two', undefined]) {
      expect(() => parseThreshold(bad, '--k')).toThrow(/^--k must be a whole number from 1 to 255/)
    }
  })
})
