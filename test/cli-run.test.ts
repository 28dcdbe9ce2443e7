import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { computeCodeHash } from '../runtime/store/computeCodeHash.js'
import { runTeefn } from './support/runTeefn.js'
import { type StartHttpServerReturnType, startHttpServer } from './support/startHttpServer.js'

let dir: string
let api: StartHttpServerReturnType

const file = async (name: string, content: string) => {
  const path = join(dir, name)
  await writeFile(path, content)
  return path
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'teefn-cli-'))
  api = await startHttpServer((_request, response) => response.end('{"price":42}'))
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
  await api?.close()
})

describe('teefn run', () => {
  it('prints exactly one JSON object with result, logs and stats, and exits 0', async () => {
    const entry = await file(
      'echo.ts',
      `export default async function main(request: string, secrets: Record<string, string>, context: { trigger: string }) {
        console.info('trigger', context.trigger)
        return request.toUpperCase() + ':' + Object.keys(secrets).join(',')
      }`,
    )
    const { status, stdout } = await runTeefn([
      'run',
      entry,
      '--request',
      'hello',
      '--secrets',
      '{"A":"1","B":"2"}',
      '--json',
    ])
    expect(status).toBe(0)
    const report = JSON.parse(stdout)
    expect(report).toMatchObject({
      ok: true,
      result: 'HELLO:A,B',
      error: null,
      logs: [{ level: 'info', message: 'trigger cli' }],
      stats: { fetches: 0 },
    })
    expect(Object.keys(report)).toEqual(['ok', 'result', 'error', 'logs', 'stats'])
    expect(report.stats.durationMs).toBeGreaterThan(0)
  })

  it('shows a Uint8Array result as 0x-hex and reads the request from a file', async () => {
    const entry = await file('bytes.js', 'export default (request) => new TextEncoder().encode(request)')
    const requestFile = await file('request.txt', 'AB')
    const { status, stdout } = await runTeefn(['run', entry, '--request-file', requestFile, '--json'])
    expect(status).toBe(0)
    expect(JSON.parse(stdout).result).toBe('0x4142')
  })

  it('fetches from a host allowed with --allow-host, and is denied without it', async () => {
    const entry = await file('fetch.js', 'export default async (url) => (await fetch(url)).text()')
    const allowed = await runTeefn([
      'run',
      entry,
      '--request',
      api.url,
      '--allow-host',
      `127.0.0.1:${api.port}`,
      '--json',
    ])
    expect(JSON.parse(allowed.stdout)).toMatchObject({
      ok: true,
      result: '{"price":42}',
      stats: { fetches: 1 },
    })
    const denied = await runTeefn(['run', entry, '--request', api.url, '--json'])
    expect(denied.status).toBe(1)
    expect(JSON.parse(denied.stdout).error.message).toMatch(/^FetchError: HOST_NOT_ALLOWED: /)
  })

  it('exits 1 with the error code when the function fails', async () => {
    const cases: [string, string, string[]][] = [
      ['throws.js', 'export default () => { throw new Error("nope") }', []],
      ['syntax.ts', 'export default function main( {', []],
      ['nomain.js', 'export const main = () => "x"', []],
      ['busy.js', 'export default () => { for (;;) {} }', ['--timeout', '300']],
      [
        'bomb.js',
        'export default () => { const a = []; for (;;) a.push(new Uint8Array(1 << 20)) }',
        ['--memory', '16'],
      ],
    ]
    const codes: string[] = []
    for (const [name, content, extra] of cases) {
      const { status, stdout } = await runTeefn(['run', await file(name, content), ...extra, '--json'])
      expect(status, name).toBe(1)
      codes.push(JSON.parse(stdout).error.code)
    }
    expect(codes).toEqual(['FUNCTION_ERROR', 'SYNTAX_ERROR', 'NO_MAIN', 'TIMEOUT', 'MEMORY_LIMIT'])
  })

  it('prints logs, then the result or error, for a person', async () => {
    const ok = await runTeefn([
      'run',
      await file('person.js', 'export default () => { console.warn("careful"); return "fine" }'),
    ])
    expect(ok.stdout).toMatch(/^\[warn\] careful\nfine\n\(\d+\.\d ms, 0 fetches\)\n$/)
    const failed = await runTeefn(['run', await file('fails.js', 'export default () => 42')])
    expect(failed.status).toBe(1)
    expect(failed.stdout).toMatch(/^INVALID_RESULT: main returned number/)
  })

  it('exits 2 with a one-line reason for usage errors', async () => {
    const entry = await file('ok.js', 'export default () => "x"')
    const cases = [
      ['run', join(dir, 'missing.js')],
      ['run', entry, '--secrets', '{not json'],
      ['run', entry, '--secrets', '{"A":1}'],
      ['run', entry, '--allow-host', 'http://example.com/path'],
      ['run', entry, '--timeout', '99999999'],
      ['run', entry, '--timeout', 'soon'],
      ['run', entry, '--request', 'a', '--request-file', entry],
      ['run'],
    ]
    for (const args of cases) {
      const { status, stdout, stderr } = await runTeefn(args)
      expect(status, args.join(' ')).toBe(2)
      expect(stdout, args.join(' ')).toBe('')
      expect(stderr.trim().split('\n')[0], args.join(' ')).toMatch(/^(teefn: |error: )/)
    }
  })
})

describe('teefn build', () => {
  it('writes one ES module and prints its size and codeHash, which run then reports', async () => {
    const entry = await file(
      'ctx.ts',
      'export default (request: string, secrets: object, context: { codeHash: string }) => context.codeHash',
    )
    const output = join(dir, 'out', 'ctx.js')
    const { status, stdout } = await runTeefn(['build', entry, '-o', output, '--json'])
    expect(status).toBe(0)
    const built = JSON.parse(stdout)
    const bytes = await readFile(output)
    expect(built).toEqual({ file: output, bytes: bytes.byteLength, codeHash: computeCodeHash(bytes) })
    const run = await runTeefn(['run', output, '--json'])
    expect(JSON.parse(run.stdout).result).toBe(built.codeHash)
  })

  it('refuses Node built-ins, a missing default export and bundles over 1 MiB', async () => {
    const nodeImport = await runTeefn([
      'build',
      await file(
        'fs.ts',
        'import { readFileSync } from "node:fs"\nexport default () => readFileSync("/etc/passwd", "utf8")',
      ),
    ])
    expect(nodeImport.status).toBe(1)
    expect(nodeImport.stderr).toMatch(/"node:fs" is a Node\.js built-in module/)
    const noDefault = await runTeefn(['build', await file('named.ts', 'export const main = () => "x"')])
    expect(noDefault.stderr).toMatch(/has no default export/)
    const big = await runTeefn([
      'build',
      await file(
        'big.ts',
        `export default () => ${JSON.stringify('x'.repeat(1100 * 1024))}.length.toString()`,
      ),
    ])
    expect(big.status).toBe(1)
    expect(big.stderr).toMatch(/larger than 1 MiB/)
  })
})
