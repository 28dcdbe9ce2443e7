import { getAddress, solidityPackedKeccak256, zeroPadValue } from 'ethers'
import { describe, expect, it } from 'vitest'
import type { Hex } from '../bytes.js'
import { FunctionScopeError } from './FunctionScopeError.js'
import { functionKeyPath } from './functionKeyPath.js'
import { type FunctionScope, parseFunctionScope, scopeId } from './functionScope.js'

const functionId = `0x${'ab'.repeat(32)}` as Hex
const registry = '0x5fbdb2315678afecb367f032d93f642f64180aa3' as Hex
const genesis = `0x${'91'.repeat(32)}` as Hex
const evmScope: FunctionScope = { family: 'evm', chainId: '31337', registry, functionId }
const substrateScope: FunctionScope = { family: 'substrate', chainId: genesis, registry: '0x', functionId }

function fieldOf(run: () => unknown): string {
  try {
    run()
  } catch (error) {
    expect(error).toBeInstanceOf(FunctionScopeError)
    expect((error as FunctionScopeError).code).toBe('FUNCTION_SCOPE_INVALID')
    return (error as FunctionScopeError).field
  }
  throw new Error('expected the scope to be refused')
}

describe('scopeId', () => {
  it('is keccak256(tag || family byte || chainId (32) || registry padded to 32 || functionId), as ethers packs it', () => {
    const types = ['string', 'uint8', 'uint256', 'bytes32', 'bytes32']
    expect(scopeId(evmScope)).toBe(
      solidityPackedKeccak256(types, [
        'teefn/function-scope/v1',
        0,
        31337n,
        zeroPadValue(registry, 32),
        functionId,
      ]),
    )
    expect(scopeId(substrateScope)).toBe(
      solidityPackedKeccak256(types, [
        'teefn/function-scope/v1',
        1,
        BigInt(genesis),
        `0x${'00'.repeat(32)}`,
        functionId,
      ]),
    )
    expect(functionKeyPath(evmScope)).toBe(`teefn/functions/${scopeId(evmScope)}`)
  })

  it('differs when the chain, the registry or the family differs, for the same functionId', () => {
    const ids = [
      evmScope,
      { ...evmScope, chainId: '1' },
      { ...evmScope, registry: `0x${'11'.repeat(20)}` as Hex },
      { ...evmScope, functionId: `0x${'ac'.repeat(32)}` as Hex },
      substrateScope,
      { ...substrateScope, chainId: `0x${'92'.repeat(32)}` },
      // The same 32 chain bytes in both families: only the family byte tells them apart.
      { family: 'evm', chainId: BigInt(genesis).toString(), registry: `0x${'00'.repeat(20)}`, functionId },
    ].map((scope) => scopeId(scope as FunctionScope))
    expect(new Set(ids).size).toBe(ids.length)
    for (const id of ids) expect(id).toMatch(/^0x[0-9a-f]{64}$/)
  })

  it('is the same for any spelling of the same scope: the canonical form is lowercase', () => {
    const spelled = {
      ...evmScope,
      registry: getAddress(registry) as Hex,
      functionId: functionId.toUpperCase().replace('0X', '0x') as Hex,
      note: 'ignored',
    }
    expect(parseFunctionScope(spelled)).toEqual(evmScope)
    expect(scopeId(spelled)).toBe(scopeId(evmScope))
    const upperGenesis = { ...substrateScope, chainId: genesis.toUpperCase().replace('0X', '0x') }
    expect(parseFunctionScope(upperGenesis)).toEqual(substrateScope)
  })
})

describe('parseFunctionScope', () => {
  it('names the bad field', () => {
    const cases: [unknown, string][] = [
      [null, 'scope'],
      ['evm:1', 'scope'],
      [{ ...evmScope, family: 'solana' }, 'family'],
      [{ ...evmScope, chainId: 31337 }, 'chainId'],
      [{ ...evmScope, chainId: '0' }, 'chainId'],
      [{ ...evmScope, chainId: '031337' }, 'chainId'],
      [{ ...evmScope, chainId: '0x7a69' }, 'chainId'],
      [{ ...evmScope, chainId: (1n << 256n).toString() }, 'chainId'],
      [{ ...evmScope, chainId: genesis }, 'chainId'],
      [{ ...substrateScope, chainId: '31337' }, 'chainId'],
      [{ ...substrateScope, chainId: `0x${'91'.repeat(31)}` }, 'chainId'],
      [{ ...evmScope, registry: '0x' }, 'registry'],
      [{ ...evmScope, registry: `0x${'11'.repeat(19)}` }, 'registry'],
      [{ ...evmScope, registry: `0x${'11'.repeat(32)}` }, 'registry'],
      // Mixed case with a wrong EIP-55 checksum: a typo, not an address.
      [{ ...evmScope, registry: '0x5FbDB2315678afecb367f032d93F642f64180aA3' }, 'registry'],
      [{ ...substrateScope, registry }, 'registry'],
      [{ ...substrateScope, registry: `0x${'00'.repeat(20)}` }, 'registry'],
      [{ ...evmScope, functionId: '0x12' }, 'functionId'],
      [{ ...evmScope, functionId: 'weather' }, 'functionId'],
      [{ ...evmScope, functionId: undefined }, 'functionId'],
    ]
    for (const [value, field] of cases) {
      expect({ value, field: fieldOf(() => parseFunctionScope(value)) }).toEqual({ value, field })
    }
    expect(() =>
      parseFunctionScope({ ...evmScope, registry: '0x5FbDB2315678afecb367f032d93F642f64180aA3' }),
    ).toThrowError(/wrong EIP-55 checksum/)
    // scopeId and the key path refuse the same scopes.
    expect(fieldOf(() => scopeId({ ...evmScope, chainId: '0' }))).toBe('chainId')
    expect(fieldOf(() => functionKeyPath({ ...substrateScope, registry }))).toBe('registry')
  })

  it('says what form was expected without echoing the value', () => {
    const error = (() => {
      try {
        parseFunctionScope({ ...evmScope, chainId: 'mainnet-secret-label' })
      } catch (e) {
        return e as FunctionScopeError
      }
    })()!
    expect(error.message).toContain('chainId must be a positive decimal chain id')
    expect(error.message).not.toContain('mainnet-secret-label')
    expect(error.hint).toContain('family')
  })
})
