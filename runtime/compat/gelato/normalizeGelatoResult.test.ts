import { describe, expect, it } from 'vitest'
import { normalizeGelatoResult } from './normalizeGelatoResult.js'

const to = '0xAbCdEf0123456789aBcDeF0123456789AbCdEf01'

describe('normalizeGelatoResult', () => {
  it('writes canExec results as exact JSON: lowercase hex, keys in order, no value', () => {
    expect(
      normalizeGelatoResult({
        callData: [
          { data: '0xA9059CBB00', value: '0', to },
          { to, data: '0x12345678' },
        ],
        canExec: true,
      }),
    ).toBe(
      `{"canExec":true,"callData":[{"to":"${to.toLowerCase()}","data":"0xa9059cbb00"},{"to":"${to.toLowerCase()}","data":"0x12345678"}]}`,
    )
    expect(normalizeGelatoResult({ canExec: true, callData: [] })).toBe('{"canExec":true,"callData":[]}')
  })

  it('writes a canExec false result with its message as a JSON string', () => {
    expect(normalizeGelatoResult({ canExec: false, message: 'Too early "now"' })).toBe(
      '{"canExec":false,"message":"Too early \\"now\\""}',
    )
    expect(normalizeGelatoResult({ canExec: false })).toBe('{"canExec":false,"message":""}')
  })

  it("refuses what Gelato's runner refuses, with its messages", () => {
    expect(() => normalizeGelatoResult('yes')).toThrow(
      'Web3Function must return {canExec: bool}. Instead returned: "yes"',
    )
    expect(() => normalizeGelatoResult(undefined)).toThrow('Instead returned: undefined')
    expect(() => normalizeGelatoResult({ canExec: true })).toThrow(
      'must return {canExec: bool, callData: {to: string, data: string}[]}',
    )
    expect(() =>
      normalizeGelatoResult({ canExec: true, callData: [{ to: '0x12', data: '0x12345678' }] }),
    ).toThrow('returned invalid to address')
    expect(() => normalizeGelatoResult({ canExec: true, callData: [{ to, data: '0x12' }] })).toThrow(
      'returned invalid callData',
    )
    expect(() =>
      normalizeGelatoResult({ canExec: true, callData: [{ to, data: '0x12345678', value: '1e18' }] }),
    ).toThrow('returned invalid value (must be numeric string)')
  })

  it('refuses what the executor cannot do honestly: a value, and the 1.0.0 single-string callData', () => {
    expect(() =>
      normalizeGelatoResult({ canExec: true, callData: [{ to, data: '0x12345678', value: '5' }] }),
    ).toThrow('sends no ether')
    expect(() => normalizeGelatoResult({ canExec: true, callData: '0x12345678' })).toThrow(
      'names no target contract',
    )
  })
})
