import { describe, expect, it } from 'vitest'
import { loadArtifact } from '../../contracts/loadArtifact.js'
import { consumerConstructorArgs } from './consumerConstructorArgs.js'

const registry = `0x${'11'.repeat(20)}`
const sender = `0x${'22'.repeat(20)}`
const functionId = `0x${'33'.repeat(32)}`

describe('consumerConstructorArgs', () => {
  it("fills PriceOracle's parameters from the flags, with the defaults", () => {
    const { abi } = loadArtifact('PriceOracle')
    const args = consumerConstructorArgs({
      abi,
      contract: 'PriceOracle',
      options: { registry, functionId },
      sender,
      positional: [],
    })
    expect(args).toEqual([registry, functionId, 200_000, 3_600, sender])
    const owned = consumerConstructorArgs({
      abi,
      contract: 'PriceOracle',
      options: { registry, functionId, hookGasLimit: '50000', requestTimeout: '60', owner: registry },
      sender,
      positional: [],
    })
    expect(owned).toEqual([registry, functionId, '50000', '60', registry])
  })

  it('takes the parameters no flag names positionally, and says which are missing or left over', () => {
    const abi = [
      {
        type: 'constructor',
        inputs: [
          { name: '_registry', type: 'address' },
          { name: 'label', type: 'string' },
          { name: 'enabled', type: 'bool' },
          { name: 'ids', type: 'uint256[]' },
        ],
      },
    ]
    const base = { abi, contract: 'Mine', options: { registry }, sender }
    expect(consumerConstructorArgs({ ...base, positional: ['hello', 'true', '[1,2]'] })).toEqual([
      registry,
      'hello',
      true,
      [1, 2],
    ])
    expect(() => consumerConstructorArgs({ ...base, positional: ['hello'] })).toThrow(
      /needs a value for its constructor parameter bool enabled/,
    )
    expect(() => consumerConstructorArgs({ ...base, positional: ['a', 'true', '[]', 'extra'] })).toThrow(
      /left over/,
    )
  })

  it('asks PriceOracle for --function-id', () => {
    expect(() =>
      consumerConstructorArgs({
        abi: loadArtifact('PriceOracle').abi,
        contract: 'PriceOracle',
        options: { registry },
        sender,
        positional: [],
      }),
    ).toThrow(/PriceOracle needs --function-id/)
  })
})
