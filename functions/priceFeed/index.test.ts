import { AbiCoder, hexlify, toUtf8Bytes } from 'ethers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSandboxPool, type SandboxPool } from '../../runtime/sandbox/index.js'
import { codeOf, invokeFunction } from '../../test/support/invokeFunction.js'
import { loadExampleFunction } from '../../test/support/loadExampleFunction.js'
import { type StartHttpServerReturnType, startHttpServer } from '../../test/support/startHttpServer.js'

let pool: SandboxPool
let code: string
let api: StartHttpServerReturnType

beforeAll(async () => {
  ;({ code } = await loadExampleFunction(import.meta.url))
  pool = await createSandboxPool({ threads: 1 })
  // Three exchanges with three answer shapes, and one that is down.
  api = await startHttpServer((request, response) => {
    const answers: Record<string, unknown> = {
      '/a': { price: 3012.5 },
      '/b': { data: { last: '3010.25' } },
      '/c': { result: { price: 3020 } },
      '/zero': { price: 0 },
    }
    const answer = answers[request.url ?? '']
    response.statusCode = answer ? 200 : 503
    response.end(JSON.stringify(answer ?? { error: 'down' }))
  })
})

afterAll(async () => {
  await pool?.close()
  await api?.close()
})

const source = (path: string, field: string) => ({ url: `${api.url}${path}`, path: field })
const run = (request: string) =>
  invokeFunction(pool, code, { request, allowHosts: [`127.0.0.1:${api.port}`] })
const decodeUint256 = (hex: string) => AbiCoder.defaultAbiCoder().decode(['uint256'], hex)[0] as bigint

describe('priceFeed', () => {
  it('returns the median of the sources as an ABI-encoded uint256 with 8 decimals', async () => {
    const outcome = await run(
      JSON.stringify({
        sources: [source('/a', 'price'), source('/b', 'data.last'), source('/c', 'result.price')],
      }),
    )
    expect(outcome.ok).toBe(true)
    expect(outcome.result).toMatch(/^0x[0-9a-f]{64}$/)
    expect(decodeUint256(outcome.result as string)).toBe(301250000000n)
    expect(outcome.stats.fetches).toBe(3)
  })

  it('reads a request sent on-chain as 0x-hex of JSON, with its own decimals', async () => {
    const request = hexlify(
      toUtf8Bytes(
        JSON.stringify({ sources: [source('/a', 'price'), source('/b', 'data.last')], decimals: 2 }),
      ),
    )
    const outcome = await run(request)
    // The median of two prices is their mean: (3012.5 + 3010.25) / 2.
    expect(decodeUint256(outcome.result as string)).toBe(301138n)
  })

  it('tolerates a minority of failed sources and says which failed', async () => {
    const outcome = await run(
      JSON.stringify({
        sources: [source('/a', 'price'), source('/down', 'price'), source('/c', 'result.price')],
      }),
    )
    expect(decodeUint256(outcome.result as string)).toBe(301625000000n)
    expect(
      outcome.logs.some(
        (entry) => entry.level === 'warn' && entry.message.includes('source 1 failed: HTTP 503'),
      ),
    ).toBe(true)
  })

  it('fails without a quorum rather than report a price few sources agree on', async () => {
    const outcome = await run(
      JSON.stringify({
        sources: [source('/a', 'price'), source('/down', 'price'), source('/zero', 'price')],
      }),
    )
    expect(codeOf(outcome)).toBe('FUNCTION_ERROR')
    expect(outcome.error?.message).toMatch(/only 1 of 3 sources answered; 2 are needed/)
  })

  it('explains a request without sources', async () => {
    const outcome = await run('{}')
    expect(outcome.error?.message).toMatch(/must list at least one source/)
  })
})
