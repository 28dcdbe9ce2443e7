import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { compatModeOf } from '../../runtime/compat/compatMode.js'
import type { HttpMock } from '../../runtime/http/parseHttpMocks.js'
import {
  type FunctionsRequestEncoder,
  Location,
  startFunctionsRequestEncoder,
} from '../../test/support/startFunctionsRequestEncoder.js'
import { runFunction } from '../testing/runFunction.js'
import { buildFunctionsRequestRunner } from './buildFunctionsRequestRunner.js'

const fixture = new URL('../../test/fixtures/chainlink/quoteSpread.js', import.meta.url)
const mocks: HttpMock[] = [
  {
    request: { url: 'https://quotes.example/quote?pair=ETH-USD', headers: { 'x-api-key': 'k1' } },
    response: { json: { bid: 3000.25, ask: 3001.75 } },
  },
  { request: { url: 'https://quotes.example/quote?pair=ETH-USD' }, response: { json: {} } },
  {
    request: { method: 'POST', url: 'https://quotes.example/broken' },
    response: { status: 500, json: { reason: 'down' } },
  },
]
const secrets = { apiKey: 'k1' }

let encoder: FunctionsRequestEncoder
let dir: string
let runner: string
let source: string
beforeAll(async () => {
  encoder = await startFunctionsRequestEncoder()
  dir = await mkdtemp(join(tmpdir(), 'teefn-cl-runner-'))
  runner = join(dir, 'functionsRequestRunner.js')
  await writeFile(runner, (await buildFunctionsRequestRunner()).code)
  source = await readFile(fixture, 'utf8')
})
afterAll(async () => {
  await encoder?.stop()
  if (dir) await rm(dir, { recursive: true, force: true })
})

/** The runner on a request `FunctionsRequest.encodeCBOR` wrote. */
async function runRequest(request: string) {
  return runFunction({ entry: runner, request, secrets, mocks })
}

/** The same source, args and bytesArgs through `--compat chainlink`. */
async function runCompat(args: string[], bytesArgs: string[]) {
  return runFunction({ entry: fixture.pathname, compat: 'chainlink', args, bytesArgs, secrets, mocks })
}

describe('buildFunctionsRequestRunner', () => {
  it('builds one bundle in chainlink mode, without the paths it was built from', async () => {
    const built = await buildFunctionsRequestRunner()
    expect(compatModeOf(built.code)).toBe('chainlink')
    expect(built.code).not.toContain(process.cwd())
    expect(built.code).not.toContain('node_modules')
    expect(built.codeHash).toMatch(/^0x[0-9a-f]{64}$/)
  })

  it('runs the request inline source as --compat chainlink runs the same source (globals, result rules, limits)', async () => {
    const cases: [string[], string[]][] = [
      [['ETH-USD', 'https://quotes.example'], ['0x0a']],
      [['six-requests', 'https://quotes.example'], []],
      [['too-large'], []],
      [['throw-number'], []],
      [['return-string'], []],
    ]
    for (const [args, bytesArgs] of cases) {
      const viaRequest = await runRequest(await encoder.encodeInline(source, args, bytesArgs))
      const viaCompat = await runCompat(args, bytesArgs)
      expect(viaRequest.result, args[0]).toBe(viaCompat.result)
      expect(viaRequest.error?.code, args[0]).toBe(viaCompat.error?.code)
      expect(viaRequest.stats.fetches, args[0]).toBe(viaCompat.stats.fetches)
      // Positions differ (the source is not a file here); the messages do not.
      const message = (report: typeof viaRequest) => report.error?.message.split('\n')[0]?.split(' (')[0]
      expect(message(viaRequest), args[0]).toBe(message(viaCompat))
    }
    const ok = await runRequest(
      await encoder.encodeInline(source, ['ETH-USD', 'https://quotes.example'], ['0x0a']),
    )
    expect(ok.error).toBeNull()
    expect(ok.result).toMatch(/^0x0{61}5dc/)
    const tooLarge = await runRequest(await encoder.encodeInline(source, ['too-large']))
    expect(tooLarge.error).toMatchObject({ code: 'RESULT_TOO_LARGE', limit: 'resultBytes' })
  })

  it("gives the source the runner's secrets, whatever encrypted secrets the request references", async () => {
    const echo = 'return Functions.encodeString(JSON.stringify(secrets))'
    const hosted = await runRequest(await encoder.encodeWithDonHostedSecrets(echo, 0, 1n))
    expect(Buffer.from(hosted.result!.slice(2), 'hex').toString()).toBe('{"apiKey":"k1"}')
  })

  it('refuses code that is not inline, and input that is not a request, with an error that says what to do', async () => {
    const remote = await runRequest(await encoder.encodeAt(Location.Remote, 'https://example.com/source.js'))
    expect(remote.error?.code).toBe('FUNCTION_ERROR')
    expect(remote.error?.message).toContain('teefn runs inline sources only')
    expect(remote.error?.message).toContain('Remote')
    const hosted = await runRequest(await encoder.encodeAt(Location.DONHosted, '1'))
    expect(hosted.error?.message).toContain('DONHosted')
    const text = await runRequest('{"args":[]}')
    expect(text.error?.message).toContain("expects a Chainlink Functions request's CBOR as 0x-hex")
    const garbage = await runRequest('0xff00')
    expect(garbage.error?.message).toContain('not a Chainlink Functions request (CBOR)')
  })

  it("reports the source's errors as the consumer gets them: the message, no position in the runner", async () => {
    const thrown = await runRequest(await encoder.encodeInline("\nthrow new Error('boom')"))
    expect(thrown.error).toEqual({ code: 'FUNCTION_ERROR', message: 'Error: boom' })
    const syntax = await runRequest(await encoder.encodeInline('return (('))
    expect(syntax.error?.code).toBe('FUNCTION_ERROR')
    expect(syntax.error?.message).toMatch(/^SyntaxError: [^\n]+$/)
    // Strict, as the module --compat chainlink builds: an undeclared assignment throws.
    const sloppy = await runRequest(await encoder.encodeInline('x = 1\nreturn new Uint8Array(0)'))
    expect(sloppy.error?.message).toBe("ReferenceError: 'x' is not defined")
  })
})
