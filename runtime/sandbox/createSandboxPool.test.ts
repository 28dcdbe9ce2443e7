import type { ServerResponse } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { codeOf, invokeFunction } from '../../test/support/invokeFunction.js'
import { type StartHttpServerReturnType, startHttpServer } from '../../test/support/startHttpServer.js'
import { createSandboxPool, LimitExceedsMaximumError, PoolClosedError, type SandboxPool } from './index.js'

let pool: SandboxPool
let server: StartHttpServerReturnType

beforeAll(async () => {
  pool = await createSandboxPool({ threads: 2 })
  server = await startHttpServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://x')
    if (url.pathname === '/slow')
      await new Promise((resolve) => setTimeout(resolve, Number(url.searchParams.get('ms'))))
    const chunks: Buffer[] = []
    for await (const chunk of request) chunks.push(chunk as Buffer)
    response.setHeader('content-type', 'application/json')
    response.setHeader('x-echo', String(request.headers['x-token'] ?? ''))
    response.statusCode = url.pathname === '/missing' ? 404 : 200
    response.end(
      JSON.stringify({ method: request.method, path: url.pathname, body: Buffer.concat(chunks).toString() }),
    )
  })
})

afterAll(async () => {
  await pool?.close()
  await server?.close()
})

describe('the function contract', () => {
  it('passes request, secrets and context to main and returns a string', async () => {
    const outcome = await invokeFunction(
      pool,
      `export default function main(request, secrets, context) {
        return [request, secrets.token, context.requestId, context.trigger, context.functionId].join('|')
      }`,
      {
        request: '0xabcd',
        secrets: { token: 'tok' },
        context: { requestId: 'r-1', trigger: 'evm', codeHash: '0x01', functionId: '0xf1' },
      },
    )
    expect(outcome).toMatchObject({ ok: true, result: '0xabcd|tok|r-1|evm|0xf1', error: null })
  })

  it('gives an empty secrets object when there are none', async () => {
    const outcome = await invokeFunction(pool, 'export default (r, s) => JSON.stringify(s)')
    expect(outcome.result).toBe('{}')
  })

  it('returns a Uint8Array as bytes, from an async main', async () => {
    const outcome = await invokeFunction(pool, 'export default async () => new Uint8Array([0, 1, 254, 255])')
    expect(outcome.ok).toBe(true)
    expect(outcome.result).toBeInstanceOf(Uint8Array)
    expect([...(outcome.result as Uint8Array)]).toEqual([0, 1, 254, 255])
  })

  it('returns a sub-array view as exactly its bytes', async () => {
    const outcome = await invokeFunction(
      pool,
      'export default () => new Uint8Array([9, 1, 2, 3, 9]).subarray(1, 4)',
    )
    expect([...(outcome.result as Uint8Array)]).toEqual([1, 2, 3])
  })

  it('supports top-level await in the module', async () => {
    const outcome = await invokeFunction(
      pool,
      'const base = await Promise.resolve(40); export default () => String(base + 2)',
    )
    expect(outcome.result).toBe('42')
  })

  it('refuses results that are neither strings nor Uint8Arrays', async () => {
    for (const value of ['undefined', '42', '({ a: 1 })', '[1, 2]', 'new Uint16Array(2)', 'null']) {
      const outcome = await invokeFunction(pool, `export default () => ${value}`)
      expect(codeOf(outcome), value).toBe('INVALID_RESULT')
      expect(outcome.error?.message).toMatch(/must return \(or resolve to\) a string or a Uint8Array/)
    }
  })

  it('reports a rejected promise as FUNCTION_ERROR with the message and where it was thrown', async () => {
    const outcome = await invokeFunction(
      pool,
      `export default async function main() {\n  throw new RangeError('bad input')\n}`,
    )
    expect(codeOf(outcome)).toBe('FUNCTION_ERROR')
    expect(outcome.error?.message).toBe('RangeError: bad input at main (function.js:2:23)')
  })

  it('starts every invocation in a fresh context', async () => {
    await invokeFunction(
      pool,
      'globalThis.leak = "yes"; Object.prototype.polluted = 1; export default () => "set"',
    )
    for (let i = 0; i < 4; i++) {
      const outcome = await invokeFunction(
        pool,
        'export default () => String(globalThis.leak) + String(({}).polluted)',
      )
      expect(outcome.result).toBe('undefinedundefined')
    }
  })

  it('runs module code once per invocation, in a fresh context, also when it was evaluated ahead', async () => {
    const counting =
      'globalThis.runs = (globalThis.runs ?? 0) + 1\nexport default () => String(globalThis.runs)'
    const other = 'globalThis.runs = 100\nexport default () => String(globalThis.runs)'
    const results: string[] = []
    for (const code of [counting, counting, counting, other, counting, other, other]) {
      results.push((await invokeFunction(pool, code)).result as string)
    }
    expect(results).toEqual(['1', '1', '1', '100', '1', '100', '100'])
  })

  it('keeps the logs of module code that runs on every invocation', async () => {
    const code = 'console.log("module init")\nexport default () => "ok"'
    for (let i = 0; i < 3; i++) {
      const outcome = await invokeFunction(pool, code)
      expect(outcome.logs).toEqual([{ level: 'log', message: 'module init' }])
    }
  })

  it('measures duration from the start of evaluation', async () => {
    const outcome = await invokeFunction(
      pool,
      'export default () => new Promise((resolve) => setTimeout(() => resolve("done"), 50))',
    )
    expect(outcome.stats.durationMs).toBeGreaterThanOrEqual(49)
    expect(outcome.stats.durationMs).toBeLessThan(5_000)
  })
})

describe('console', () => {
  it('captures every level, formatting values like a browser console', async () => {
    const outcome = await invokeFunction(
      pool,
      `export default () => {
        console.log('a', 1, { b: [2] }, null, undefined, 5n)
        console.info('info'); console.warn('warn'); console.error(new TypeError('oops')); console.debug(new Uint8Array([1, 2]))
        return 'ok'
      }`,
    )
    expect(outcome.logs.map((entry) => entry.level)).toEqual(['log', 'info', 'warn', 'error', 'debug'])
    expect(outcome.logs[0]?.message).toBe('a 1 {"b":[2]} null undefined 5n')
    expect(outcome.logs[3]?.message).toMatch(/^TypeError: oops/)
    expect(outcome.logs[4]?.message).toBe('{"0":1,"1":2}')
  })

  it('keeps logs of a failed invocation', async () => {
    const outcome = await invokeFunction(
      pool,
      'export default () => { console.log("before"); throw new Error("x") }',
    )
    expect(codeOf(outcome)).toBe('FUNCTION_ERROR')
    expect(outcome.logs).toEqual([{ level: 'log', message: 'before' }])
  })

  it('stops at the log limit and says how much it dropped', async () => {
    const outcome = await invokeFunction(
      pool,
      'export default () => { for (let i = 0; i < 100; i++) console.log("x".repeat(99)); return "ok" }',
      { limits: { logBytes: 1000 } },
    )
    expect(outcome.ok).toBe(true)
    const kept = outcome.logs.slice(0, -1).reduce((sum, entry) => sum + entry.message.length, 0)
    expect(kept).toBe(1000)
    expect(outcome.logs.at(-1)).toEqual({
      level: 'warn',
      message: '[teefn: log limit of 1000 bytes reached; later output was dropped]',
    })
  })

  it('masks secret values in logs and error messages', async () => {
    const outcome = await invokeFunction(
      pool,
      `export default (request, secrets) => {
        console.log('calling with', secrets.apiKey, JSON.stringify(secrets))
        throw new Error('upstream refused key ' + secrets.apiKey)
      }`,
      { secrets: { apiKey: 'sk_live_0123456789' } },
    )
    const everything = JSON.stringify(outcome)
    expect(everything).not.toContain('sk_live_0123456789')
    expect(outcome.logs[0]?.message).toBe('calling with [redacted] {"apiKey":"[redacted]"}')
    expect(outcome.error?.message).toMatch(/^Error: upstream refused key \[redacted\]/)
  })
})

describe('encoding, crypto, base64 and timers', () => {
  it('round-trips UTF-8 with TextEncoder and TextDecoder, and decodes fatally when asked', async () => {
    const outcome = await invokeFunction(
      pool,
      `export default () => {
        const bytes = new TextEncoder().encode('héllo €𝄞')
        const text = new TextDecoder().decode(bytes)
        let fatal = 'no error'
        try { new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array([0xff])) } catch (e) { fatal = e.name }
        const lenient = new TextDecoder().decode(new Uint8Array([0x61, 0xff]))
        return JSON.stringify([bytes.length, text, fatal, lenient])
      }`,
    )
    expect(JSON.parse(outcome.result as string)).toEqual([14, 'héllo €𝄞', 'TypeError', 'a\ufffd'])
  })

  it('implements atob and btoa, refusing what browsers refuse', async () => {
    const outcome = await invokeFunction(
      pool,
      `export default () => {
        const errors = []
        try { btoa('€') } catch (e) { errors.push(e.name) }
        try { atob('a') } catch (e) { errors.push(e.name) }
        return JSON.stringify([btoa('hello\\u00ff'), atob('aGVsbG8='), atob(' aGVs bG8 '), errors])
      }`,
    )
    expect(JSON.parse(outcome.result as string)).toEqual([
      Buffer.from('hello\u00ff', 'latin1').toString('base64'),
      'hello',
      'hello',
      ['InvalidCharacterError', 'InvalidCharacterError'],
    ])
  })

  it('keeps NUL characters in a string result and a string fetch body', async () => {
    const outcome = await invokeFunction(
      pool,
      `export default async (url) => {
        const response = await fetch(url, { method: 'POST', body: 'a\\u0000b' })
        const { body } = await response.json()
        return body + '\\u0000' + body.length
      }`,
      { request: server.url, allowHosts: [`127.0.0.1:${server.port}`] },
    )
    expect(outcome.error).toBeNull()
    expect(outcome.result).toBe('a\0b\u00003')
  })

  it('keeps NUL characters across the host boundary: atob, btoa, TextDecoder and TextEncoder', async () => {
    const outcome = await invokeFunction(
      pool,
      `export default () => JSON.stringify([
        Array.from(atob('AEQAAQ=='), (c) => c.charCodeAt(0)),
        btoa('\\u0000a\\u0000'),
        new TextDecoder().decode(new Uint8Array([0, 65, 0, 66])),
        Array.from(new TextEncoder().encode('\\u0000x\\u0000')),
      ])`,
    )
    expect(JSON.parse(outcome.result as string)).toEqual([
      [0, 68, 0, 1],
      Buffer.from('\0a\0', 'latin1').toString('base64'),
      '\0A\0B',
      [0, 120, 0],
    ])
  })

  it('fills integer arrays with crypto.getRandomValues and refuses more than 64 KiB', async () => {
    const outcome = await invokeFunction(
      pool,
      `export default () => {
        const a = crypto.getRandomValues(new Uint8Array(32))
        const b = crypto.getRandomValues(new Uint32Array(8))
        let tooBig = ''; try { crypto.getRandomValues(new Uint8Array(65537)) } catch (e) { tooBig = e.name }
        let floats = ''; try { crypto.getRandomValues(new Float64Array(2)) } catch (e) { floats = e.name }
        return JSON.stringify([Array.from(a), Array.from(b), tooBig, floats, crypto.randomUUID()])
      }`,
    )
    const [a, b, tooBig, floats, uuid] = JSON.parse(outcome.result as string)
    expect(new Set(a).size).toBeGreaterThan(8)
    expect(b.some((value: number) => value > 0xffff)).toBe(true)
    expect([tooBig, floats]).toEqual(['RangeError', 'TypeError'])
    expect(uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
  })

  it('runs setTimeout callbacks in order, with arguments, and honours clearTimeout', async () => {
    const outcome = await invokeFunction(
      pool,
      `export default () => new Promise((resolve) => {
        const seen = []
        setTimeout((x) => seen.push(x), 30, 'late')
        const cancelled = setTimeout(() => seen.push('cancelled'), 10)
        setTimeout(() => seen.push('early'), 5)
        clearTimeout(cancelled)
        queueMicrotask(() => seen.push('microtask'))
        setTimeout(() => resolve(seen.join(',')), 60)
      })`,
    )
    expect(outcome.result).toBe('microtask,early,late')
  })

  it('logs an exception thrown in a timer callback and keeps running', async () => {
    const outcome = await invokeFunction(
      pool,
      `export default () => new Promise((resolve) => {
        setTimeout(() => { throw new Error('in timer') }, 0)
        setTimeout(() => resolve('still here'), 20)
      })`,
    )
    expect(outcome.result).toBe('still here')
    expect(outcome.logs).toEqual([
      { level: 'error', message: 'Uncaught in a setTimeout callback: Error: in timer' },
    ])
  })

  it('does not let a timer extend the deadline', async () => {
    const started = performance.now()
    const outcome = await invokeFunction(
      pool,
      'export default () => new Promise((resolve) => setTimeout(() => resolve("late"), 5000))',
      { limits: { timeoutMs: 300 } },
    )
    expect(codeOf(outcome)).toBe('TIMEOUT')
    expect(performance.now() - started).toBeLessThan(300 + 100)
  })
})

describe('deriveSecret', () => {
  const derive = (functionKey: Uint8Array | undefined, paths: string[]) =>
    invokeFunction(
      pool,
      `export default () => JSON.stringify(${JSON.stringify(paths)}.map((path) => Array.from(deriveSecret(path))))`,
      { functionKey },
    )

  it('is deterministic for (function key, path) and differs across keys and paths', async () => {
    const keyA = new Uint8Array(32).fill(1)
    const keyB = new Uint8Array(32).fill(2)
    const [a1, a2] = JSON.parse((await derive(keyA, ['wallet', 'encryption'])).result as string)
    const [again] = JSON.parse((await derive(keyA, ['wallet'])).result as string)
    const [b1] = JSON.parse((await derive(keyB, ['wallet'])).result as string)
    expect(a1).toHaveLength(32)
    expect(again).toEqual(a1)
    expect(a2).not.toEqual(a1)
    expect(b1).not.toEqual(a1)
  })

  it('explains itself when the invocation has no function key', async () => {
    const outcome = await derive(undefined, ['wallet'])
    expect(codeOf(outcome)).toBe('FUNCTION_ERROR')
    expect(outcome.error?.message).toMatch(/deriveSecret: this invocation has no function key/)
  })
})

describe('teefnCompatOutput', () => {
  it("carries a compat runtime's side outputs, by name, beside the result; the last value of a name wins", async () => {
    const outcome = await invokeFunction(
      pool,
      `export default () => {
        teefnCompatOutput('storage', { count: '1' })
        teefnCompatOutput('storage', { count: '2' })
        teefnCompatOutput('signatures', { sig1: { r: '0x01' } })
        return 'ok'
      }`,
    )
    expect(outcome.result).toBe('ok')
    expect(outcome.compat).toEqual({ storage: { count: '2' }, signatures: { sig1: { r: '0x01' } } })
  })

  it('refuses a name that is not an identifier, and outputs over 256 Ki characters', async () => {
    const badName = await invokeFunction(pool, `export default () => teefnCompatOutput('a b', 1)`)
    expect(badName.error?.message).toMatch(/name must be an identifier/)
    const huge = await invokeFunction(
      pool,
      `export default () => teefnCompatOutput('big', 'x'.repeat(300 * 1024))`,
    )
    expect(huge.error?.message).toMatch(/side outputs are limited to 262144 characters/)
    expect(huge.compat).toBeUndefined()
  })

  it('is absent from the outcome of a function that reports nothing', async () => {
    const outcome = await invokeFunction(pool, `export default () => 'plain'`)
    expect(outcome).not.toHaveProperty('compat')
  })
})

describe('fetch', () => {
  const allow = () => ({ allowHosts: [`127.0.0.1:${server.port}`] })

  it('GETs with headers and reads status, headers and a JSON body', async () => {
    const outcome = await invokeFunction(
      pool,
      `export default async (request) => {
        const response = await fetch(request + '/data', { headers: { 'X-Token': 't1' } })
        const body = await response.json()
        return JSON.stringify([response.status, response.ok, response.headers.get('X-ECHO'), response.headers.get('content-type'), body.method, body.path])
      }`,
      { request: server.url, ...allow() },
    )
    expect(JSON.parse(outcome.result as string)).toEqual([
      200,
      true,
      't1',
      'application/json',
      'GET',
      '/data',
    ])
    expect(outcome.stats.fetches).toBe(1)
  })

  it('takes headers as an object, an array of pairs or Headers, and lists the response headers', async () => {
    const outcome = await invokeFunction(
      pool,
      `export default async (base) => {
        const echoed = []
        for (const headers of [{ 'x-token': 'a' }, [['X-Token', 'b']], new Headers({ 'x-token': 'c' })]) {
          const response = await fetch(base, { headers })
          echoed.push(response.headers.get('x-echo'))
        }
        const response = await fetch(base)
        const names = response.headers.keys()
        let seen = 0
        response.headers.forEach((value, name) => { if (name === 'content-type') seen++ })
        return JSON.stringify([echoed, names.includes('content-type'), seen, response.headers.has('X-ECHO'), response.bodyUsed, typeof Response])
      }`,
      { request: server.url, ...allow() },
    )
    expect(JSON.parse(outcome.result as string)).toEqual([['a', 'b', 'c'], true, 1, true, false, 'function'])
  })

  it('reads headers and crossOriginHeaders whole after the wasm memory grew (a large bundle loaded)', async () => {
    // A fresh thread: its wasm memory grows during this run, after the context was made.
    const fresh = await createSandboxPool({ threads: 1 })
    try {
      const outcome = await invokeFunction(
        fresh,
        `export default async (base) => {
          const grown = new Uint8Array(40 * 1024 * 1024).fill(1)
          const echoed = []
          for (const headers of [{ 'x-token': 'a' }, [['X-Token', 'b']]]) {
            const response = await fetch(base, { headers, crossOriginHeaders: ['x-token'] })
            echoed.push(response.headers.get('x-echo'))
          }
          return JSON.stringify([echoed, grown.length])
        }`,
        { request: server.url, ...allow() },
      )
      expect(JSON.parse(outcome.result as string)).toEqual([['a', 'b'], 40 * 1024 * 1024])
    } finally {
      await fresh.close()
    }
  })

  it('POSTs string and byte bodies and reads text and arrayBuffer', async () => {
    const outcome = await invokeFunction(
      pool,
      `export default async (base) => {
        const a = await (await fetch(base + '/a', { method: 'post', body: 'plain' })).text()
        const b = await (await fetch(base + '/b', { method: 'PUT', body: new TextEncoder().encode('bytes') })).arrayBuffer()
        const missing = await fetch(base + '/missing')
        return JSON.stringify([JSON.parse(a), JSON.parse(new TextDecoder().decode(b)), missing.status, missing.ok])
      }`,
      { request: server.url, ...allow() },
    )
    expect(JSON.parse(outcome.result as string)).toEqual([
      { method: 'POST', path: '/a', body: 'plain' },
      { method: 'PUT', path: '/b', body: 'bytes' },
      404,
      false,
    ])
  })

  it('refuses to read a body twice', async () => {
    const outcome = await invokeFunction(
      pool,
      `export default async (base) => {
        const response = await fetch(base)
        await response.text()
        try { await response.text(); return 'read twice' } catch (e) { return e.name + ': ' + e.message }
      }`,
      { request: server.url, ...allow() },
    )
    expect(outcome.result).toBe('TypeError: Response: body has already been read')
  })

  it('runs fetches concurrently', async () => {
    const outcome = await invokeFunction(
      pool,
      `export default async (base) => {
        const started = Date.now()
        await Promise.all([1, 2, 3, 4].map(() => fetch(base + '/slow?ms=300').then((r) => r.text())))
        return String(Date.now() - started)
      }`,
      { request: server.url, ...allow() },
    )
    // Four 300 ms requests one after another would take 1200 ms.
    expect(Number(outcome.result)).toBeLessThan(900)
  })

  it('denies loopback unless the host is allowed, with a code and a reason', async () => {
    const seenBefore = server.requests.length
    const outcome = await invokeFunction(
      pool,
      `export default async (base) => {
        try { await fetch(base); return 'fetched' } catch (e) { return JSON.stringify([e.name, e.code, e.message]) }
      }`,
      { request: server.url },
    )
    const [name, code, message] = JSON.parse(outcome.result as string)
    expect([name, code]).toEqual(['FetchError', 'HOST_NOT_ALLOWED'])
    expect(message).toMatch(/loopback/)
    expect(server.requests.length).toBe(seenBefore)
  })
})

describe('Headers and Response built by the function', () => {
  it('behave like the WHATWG ones, also after the function replaces the built-ins they use', async () => {
    const outcome = await invokeFunction(
      pool,
      `export default async () => {
        const headers = new Headers([['X-A', '1']]) // the first web API touched: its built-ins are captured now
        const fail = () => { throw new Error('tampered') }
        Map.prototype.get = Map.prototype.set = Array.prototype.push = Array.prototype.join = fail
        String.prototype.toLowerCase = String.prototype.trim = fail
        headers.append('x-a', '2')
        headers.set('Content-Type', 'text/plain')
        headers.delete('missing')
        const response = new Response('{"n":1}', { status: 201, headers, url: 'u' })
        const json = await response.json()
        let twice = ''
        try { await response.text() } catch (e) { twice = e.name + ': ' + e.message }
        const empty = new Response()
        return JSON.stringify([
          headers.get('X-A'), headers.has('content-type'), [...headers], [...headers.keys()],
          response.status, response.ok, response.statusText, response.url, response.redirected,
          response.headers === headers, json, response.bodyUsed, twice,
          await new Response(new Uint8Array([104, 105])).text(),
          empty.status, (await empty.arrayBuffer()).byteLength,
          new TextDecoder(' UTF-8 ').decode(new Uint8Array([104, 105])),
        ])
      }`,
    )
    expect(JSON.parse(outcome.result as string)).toEqual([
      '1, 2',
      true,
      [
        ['x-a', '1, 2'],
        ['content-type', 'text/plain'],
      ],
      ['x-a', 'content-type'],
      201,
      true,
      '',
      'u',
      false,
      true,
      { n: 1 },
      true,
      'TypeError: Response: body has already been read',
      'hi',
      200,
      0,
      'hi',
    ])
  })
})

describe('limits', () => {
  it('refuses a limit above the operator maximum before running anything', async () => {
    const error = await invokeFunction(pool, 'export default () => "x"', {
      limits: { timeoutMs: 3_600_000 },
    }).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(LimitExceedsMaximumError)
    expect((error as Error).message).toMatch(/timeoutMs: asked 3600000, maximum 60000/)
  })

  it('lets a call raise or lower its memory limit', async () => {
    const allocate40MiB = `export default () => {
      const blocks = []
      for (let i = 0; i < 40; i++) blocks.push(new Uint8Array(1024 * 1024).fill(i))
      return String(blocks.length)
    }`
    expect((await invokeFunction(pool, allocate40MiB)).result).toBe('40')
    const lowered = await invokeFunction(pool, allocate40MiB, { limits: { memoryBytes: 16 * 1024 * 1024 } })
    expect(codeOf(lowered)).toBe('MEMORY_LIMIT')
    expect(lowered.error?.message).toBe('The function used more than its 16 MiB memory limit.')
    const raised = await invokeFunction(pool, allocate40MiB.replace('40;', '120;'), {
      limits: { memoryBytes: 200 * 1024 * 1024 },
    })
    expect(raised.result).toBe('120')
  })

  it('applies a lower result limit', async () => {
    const outcome = await invokeFunction(pool, 'export default () => new Uint8Array(101)', {
      limits: { resultBytes: 100 },
    })
    expect(codeOf(outcome)).toBe('RESULT_TOO_LARGE')
  })

  it('limits fetches per invocation', async () => {
    const outcome = await invokeFunction(
      pool,
      `export default async (base) => {
        const codes = []
        for (let i = 0; i < 3; i++) { try { await fetch(base); codes.push('ok') } catch (e) { codes.push(e.code) } }
        return codes.join(',')
      }`,
      { request: server.url, allowHosts: [`127.0.0.1:${server.port}`], limits: { maxFetches: 2 } },
    )
    expect(outcome.result).toBe('ok,ok,TOO_MANY_REQUESTS')
    expect(outcome.stats.fetches).toBe(2)
  })
})

describe('the pool', () => {
  it('spreads concurrent invocations over its threads', async () => {
    // Each reports when it ran; on one thread the two spans could not overlap.
    const busy =
      'export default () => { const start = Date.now(); while (Date.now() < start + 200) {} return JSON.stringify([start, Date.now()]) }'
    const outcomes = await Promise.all([invokeFunction(pool, busy), invokeFunction(pool, busy)])
    const [[startA, endA], [startB, endB]] = outcomes.map((outcome) => JSON.parse(outcome.result as string))
    expect(startA < endB && startB < endA).toBe(true)
  })

  it('keeps a thread for chain invocations: HTTP ones that sleep hold at most httpThreads, and chain ones go first', async () => {
    const held: ServerResponse[] = []
    const hold = await startHttpServer((_request, response) => {
      held.push(response)
    })
    try {
      // Two threads, so one is HTTP's (httpThreads defaults to threads - 1).
      const sleeper = `export default async () => (await fetch('${hold.url}/hold')).text()`
      const http = { requestId: 'h', trigger: 'http', codeHash: '0x01' } as const
      const ended: string[] = []
      const sleeping = [1, 2, 3].map((n) =>
        invokeFunction(pool, sleeper, { context: http, allowHosts: [`127.0.0.1:${hold.port}`] }).then(
          (outcome) => {
            ended.push(`http ${n}`)
            return outcome
          },
        ),
      )
      while (held.length < 1) await new Promise((resolve) => setTimeout(resolve, 10))
      expect(pool.stats()).toMatchObject({ httpThreads: 1, busyHttp: 1, queued: 2 })
      // Queued after two HTTP invocations, it runs on the thread they may not take.
      const chain = await invokeFunction(pool, 'export default (r) => "chain " + r', {
        request: '0x01',
        context: { requestId: 'c', trigger: 'evm', codeHash: '0x02' },
      })
      ended.push('chain')
      expect(chain.result).toBe('chain 0x01')
      expect(held).toHaveLength(1)
      for (;;) {
        for (const response of held.splice(0)) response.end('slept')
        if (ended.length === 4) break
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
      expect(ended).toEqual(['chain', 'http 1', 'http 2', 'http 3'])
      expect((await Promise.all(sleeping)).map((outcome) => outcome.result)).toEqual([
        'slept',
        'slept',
        'slept',
      ])
    } finally {
      for (const response of held.splice(0)) response.end('late')
      await hold.close()
    }
  })

  it('refuses fewer than one HTTP thread', async () => {
    await expect(createSandboxPool({ threads: 1, httpThreads: 0 })).rejects.toMatchObject({
      code: 'INVALID_HTTP_THREADS',
    })
  })

  it('rejects invocations after close', async () => {
    const closing = await createSandboxPool({ threads: 1 })
    await closing.close()
    await expect(invokeFunction(closing, 'export default () => "x"')).rejects.toBeInstanceOf(PoolClosedError)
  })
})
