import { describe, expect, it } from 'vitest'
import { parseGelatoRequest } from './parseGelatoRequest.js'

describe('parseGelatoRequest', () => {
  it('reads the JSON request, as text or as the 0x-hex of its UTF-8 (an on-chain payload), with defaults', () => {
    const text = '{"userArgs":{"n":1},"storage":{"k":"v"},"rpcUrl":"http://x","limits":{"rpcCalls":9}}'
    const hex = `0x${Buffer.from(text).toString('hex')}`
    for (const request of [text, hex]) {
      expect(parseGelatoRequest(request)).toEqual({
        userArgs: { n: 1 },
        storage: { k: 'v' },
        gelatoArgs: { chainId: undefined, gasPrice: undefined, taskId: undefined },
        rpcUrl: 'http://x',
        rpcUrls: {},
        limits: { rpcCalls: 9, storageBytes: 255 * 1024 },
      })
    }
    expect(parseGelatoRequest('').limits).toEqual({ rpcCalls: 5, storageBytes: 255 * 1024 })
    expect(parseGelatoRequest('0x')).toMatchObject({ userArgs: {}, storage: {} })
  })

  it('names the field that is wrong', () => {
    expect(() => parseGelatoRequest('[]')).toThrow('must be a JSON object')
    expect(() => parseGelatoRequest('{"storage":{"k":1}}')).toThrow('"storage" must be an object of strings')
    expect(() => parseGelatoRequest('{"gelatoArgs":{"gasPrice":"1.5"}}')).toThrow(
      'gasPrice must be a decimal',
    )
    expect(() => parseGelatoRequest('{"limits":{"rpcCalls":0}}')).toThrow(
      'limits.rpcCalls must be a positive',
    )
    expect(() => parseGelatoRequest('{"limits":{"storageBytes":1048576}}')).toThrow('at most 261120')
  })
})
