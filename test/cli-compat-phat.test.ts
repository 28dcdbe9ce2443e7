import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { blake2b } from '@noble/hashes/blake2.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { bytesToHex, encodeAbiParameters, parseAbiParameters, stringToHex } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runTeefn } from './support/runTeefn.js'
import { type StartHttpServerReturnType, startHttpServer } from './support/startHttpServer.js'

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/phat/${name}`, import.meta.url))
const lensStats = fixture('lensStats.ts')
const pinkApis = fixture('pinkApis.ts')
const slowFetch = fixture('slowFetch.js')
/** Phat's response limit is 2 MB: this body is one byte over it. */
const bigBody = 'x'.repeat(2 * 1024 * 1024 + 1)

let dir: string
let mocks: string
let slow: StartHttpServerReturnType

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'teefn-phat-'))
  mocks = join(dir, 'mocks.json')
  await writeFile(
    mocks,
    JSON.stringify([
      {
        request: { url: 'https://api.example/price', headers: { 'x-api-key': 'k1' } },
        response: { json: { price: 3000.5 } },
      },
      {
        request: { method: 'POST', url: 'https://api.example/echo' },
        response: { status: 201, body: 'echoed' },
      },
      { request: { url: 'https://api.example/big' }, response: { body: bigBody } },
      {
        request: { method: 'POST', url: 'https://lens.example/graphql' },
        response: { json: { data: { profile: { stats: { posts: 42 } } } } },
      },
    ]),
  )
  // Answers after 3 s: the timeouts under test end every request to it first.
  slow = await startHttpServer(async (_request, response) => {
    await new Promise((resolve) => setTimeout(resolve, 3_000))
    response.end('late')
  })
})

afterAll(async () => {
  await slow?.close()
  await rm(dir, { recursive: true, force: true })
})

/** `teefn run --compat phat` with the mocks (or the network); the parsed `--json` report. */
async function runPhat(file: string, request: string, extra: string[] = [], { mock = true } = {}) {
  const { status, stdout, stderr } = await runTeefn(
    [
      'run',
      file,
      '--compat',
      'phat',
      '--request',
      request,
      ...(mock ? ['--mock', mocks] : []),
      '--json',
      ...extra,
    ],
    { timeoutMs: 30_000 },
  )
  expect(stderr).toBe('')
  return { status, report: JSON.parse(stdout) }
}

describe('teefn run --compat phat', () => {
  it("runs a starter-kit style function unmodified and prints the reply Phat's rollup would get", async () => {
    const request = encodeAbiParameters(parseAbiParameters('uint id, string reqData'), [7n, '0x01'])
    const { status, report } = await runPhat(lensStats, request, [
      '--secrets',
      'https://lens.example/graphql',
    ])
    expect(report.error).toBeNull()
    expect(status).toBe(0)
    expect(report.result).toBe(encodeAbiParameters(parseAbiParameters('uint, uint, uint256'), [0n, 7n, 42n]))
    expect(report.stats.fetches).toBe(1)
    // The secrets string is main's second argument, and a secret: logs never show it.
    expect(report.logs).toEqual([{ level: 'log', message: 'handle req 7: 0x01, secrets [redacted]' }])
    // A malformed request is answered, as the function decides, without fetching.
    const malformed = await runPhat(lensStats, '0x1234', ['--secrets', 'https://lens.example/graphql'])
    expect(malformed.report.result).toBe(
      encodeAbiParameters(parseAbiParameters('uint, uint, uint256'), [2n, 0n, 4n]),
    )
  })

  it('passes scriptArgs as main does, and a thrown non-Error fails with its text', async () => {
    const { report } = await runPhat(pinkApis, 'args', ['--secrets', 'k1'])
    expect(JSON.parse(report.result)).toEqual({ scriptArgs: ['args', 'k1'], same: true })
    const request = encodeAbiParameters(parseAbiParameters('uint id, string reqData'), [7n, '0x01'])
    const unreachable = await runPhat(lensStats, request, ['--secrets', 'https://nowhere.example/'])
    expect(unreachable.report.error).toMatchObject({ code: 'FUNCTION_ERROR' })
    expect(unreachable.report.error.message).toContain('FailedToFetchData')
    expect(unreachable.report.logs[1].message).toBe('Failed to read the API: 523')
  })

  it("answers pink.httpRequest synchronously in Phat's response shape, with its failures as 523 and 524", async () => {
    const { report } = await runPhat(pinkApis, 'http', ['--secrets', 'k1'])
    expect(report.error).toBeNull()
    expect(JSON.parse(report.result)).toEqual([
      { statusCode: 200, reasonPhrase: 'OK', contentType: 'application/json', body: '{"price":3000.5}' },
      { statusCode: 201, reasonPhrase: 'Created', body: stringToHex('echoed') },
      {
        statusCode: 523,
        reasonPhrase: 'Unreachable',
        body: 'NETWORK_ERROR: No mock matches GET https://api.example/missing.',
      },
      { statusCode: 524, reasonPhrase: 'IO Error', body: stringToHex('ResponseTooLarge') },
    ])
    expect(report.stats.fetches).toBe(4)
  })

  it('answers pink.batchHttpRequest in order, a response over 2 MB as an error entry', async () => {
    const { report } = await runPhat(pinkApis, 'batch', ['--secrets', 'k1'])
    expect(JSON.parse(report.result)).toEqual([
      { statusCode: 200, reasonPhrase: 'OK', contentType: 'application/json', body: '{"price":3000.5}' },
      { statusCode: 201, reasonPhrase: 'Created', body: stringToHex('echoed') },
      { error: 'ResponseTooLarge' },
      {
        statusCode: 523,
        reasonPhrase: 'Unreachable',
        body: 'NETWORK_ERROR: No mock matches GET https://api.example/missing.',
      },
    ])
  })

  it("throws Phat's error for a sixth request in a batch, naming the limit", async () => {
    const { status, report } = await runPhat(pinkApis, 'six')
    expect(status).toBe(1)
    expect(report.error).toMatchObject({ code: 'FUNCTION_ERROR', limit: 'batchRequests' })
    expect(report.error.message).toContain('Failed to call batch_http_request: TooManyRequests')
    expect(report.stats.fetches).toBe(0)
  })

  it("counts every request against the invocation's fetch limit, unless the caller raises it", async () => {
    const { report } = await runPhat(pinkApis, 'many', ['--secrets', 'k1'])
    expect(report.error).toMatchObject({ code: 'FUNCTION_ERROR', limit: 'maxFetches' })
    expect(report.error.message).toContain('TOO_MANY_REQUESTS: This invocation started 15 fetches')
    expect(report.stats.fetches).toBe(15)
    const raised = await runPhat(pinkApis, 'many', ['--secrets', 'k1', '--max-fetches', '20'])
    expect(raised.report).toMatchObject({ ok: true, result: 'done', stats: { fetches: 20 } })
  })

  it('ends a request at the batch timeout with 523, and a blocked call at the invocation deadline', async () => {
    const url = `${slow.url}/`
    const allow = ['--allow-host', `127.0.0.1:${slow.port}`]
    const batch = await runPhat(slowFetch, JSON.stringify({ url, batchTimeoutMs: 300 }), allow, {
      mock: false,
    })
    const entry = JSON.parse(batch.report.result)
    expect(entry).toMatchObject({ statusCode: 523, reasonPhrase: 'Unreachable' })
    expect(entry.body).toMatch(/^TIMEOUT: /)
    const blocked = await runPhat(slowFetch, JSON.stringify({ url }), [...allow, '--timeout', '1000'], {
      mock: false,
    })
    expect(blocked.report.error).toMatchObject({ code: 'TIMEOUT', limit: 'timeoutMs' })
    expect(blocked.report.stats.durationMs).toBeLessThan(2_500)
  })

  it('derives 64-byte secrets per function and salt, with vrf as the vrf:-prefixed salt', async () => {
    const { report } = await runPhat(pinkApis, 'secrets')
    expect(JSON.parse(report.result)).toEqual({
      length: 64,
      deterministic: true,
      other: true,
      vrfLength: 64,
      vrfIsPrefixedSalt: true,
    })
  })

  it("hashes with Phat's four algorithms and refuses others with Phat's message", async () => {
    const { report } = await runPhat(pinkApis, 'hash')
    const hello = new TextEncoder().encode('hello')
    expect(JSON.parse(report.result)).toEqual([
      bytesToHex(blake2b(hello, { dkLen: 16 })),
      bytesToHex(blake2b(hello, { dkLen: 32 })),
      bytesToHex(sha256(hello)),
      bytesToHex(keccak_256(hello)),
    ])
    const unknown = await runPhat(pinkApis, 'hash-unknown')
    expect(unknown.report.error.message).toContain('Unsupported hash algorithm: md5')
  })

  it("applies Phat's result rules: bytes, other values cast to a string, undefined refused, size limited", async () => {
    expect((await runPhat(pinkApis, 'bytes')).report.result).toBe('0xdeadbeef')
    expect((await runPhat(pinkApis, 'number')).report.result).toBe('42')
    const nothing = await runPhat(pinkApis, 'undefined')
    expect(nothing.report.error.code).toBe('FUNCTION_ERROR')
    expect(nothing.report.error.message).toContain('main returned undefined')
    const large = await runPhat(pinkApis, 'too-large')
    expect(large.report.error).toMatchObject({ code: 'RESULT_TOO_LARGE', limit: 'resultBytes' })
  })

  it('builds the mode into the bundle: another codeHash than native, and the built file runs in the mode', async () => {
    const output = join(dir, 'slowFetch.phat.js')
    const built = await runTeefn(['build', slowFetch, '--compat', 'phat', '-o', output, '--json'])
    expect(built.status, built.stderr).toBe(0)
    const phat = JSON.parse(built.stdout)
    const native = await runTeefn(['build', slowFetch, '-o', join(dir, 'slowFetch.native.js'), '--json'])
    expect(phat.compat).toBe('phat')
    expect(phat.codeHash).toMatch(/^0x[0-9a-f]{64}$/)
    expect(phat.codeHash).not.toBe(JSON.parse(native.stdout).codeHash)
    // The built file runs as is: its first line names the mode, so pink is there without the flag.
    const plain = await runTeefn(
      [
        'run',
        output,
        '--request',
        JSON.stringify({ url: 'https://api.example/price' }),
        '--mock',
        mocks,
        '--json',
      ],
      { timeoutMs: 30_000 },
    )
    expect(JSON.parse(JSON.parse(plain.stdout).result)).toMatchObject({ statusCode: 523 })
  })
})
