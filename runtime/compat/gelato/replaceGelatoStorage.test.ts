import { describe, expect, it } from 'vitest'
import { bytesToHex, utf8 } from '../../bytes.js'
import { parseGelatoRequest } from './parseGelatoRequest.js'
import { replaceGelatoStorage } from './replaceGelatoStorage.js'

describe('replaceGelatoStorage', () => {
  it("replaces the request's storage with the kept one, from text or 0x-hex, keeping the rest", () => {
    const request = JSON.stringify({ userArgs: { a: 1 }, storage: { count: '99' } })
    for (const form of [request, bytesToHex(utf8(request))]) {
      const parsed = parseGelatoRequest(replaceGelatoStorage(form, { count: '2' }))
      expect(parsed.storage).toEqual({ count: '2' })
      expect(parsed.userArgs).toEqual({ a: 1 })
    }
  })

  it('gives an empty request (an on-chain 0x) the kept storage', () => {
    expect(JSON.parse(replaceGelatoStorage('0x', { k: 'v' }))).toEqual({ storage: { k: 'v' } })
  })

  it('leaves a request that is not a JSON object as it is', () => {
    expect(replaceGelatoStorage('not json', { k: 'v' })).toBe('not json')
    expect(replaceGelatoStorage('[1]', { k: 'v' })).toBe('[1]')
  })
})
