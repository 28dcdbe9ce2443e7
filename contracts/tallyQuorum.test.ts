import { AbiCoder } from 'ethers'
import { describe, expect, it } from 'vitest'
import { tallyQuorum } from './tallyQuorum.js'

const uint = (value: bigint) => AbiCoder.defaultAbiCoder().encode(['uint256'], [value])
const int = (value: bigint) => AbiCoder.defaultAbiCoder().encode(['int256'], [value])
const ok = (result: string) => ({ status: 0, result })
const failed = (status: number, message: string) => ({
  status,
  result: `0x${Buffer.from(message).toString('hex')}`,
})

describe('tallyQuorum', () => {
  it('identical: the largest group wins when it reaches k; the rest dissent', () => {
    const answers = [ok('0x01'), ok('0x02'), ok('0x01')]
    expect(tallyQuorum({ aggregation: 'Identical', threshold: 2, answers })).toEqual({
      reached: true,
      delivered: 0,
      agreeing: [0, 2],
      dissenting: [1],
    })
    expect(tallyQuorum({ aggregation: 'Identical', threshold: 3, answers })).toEqual({
      reached: false,
      reason: 'too-few',
    })
  })

  it('identical: status is part of the answer, and a tie for the most delivers nothing', () => {
    const answers = [ok('0x01'), { status: 1, result: '0x01' }, ok('0x01'), { status: 1, result: '0x01' }]
    expect(tallyQuorum({ aggregation: 'Identical', threshold: 2, answers })).toEqual({
      reached: false,
      reason: 'tie',
    })
  })

  it('median: the lower median of the OK words, unsigned or signed', () => {
    const values = [uint(300n), uint(100n), uint(200n), uint(400n)]
    expect(
      tallyQuorum({ aggregation: 'MedianUint256', threshold: 3, answers: values.map(ok) }),
    ).toMatchObject({
      reached: true,
      delivered: 2, // 100, 200 | 300, 400: the lower median is 200
      dissenting: [],
    })
    const signed = [int(7n), int(-3n), int(-10n)]
    expect(tallyQuorum({ aggregation: 'MedianInt256', threshold: 2, answers: signed.map(ok) })).toMatchObject(
      {
        delivered: 1, // -10, -3, 7
      },
    )
    // The same words read unsigned: -3 and -10 are huge, so 7 is the smallest and -10 the median.
    expect(
      tallyQuorum({ aggregation: 'MedianUint256', threshold: 2, answers: signed.map(ok) }),
    ).toMatchObject({
      delivered: 2,
    })
  })

  it('median: failures group by (status, message); an OK answer that is not one word only dissents', () => {
    const answers = [ok(uint(5n)), failed(3, 'timeout'), ok('0x1234'), ok(uint(9n)), failed(3, 'timeout')]
    expect(tallyQuorum({ aggregation: 'MedianUint256', threshold: 2, answers })).toEqual({
      reached: false,
      reason: 'tie',
    })
    const fewer = [
      ok(uint(5n)),
      failed(3, 'timeout'),
      ok('0x1234'),
      failed(3, 'timeout'),
      failed(3, 'timeout'),
    ]
    expect(tallyQuorum({ aggregation: 'MedianUint256', threshold: 2, answers: fewer })).toEqual({
      reached: true,
      delivered: 1,
      agreeing: [1, 3, 4],
      dissenting: [0, 2],
    })
  })
})
