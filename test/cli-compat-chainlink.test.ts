import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { encodePacked, stringToHex } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runTeefn } from './support/runTeefn.js'

const source = fileURLToPath(new URL('./fixtures/chainlink/quoteSpread.js', import.meta.url))
let dir: string
let mocks: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'teefn-compat-'))
  mocks = join(dir, 'mocks.json')
  await writeFile(
    mocks,
    JSON.stringify([
      {
        request: { url: 'https://quotes.example/quote?pair=ETH-USD', headers: { 'x-api-key': 'k1' } },
        response: { json: { bid: 3000.25, ask: 3001.75 } },
      },
      { request: { url: 'https://quotes.example/quote?pair=ETH-USD' }, response: { json: {} } },
      {
        request: { method: 'POST', url: 'https://quotes.example/broken' },
        response: { status: 500, json: { reason: 'down' } },
      },
    ]),
  )
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** `teefn run --compat chainlink` on the fixture with the mocks; the parsed `--json` report. */
async function runChainlink(args: string[], extra: string[] = [], file = source) {
  const { status, stdout, stderr } = await runTeefn(
    [
      'run',
      file,
      '--compat',
      'chainlink',
      '--args',
      JSON.stringify(args),
      '--bytes-args',
      '["0x0a"]',
      '--secrets',
      '{"apiKey":"k1"}',
      '--mock',
      mocks,
      '--json',
      ...extra,
    ],
    { timeoutMs: 30_000 },
  )
  expect(stderr).toBe('')
  return { status, report: JSON.parse(stdout) }
}

describe('teefn run --compat chainlink', () => {
  it('runs a Chainlink Functions source unmodified and prints the bytes Chainlink would return', async () => {
    const { status, report } = await runChainlink(['ETH-USD', 'https://quotes.example'])
    expect(report.error).toBeNull()
    expect(status).toBe(0)
    expect(report.result).toBe(
      encodePacked(
        ['uint256', 'int256', 'bytes'],
        [1500n, -500n, stringToHex('ERR_BAD_RESPONSE down; none')],
      ),
    )
    expect(report.stats.fetches).toBe(2)
  })

  it("throws at the sixth request, Chainlink's limit of five, and names the limit", async () => {
    const { status, report } = await runChainlink(['six-requests', 'https://quotes.example'])
    expect(status).toBe(1)
    expect(report.error).toMatchObject({ code: 'FUNCTION_ERROR', limit: 'maxFetches' })
    expect(report.error.message).toContain(
      'exceeded numAllowedQueries: TOO_MANY_REQUESTS: This invocation already started 5 fetches, the limit.',
    )
    expect(report.stats.fetches).toBe(5)
  })

  it('throws for a request timeout over 9 s, as Chainlink does', async () => {
    const { report } = await runChainlink(['slow-timeout', 'https://quotes.example'])
    expect(report.error.message).toContain('HTTP request timeout >9000')
    expect(report.stats.fetches).toBe(0)
  })

  it('fails a result over 256 bytes naming the limit, unless the caller raises it', async () => {
    const { report } = await runChainlink(['too-large'])
    expect(report.error).toMatchObject({ code: 'RESULT_TOO_LARGE', limit: 'resultBytes' })
    expect(report.error.message).toContain('the limit is 256 bytes')
    const raised = await runChainlink(['too-large'], ['--result-bytes', '512'])
    expect(raised.report.result).toBe(stringToHex('x'.repeat(300)))
  })

  it("reports a thrown non-Error and a non-bytes result with Chainlink's messages", async () => {
    const thrown = await runChainlink(['throw-number'])
    expect(thrown.report.error.message).toContain('invalid value thrown of type number')
    const error = await runChainlink(['throw-error'])
    // Positions name the Chainlink source itself.
    expect(error.report.error.message).toMatch(/Error: boom[\s\S]*quoteSpread\.js:6:/)
    const returned = await runChainlink(['return-string'])
    expect(returned.report.error.message).toContain('returned value not an ArrayBuffer or Uint8Array')
  })

  it('builds the mode into the bundle: its own codeHash, and the built file runs with the same limits', async () => {
    const output = join(dir, 'quoteSpread.js')
    const built = await runTeefn(['build', source, '--compat', 'chainlink', '-o', output, '--json'])
    expect(built.status, built.stderr).toBe(0)
    const { codeHash, compat } = JSON.parse(built.stdout)
    expect(compat).toBe('chainlink')
    // The built file runs as is; its first line names the mode, so it gets Chainlink's limits without the flag.
    const plain = await runTeefn(['run', output, '--request', '{"args":["too-large"]}', '--json'])
    expect(JSON.parse(plain.stdout).error).toMatchObject({ code: 'RESULT_TOO_LARGE', limit: 'resultBytes' })
    expect(codeHash).toMatch(/^0x[0-9a-f]{64}$/)
    // With the flag, the built file is not wrapped again: --args reach it.
    const again = await runChainlink(['ETH-USD', 'https://quotes.example'], [], output)
    expect(again.report.result).toMatch(/^0x0{61}5dc/)
  })

  it("fails the build on Deno's npm: imports and the Deno global, saying what to do", async () => {
    const npmFile = join(dir, 'npmImport.js')
    await writeFile(
      npmFile,
      'const { ethers } = await import("npm:ethers@6.10.0")\nreturn new Uint8Array()\n',
    )
    const npm = await runTeefn(['build', npmFile, '--compat', 'chainlink'])
    expect(npm.status).toBe(1)
    expect(npm.stderr).toContain('"npm:ethers@6.10.0" is a Deno npm: specifier')
    expect(npm.stderr).toContain('Install it (npm install ethers) and import it by its name')
    const denoFile = join(dir, 'denoEnv.js')
    await writeFile(denoFile, '\nreturn Functions.encodeString(Deno.env.get("KEY"))\n')
    const deno = await runTeefn(['build', denoFile, '--compat', 'chainlink'])
    expect(deno.stderr).toContain("denoEnv.js:2:30: Deno.env is Deno's API")
    expect(deno.stderr).toContain('Read secrets from the secrets global')
  })
})
