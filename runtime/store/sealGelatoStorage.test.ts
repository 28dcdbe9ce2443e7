import { describe, expect, it } from 'vitest'
import { deriveSecretFromFunctionKey } from '../enclave/deriveSecretFromFunctionKey.js'
import type { FunctionScope } from '../enclave/functionScope.js'
import { GelatoStorageError } from './GelatoStorageError.js'
import { gelatoStorageFormat, openGelatoStorage, sealGelatoStorage } from './sealGelatoStorage.js'

const functionKey = new Uint8Array(32).fill(7)
const scope: FunctionScope = {
  family: 'evm',
  chainId: '31337',
  registry: `0x${'ab'.repeat(20)}`,
  functionId: `0x${'11'.repeat(32)}`,
}
const storage = { count: '41', lastPrice: '3000.5' }
const sealed = sealGelatoStorage({ functionKey, scope, version: 3, storage })

const refusal = (parameters: Partial<Parameters<typeof openGelatoStorage>[0]>) => {
  try {
    openGelatoStorage({ functionKey, scope, version: 3, sealed, ...parameters })
  } catch (error) {
    return error
  }
  throw new Error('it opened')
}

describe('sealGelatoStorage / openGelatoStorage', () => {
  it('opens what it sealed, for the same scope and version', () => {
    expect(openGelatoStorage({ functionKey, scope, version: 3, sealed })).toEqual(storage)
    expect(sealed[0]).toBe(gelatoStorageFormat.version)
  })

  it('holds no plaintext, and seals the same storage differently each time (a fresh nonce)', () => {
    const text = Buffer.from(sealed).toString('latin1')
    for (const plain of ['count', '41', 'lastPrice', '3000.5']) expect(text).not.toContain(plain)
    expect(sealGelatoStorage({ functionKey, scope, version: 3, storage })).not.toEqual(sealed)
  })

  it.each([
    ['another functionId', { scope: { ...scope, functionId: `0x${'12'.repeat(32)}` } }],
    ['another chain', { scope: { ...scope, chainId: '1' } }],
    ['another registry', { scope: { ...scope, registry: `0x${'cd'.repeat(20)}` } }],
    ['another version (a relabelled blob)', { version: 4 }],
    ['another function key (another enclave)', { functionKey: new Uint8Array(32).fill(8) }],
  ] as const)('refuses to open it for %s', (_, parameters) => {
    expect(refusal(parameters)).toMatchObject({ code: 'GELATO_STORAGE_UNREADABLE' })
  })

  it('refuses a blob with any byte changed, truncated, or of another format, saying what to do', () => {
    for (const index of [0, 1, 13, sealed.length - 1]) {
      const altered = sealed.slice()
      altered[index]! ^= 1
      const error = refusal({ sealed: altered })
      expect(error).toBeInstanceOf(GelatoStorageError)
      expect((error as GelatoStorageError).message).toContain('delete the function')
    }
    expect(refusal({ sealed: sealed.subarray(0, 20) })).toMatchObject({ code: 'GELATO_STORAGE_UNREADABLE' })
  })

  it("uses a key no guest's deriveSecret yields, whatever the path", () => {
    const guestKey = deriveSecretFromFunctionKey(functionKey, 'teefn/gelato-storage/v1')
    expect(refusal({ functionKey: guestKey })).toMatchObject({ code: 'GELATO_STORAGE_UNREADABLE' })
  })
})
