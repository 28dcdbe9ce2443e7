import { randomBytes } from 'node:crypto'
import { getAddress, hexlify, toUtf8Bytes, toUtf8String } from 'ethers'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  canonicalGelatoResult,
  deployGelatoResultParserHarness,
  type GelatoResultParserHarnessContract,
} from '../test/support/gelatoExecutor.js'
import type { TeefnContractsFixture } from '../test/support/teefnContracts.js'
import { useTeefnChain } from '../test/support/useTeefnChain.js'

let f: TeefnContractsFixture
let parser: GelatoResultParserHarnessContract
useTeefnChain({}, (chain) => {
  f = chain.f
})
beforeAll(async () => {
  parser = await deployGelatoResultParserHarness(f.admin)
})

const target = '0x5fbdb2315678afecb367f032d93f642f64180aa3'
const increment = '0xd09de08a'
const transfer = `0xa9059cbb${'00'.repeat(12)}${target.slice(2)}${'00'.repeat(31)}2a`

async function parse(text: string) {
  const parsed = await parser.parse(hexlify(toUtf8Bytes(text)))
  return {
    ok: parsed.ok,
    errorAt: Number(parsed.errorAt),
    canExec: parsed.canExec,
    calls: parsed.to.map((to, i) => ({ to: to.toLowerCase(), data: parsed.data[i] })),
    message: toUtf8String(parsed.message),
  }
}

async function refusal(text: string) {
  const parsed = await parse(text)
  expect(parsed, text).toMatchObject({ ok: false, canExec: false, calls: [], message: '' })
  return parsed.errorAt
}

const oneCall = canonicalGelatoResult({ canExec: true, callData: [{ to: target, data: increment }] })

describe('GelatoResultParser', () => {
  it('reads canExec true with 0, 1 and 3 calls, in order', async () => {
    expect(await parse('{"canExec":true,"callData":[]}')).toEqual({
      ok: true,
      errorAt: 0,
      canExec: true,
      calls: [],
      message: '',
    })
    expect((await parse(oneCall)).calls).toEqual([{ to: target, data: increment }])
    const other = `0x${'ab'.repeat(20)}`
    const three = [
      { to: target, data: transfer },
      { to: other, data: '0x' },
      { to: target, data: increment },
    ]
    expect(await parse(canonicalGelatoResult({ canExec: true, callData: three }))).toEqual({
      ok: true,
      errorAt: 0,
      canExec: true,
      calls: three,
      message: '',
    })
  })

  it('reads canExec false and decodes the message as JSON.stringify escapes it', async () => {
    const message = 'no "work" \\ now\n\ttab\r\b\f \u0001\u001f é ✓ 𝄞 /'
    const text = canonicalGelatoResult({ canExec: false, message })
    expect(text).toContain('\\u0001')
    expect(await parse(text)).toEqual({ ok: true, errorAt: 0, canExec: false, calls: [], message })
    expect(await parse('{"canExec":false,"message":""}')).toMatchObject({ ok: true, message: '' })
  })

  it('reads random canonical results exactly', async () => {
    for (let round = 0; round < 12; round++) {
      const callData = Array.from({ length: round % 4 }, () => ({
        to: hexlify(randomBytes(20)),
        data: hexlify(randomBytes(Math.floor(Math.random() * 100))),
      }))
      expect((await parse(canonicalGelatoResult({ canExec: true, callData }))).calls).toEqual(callData)
    }
  })

  it('refuses checksummed or uppercase hex', async () => {
    const checksummed = getAddress(target)
    expect(checksummed).not.toBe(target)
    const text = `{"canExec":true,"callData":[{"to":"${checksummed}","data":"${increment}"}]}`
    expect(await refusal(text)).toBe(
      text.indexOf(checksummed) + 2 + /[A-F]/.exec(checksummed.slice(2))!.index,
    )
    await refusal(`{"canExec":true,"callData":[{"to":"${target}","data":"0xD09DE08A"}]}`)
    await refusal(`{"canExec":true,"callData":[{"to":"0X${target.slice(2)}","data":"${increment}"}]}`)
  })

  it('refuses extra keys, other key orders and whitespace', async () => {
    const refused = [
      `{"canExec":true,"callData":[{"to":"${target}","data":"${increment}","value":"0"}]}`,
      `{"canExec":true,"callData":[{"data":"${increment}","to":"${target}"}]}`,
      `{"callData":[],"canExec":true}`,
      '{"canExec":true,"callData":[],"message":"x"}',
      '{"canExec":false,"message":"x","callData":[]}',
      '{"canExec":true}',
      '{"canExec":false}',
      '{"canExec":true,"message":"x"}',
      '{"canExec":false,"callData":[]}',
      '{"canExec":1,"callData":[]}',
      '{"canExec":false,"message":42}',
      JSON.stringify({ canExec: true, callData: [{ to: target, data: increment }] }, null, 1),
      '{"canExec": true,"callData":[]}',
      '{"canExec":true,"callData":[ ]}',
      ` ${oneCall}`,
      `${oneCall}\n`,
      `${oneCall}}`,
      `[${oneCall}]`,
    ]
    for (const text of refused) await refusal(text)
  })

  it('refuses odd-length, non-hex and mis-sized hex', async () => {
    const call = (to: string, data: string) => `{"canExec":true,"callData":[{"to":"${to}","data":"${data}"}]}`
    await refusal(call(target, '0xd09de08'))
    await refusal(call(target, '0xzz'))
    await refusal(call(target, 'd09de08a'))
    await refusal(call(target, ''))
    await refusal(call(target.slice(0, -1), increment))
    await refusal(call(`${target}00`, increment))
    await refusal(call(target.slice(2), increment))
  })

  it('refuses every truncation of a valid result, and trailing bytes', async () => {
    const text = canonicalGelatoResult({
      canExec: true,
      callData: [
        { to: target, data: increment },
        { to: target, data: '0x' },
      ],
    })
    for (let length = 0; length < text.length; length++) {
      expect(await refusal(text.slice(0, length))).toBeLessThanOrEqual(length)
    }
    expect(await refusal(`${text}x`)).toBe(text.length)
    const skipped = canonicalGelatoResult({ canExec: false, message: 'a\\b' })
    for (let length = 0; length < skipped.length; length++) await refusal(skipped.slice(0, length))
  })

  it('refuses message escapes JSON.stringify never writes', async () => {
    const message = (json: string) => `{"canExec":false,"message":"${json}"}`
    for (const sequence of [
      '\\/',
      '\\u0041',
      '\\u00e9',
      '\\u000a',
      '\\u001F',
      '\\uD800',
      '\\x41',
      '\\',
      '\\u00',
    ]) {
      await refusal(message(sequence))
    }
    await refusal(message('raw\ncontrol'))
    await refusal('{"canExec":false,"message":"unterminated}')
    expect(await parse(message('\\u001f'))).toMatchObject({ ok: true, message: '\u001f' })
    // A lone surrogate, which JSON.stringify escapes, reads as U+FFFD (it has no UTF-8 form).
    const lone = canonicalGelatoResult({ canExec: false, message: 'a\ud800b\udfffc' })
    expect(lone).toContain('\\ud800')
    expect(await parse(lone)).toMatchObject({ ok: true, message: 'a\ufffdb\ufffdc' })
  })

  it('costs gas in proportion to the calls it reads', async () => {
    const gasOf = async (count: number) =>
      Number(
        await parser.parseGas(
          hexlify(
            toUtf8Bytes(
              canonicalGelatoResult({
                canExec: true,
                callData: Array.from({ length: count }, () => ({ to: target, data: transfer })),
              }),
            ),
          ),
        ),
      )
    const [one, three] = [await gasOf(1), await gasOf(3)]
    // Measured 9,492 and 26,305 (solc 0.8.30, 200 runs): the hex is read 32 digits a step.
    expect(one).toBeLessThan(12_000)
    expect(three).toBeGreaterThan(one * 2)
    expect(three).toBeLessThan(one * 4)
  })
})
