import { fileURLToPath } from 'node:url'
import { encodePacked, numberToHex, stringToHex } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bytesToHex } from '../../runtime/bytes.js'
import { compatModeOf } from '../../runtime/compat/compatMode.js'
import { createSandboxPool, type SandboxPool } from '../../runtime/sandbox/index.js'
import { codeOf, invokeFunction } from '../../test/support/invokeFunction.js'
import { type StartHttpServerReturnType, startHttpServer } from '../../test/support/startHttpServer.js'
import { bundleFunction } from './bundleFunction.js'

const entry = fileURLToPath(new URL('../../test/fixtures/chainlink/quoteSpread.js', import.meta.url))

let pool: SandboxPool
let server: StartHttpServerReturnType
let code: string

beforeAll(async () => {
  pool = await createSandboxPool({ threads: 1 })
  server = await startHttpServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://x')
    if (url.pathname === '/slow') return // never answers: the caller's timeout ends it
    response.setHeader('content-type', 'application/json')
    if (url.pathname === '/broken') {
      response.statusCode = 500
      response.end(JSON.stringify({ reason: 'down' }))
      return
    }
    const authorized = request.headers['x-api-key'] === 'k1' && url.searchParams.get('pair') === 'ETH-USD'
    response.end(JSON.stringify(authorized ? { bid: 3000.25, ask: 3001.75 } : {}))
  })
  code = (await bundleFunction({ entry, compat: 'chainlink' })).code
})

afterAll(async () => {
  await pool?.close()
  await server?.close()
})

const run = (args: string[], bytesArgs: string[] = []) =>
  invokeFunction(pool, code, {
    request: JSON.stringify({ args, bytesArgs }),
    secrets: { apiKey: 'k1' },
    allowHosts: [`127.0.0.1:${server.port}`],
  })

describe('--compat chainlink', () => {
  it('names the mode in the bundle, so the same source in two modes has two codeHashes', async () => {
    expect(compatModeOf(code)).toBe('chainlink')
    const plain = await bundleFunction({ entry: 'functions/priceFeed/index.ts' })
    expect(compatModeOf(plain.code)).toBeUndefined()
  })

  it('runs the source with args, bytesArgs, secrets and makeHttpRequest, and returns its bytes', async () => {
    const outcome = await run(['ETH-USD', server.url, `${server.url}/slow`], [numberToHex(10n, { size: 32 })])
    expect(outcome.error).toBeNull()
    // What Chainlink's DON returns for the same source: 150 bp * 10, -500, then the UTF-8 text.
    const expected = encodePacked(
      ['uint256', 'int256', 'bytes'],
      [1500n, -500n, stringToHex('ERR_BAD_RESPONSE down; timeout of 200ms exceeded')],
    )
    expect(bytesToHex(outcome.result as Uint8Array)).toBe(expected)
    expect(outcome.stats.fetches).toBe(3)
  })

  it('reads args from an on-chain payload: the request JSON as 0x-hex UTF-8', async () => {
    const outcome = await invokeFunction(pool, code, {
      request: stringToHex(JSON.stringify({ args: ['too-large'] })),
      limits: { resultBytes: 1024 },
    })
    expect(bytesToHex(outcome.result as Uint8Array)).toBe(stringToHex('x'.repeat(300)))
  })

  it('throws at the sixth HTTP request, as Chainlink limits a source to five, naming the limit', async () => {
    const outcome = await run(['six-requests', server.url])
    expect(codeOf(outcome)).toBe('FUNCTION_ERROR')
    expect(outcome.error?.limit).toBe('maxFetches')
    expect(outcome.error?.message).toContain('exceeded numAllowedQueries: TOO_MANY_REQUESTS')
    expect(outcome.error?.message).toContain('5 fetches, the limit')
    expect(outcome.stats.fetches).toBe(5)
  })

  it('limits the result to 256 bytes, and a caller may ask for more', async () => {
    const outcome = await run(['too-large'])
    expect(codeOf(outcome)).toBe('RESULT_TOO_LARGE')
    expect(outcome.error?.message).toContain('the limit is 256 bytes')
    const raised = await invokeFunction(pool, code, {
      request: JSON.stringify({ args: ['too-large'] }),
      limits: { resultBytes: 1024 },
    })
    expect(bytesToHex(raised.result as Uint8Array)).toBe(stringToHex('x'.repeat(300)))
  })

  it('reports a thrown non-Error and a result that is not bytes as Chainlink does', async () => {
    const thrown = await run(['throw-number'])
    expect(codeOf(thrown)).toBe('FUNCTION_ERROR')
    expect(thrown.error?.message).toContain('invalid value thrown of type number')
    const returned = await run(['return-string'])
    expect(codeOf(returned)).toBe('FUNCTION_ERROR')
    expect(returned.error?.message).toContain('returned value not an ArrayBuffer or Uint8Array')
  })
})
