import { Interface } from 'ethers'
import { describe, expect, it } from 'vitest'
import { loadArtifact } from '../../contracts/loadArtifact.js'
import { ChainError } from './ChainError.js'
import { decodeChainError } from './decodeChainError.js'

const registryAbi = loadArtifact('TeefnRegistry').abi
const options = { abis: [registryAbi], action: 'lockFunction on 0xabc', rpc: 'http://127.0.0.1:9' }
const functionId = `0x${'11'.repeat(32)}`

describe('decodeChainError', () => {
  it("names the registry's custom error, its arguments and a hint", () => {
    const data = new Interface(registryAbi).encodeErrorResult('FunctionIsLocked', [functionId])
    // As ethers v6 reports an estimate that reverted.
    const error = Object.assign(new Error('execution reverted (unknown custom error)'), {
      code: 'CALL_EXCEPTION',
      data,
    })
    const decoded = decodeChainError(error, options) as ChainError
    expect(decoded).toBeInstanceOf(ChainError)
    expect(decoded.code).toBe('CHAIN_REVERTED')
    expect(decoded.errorName).toBe('FunctionIsLocked')
    expect(decoded.shortMessage).toBe(`lockFunction on 0xabc reverted: FunctionIsLocked(${functionId}).`)
    expect(decoded.hint).toMatch(/locked function keeps its code/)
  })

  it("explains a gatekeeper quorum's refusal from its arguments", () => {
    const data = new Interface(registryAbi).encodeErrorResult('GatekeeperQuorumNotReached', [1, 2])
    const error = { code: 'CALL_EXCEPTION', message: 'execution reverted', data }
    const decoded = decodeChainError(error, {
      ...options,
      action: 'admitWorkerByQuorum on 0xabc',
    }) as ChainError
    expect(decoded.errorName).toBe('GatekeeperQuorumNotReached')
    expect(decoded.shortMessage).toBe(
      'admitWorkerByQuorum on 0xabc reverted: GatekeeperQuorumNotReached(1, 2): 1 gatekeeper signature given, the registry needs 2.',
    )
    expect(decoded.hint).toMatch(/from more gatekeepers/)
  })

  it('finds revert data inside the wrapped JSON-RPC error, and says so when an error is unknown', () => {
    const data = new Interface(registryAbi).encodeErrorResult('NotAdmin', [`0x${'22'.repeat(20)}`])
    const wrapped = { code: 'CALL_EXCEPTION', message: 'reverted', info: { error: { data } } }
    expect((decodeChainError(wrapped, options) as ChainError).errorName).toBe('NotAdmin')
    const unknown = { code: 'CALL_EXCEPTION', message: 'reverted', data: '0xdeadbeef' }
    const decoded = decodeChainError(unknown, options) as ChainError
    expect(decoded.errorName).toBeUndefined()
    expect(decoded.details).toBe('revert data 0xdeadbeef')
  })

  it('tells a nonce conflict, missing funds and an unreachable node apart', () => {
    const nonce = decodeChainError(
      new Error('nonce too low: next nonce 12, tx nonce 11'),
      options,
    ) as ChainError
    expect(nonce.code).toBe('CHAIN_NONCE_CONFLICT')
    expect(nonce.hint).toMatch(/Another process sends from this key/)
    const funds = decodeChainError(
      { code: 'INSUFFICIENT_FUNDS', message: 'insufficient funds' },
      options,
    ) as ChainError
    expect(funds.code).toBe('CHAIN_INSUFFICIENT_FUNDS')
    const refused = Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } })
    const unreachable = decodeChainError(refused, options) as ChainError
    expect(unreachable.code).toBe('CHAIN_UNREACHABLE')
    expect(unreachable.message).toContain('http://127.0.0.1:9')
    expect(unreachable.details).toBe('fetch failed (ECONNREFUSED)')
  })

  it('returns anything else as it is', () => {
    const other = new Error('something else')
    expect(decodeChainError(other, options)).toBe(other)
  })
})
