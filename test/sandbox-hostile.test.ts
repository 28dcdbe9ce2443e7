import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Invocation, SandboxPool } from '../runtime/sandbox/index.js'
import { createSandboxPool } from '../runtime/sandbox/index.js'
import { codeOf, invokeFunction } from './support/invokeFunction.js'
import { type StartHttpServerReturnType, startHttpServer } from './support/startHttpServer.js'
import { streamBytes } from './support/streamBytes.js'

/**
 * Functions that try to hurt the worker. Each must end with the right code within its deadline plus
 * 100 ms, and the same pool must then run an ordinary function correctly.
 */
const timeoutMs = 1000
const healthyFunction = 'export default (request) => "healthy:" + request'

let pool: SandboxPool
let allowed: StartHttpServerReturnType
let other: StartHttpServerReturnType
/** Another origin the functions may reach (allowed too): where the redirect tests land. */
let target: StartHttpServerReturnType
/** Whether the server of `/gzip-layers` had sent its body when the client went away. */
const gzipLayers = { requests: 0, bodySent: 0, closedBeforeBody: 0 }
const MiB = 1024 * 1024

beforeAll(async () => {
  pool = await createSandboxPool({ threads: 2 })
  other = await startHttpServer((_request, response) => {
    response.end('you should not see this')
  })
  target = await startHttpServer((_request, response) => {
    response.end('landed')
  })
  let layeredBomb = Buffer.from('{"price":1}')
  for (let layer = 0; layer < 1500; layer++) layeredBomb = gzipSync(layeredBomb)
  allowed = await startHttpServer((request, response) => {
    const path = request.url ?? '/'
    if (path === '/to-target')
      return void response.writeHead(302, { location: `${target.url}/landing` }).end()
    if (path === '/to-self') return void response.writeHead(302, { location: '/landing' }).end()
    if (path === '/32-mib') {
      response.writeHead(200, { 'content-length': String(32 * MiB) })
      return void streamBytes(response, 32 * MiB)
    }
    if (path === '/gzip-layers') {
      // 1,500 stacked gzip layers, 36 KB on the wire. The body follows the headers only if the client is still
      // there a moment later: a fetch that refuses the encoding at the headers never gets a byte of it.
      gzipLayers.requests++
      const layers = Array.from({ length: 1500 }, () => 'gzip').join(', ')
      response.writeHead(200, {
        'content-encoding': layers,
        'content-length': String(layeredBomb.byteLength),
      })
      response.flushHeaders()
      const timer = setTimeout(() => {
        gzipLayers.bodySent++
        response.end(layeredBomb)
      }, 300)
      response.on('close', () => {
        if (!response.writableEnded) gzipLayers.closedBeforeBody++
        clearTimeout(timer)
      })
      return
    }
    if (path === '/to-other') return void response.writeHead(302, { location: `${other.url}/` }).end()
    if (path === '/to-metadata')
      return void response.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end()
    if (path === '/slow-headers') return void setTimeout(() => response.end('late'), 5_000)
    if (path === '/endless') {
      response.writeHead(200)
      const timer = setInterval(() => response.write('.'), 20)
      response.on('close', () => clearInterval(timer))
      return
    }
    if (path === '/huge') return void streamBytes(response, 1024 * 1024 * 1024)
    if (path === '/gzip-bomb') {
      response.writeHead(200, { 'content-encoding': 'gzip' })
      return void response.end(gzipSync(Buffer.alloc(64 * 1024 * 1024)))
    }
    response.end('ok')
  })
})

afterAll(async () => {
  await pool?.close()
  await allowed?.close()
  await other?.close()
  await target?.close()
})

type HostileCase = {
  name: string
  code: string
  /** The outcome's error code, or for functions that return what fetch threw: the fetch error code. */
  expected: string
  overrides?: () => Partial<Invocation>
}

const fetchCode = (url: string) =>
  `export default async (request) => { try { await fetch(${url}); return 'fetched' } catch (e) { return 'fetch:' + e.code } }`
const throughAllowed = (path: string) => () => ({
  request: allowed.url + path,
  allowHosts: [`127.0.0.1:${allowed.port}`],
})

const cases: HostileCase[] = [
  { name: 'busy loop', code: 'export default () => { for (;;) {} }', expected: 'TIMEOUT' },
  {
    name: 'busy async loop',
    code: 'export default async () => { await null; while (true) {} }',
    expected: 'TIMEOUT',
  },
  {
    name: 'busy loop at module top level',
    code: 'while (true) {}\nexport default () => "x"',
    expected: 'TIMEOUT',
  },
  {
    name: 'catastrophic regex backtracking',
    code: 'export default () => String(/^(a+)+$/.test("a".repeat(40) + "!"))',
    expected: 'TIMEOUT',
  },
  {
    name: 'memory bomb: arrays',
    code: 'export default () => { const a = []; for (;;) a.push(new Array(1000).fill(1.5)) }',
    expected: 'MEMORY_LIMIT',
  },
  {
    name: 'memory bomb: strings',
    code: 'export default () => { const a = []; let s = "x"; for (;;) { a.push(s + a.length); s += "yy" } }',
    expected: 'MEMORY_LIMIT',
  },
  {
    name: 'memory bomb: typed arrays',
    code: 'export default () => { const a = []; for (;;) a.push(new Uint8Array(8 * 1024 * 1024)) }',
    expected: 'MEMORY_LIMIT',
  },
  {
    name: 'memory bomb that catches out-of-memory and keeps going',
    code: 'export default () => { const a = []; for (;;) { try { a.push(new Array(1e5).fill(0)) } catch {} } }',
    expected: 'MEMORY_LIMIT|TIMEOUT',
  },
  {
    name: 'deep recursion',
    code: 'export default () => { const f = (n) => f(n + 1) + 1; return String(f(0)) }',
    expected: 'STACK_OVERFLOW',
  },
  {
    name: 'promise that never settles',
    code: 'export default () => new Promise(() => {})',
    expected: 'TIMEOUT',
  },
  {
    // Each link keeps the previous promise alive: the chain spins and grows, and whichever limit comes first ends it.
    name: 'endless microtask chain',
    code: 'export default () => new Promise(() => { const f = () => Promise.resolve().then(f); f() })',
    expected: 'TIMEOUT|MEMORY_LIMIT',
  },
  {
    name: 'endless timer chain',
    code: 'export default () => new Promise(() => { const f = () => setTimeout(f, 0); f() })',
    expected: 'TIMEOUT',
  },
  {
    name: 'timer flood',
    code: 'export default () => { for (let i = 0; i < 5000; i++) setTimeout(() => {}, 60000); return "x" }',
    expected: 'FUNCTION_ERROR',
  },
  {
    name: 'reaching for Node globals',
    code: `export default () => {
      const names = ['process', 'require', 'module', 'Buffer', 'global', '__dirname', 'WebAssembly', 'Deno', 'Bun']
      const found = names.filter((name) => typeof globalThis[name] !== 'undefined')
      const viaFunction = (() => { try { return typeof Function('return process')() } catch (e) { return 'threw' } })()
      const viaConstructor = typeof ({}).constructor.constructor('return this')().process
      if (found.length || viaFunction !== 'threw' || viaConstructor !== 'undefined') return 'escaped: ' + found
      return process.exit(1)
    }`,
    expected: 'FUNCTION_ERROR',
  },
  {
    name: 'dynamic import of a Node module',
    code: 'export default async () => { const fs = await import("node:fs"); return fs.readFileSync("/etc/passwd", "utf8") }',
    expected: 'FUNCTION_ERROR',
  },
  {
    name: 'prototype tampering before returning',
    code: `export default () => {
      JSON.stringify = () => '"forged"'; JSON.parse = () => ({})
      Array.prototype.push = () => { throw new Error('no') }
      Object.prototype.toJSON = () => 'forged'
      Promise.prototype.then = function () { return this }
      Object.defineProperty(Object.getPrototypeOf(Uint8Array.prototype), Symbol.toStringTag, { get: () => 'Uint8Array' })
      return 'genuine'
    }`,
    expected: 'OK',
  },
  {
    name: 'a fake Uint8Array result',
    code: `export default () => {
      const fake = Object.create(Uint8Array.prototype)
      Object.defineProperty(fake, 'buffer', { get: () => new ArrayBuffer(4) })
      return fake
    }`,
    expected: 'INVALID_RESULT',
  },
  { name: 'fetch to loopback', code: fetchCode('"http://127.0.0.1:1/"'), expected: 'fetch:HOST_NOT_ALLOWED' },
  {
    name: 'fetch to localhost by name',
    code: fetchCode('"http://localhost:1/"'),
    expected: 'fetch:HOST_NOT_ALLOWED',
  },
  {
    name: 'fetch to IPv6 loopback',
    code: fetchCode('"http://[::1]:1/"'),
    expected: 'fetch:HOST_NOT_ALLOWED',
  },
  {
    name: 'fetch to a private address',
    code: fetchCode('"http://10.0.0.1/"'),
    expected: 'fetch:HOST_NOT_ALLOWED',
  },
  {
    name: 'fetch to 192.168/16',
    code: fetchCode('"http://192.168.1.1/"'),
    expected: 'fetch:HOST_NOT_ALLOWED',
  },
  {
    name: 'fetch to the cloud metadata address',
    code: fetchCode('"http://169.254.169.254/latest/meta-data/"'),
    expected: 'fetch:HOST_NOT_ALLOWED',
  },
  {
    name: 'fetch to a mapped IPv6 loopback',
    code: fetchCode('"http://[::ffff:127.0.0.1]:1/"'),
    expected: 'fetch:HOST_NOT_ALLOWED',
  },
  {
    name: 'fetch with a file: URL',
    code: fetchCode('"file:///etc/passwd"'),
    expected: 'fetch:NETWORK_ERROR',
  },
  {
    name: 'redirect into a loopback port that is not allowed',
    code: fetchCode('request'),
    expected: 'fetch:HOST_NOT_ALLOWED',
    overrides: throughAllowed('/to-other'),
  },
  {
    name: 'redirect into the metadata address',
    code: fetchCode('request'),
    expected: 'fetch:HOST_NOT_ALLOWED',
    overrides: throughAllowed('/to-metadata'),
  },
  {
    name: 'slow response headers',
    code: fetchCode('request'),
    expected: 'fetch:TIMEOUT',
    overrides: () => ({ ...throughAllowed('/slow-headers')(), limits: { fetchTimeoutMs: 300 } }),
  },
  {
    name: 'endless response body',
    code: 'export default async (url) => { try { await (await fetch(url)).text(); return "read" } catch (e) { return "fetch:" + e.code } }',
    expected: 'fetch:TIMEOUT',
    overrides: () => ({ ...throughAllowed('/endless')(), limits: { fetchTimeoutMs: 300 } }),
  },
  {
    name: 'endless body past the invocation deadline',
    code: 'export default async (url) => { await (await fetch(url)).text(); return "read" }',
    expected: 'TIMEOUT',
    overrides: throughAllowed('/endless'),
  },
  {
    name: 'oversize body (1 GiB)',
    code: fetchCode('request'),
    expected: 'fetch:RESPONSE_TOO_LARGE',
    overrides: throughAllowed('/huge'),
  },
  {
    name: 'gzip bomb',
    code: fetchCode('request'),
    expected: 'fetch:RESPONSE_TOO_LARGE',
    overrides: throughAllowed('/gzip-bomb'),
  },
  {
    name: '1,500 stacked gzip layers',
    code: fetchCode('request'),
    expected: 'fetch:NETWORK_ERROR',
    overrides: throughAllowed('/gzip-layers'),
  },
  {
    name: 'too many fetches',
    code: `export default async (url) => {
      const results = await Promise.allSettled(Array.from({ length: 20 }, () => fetch(url)))
      const refused = results.filter((r) => r.status === 'rejected').map((r) => r.reason.code)
      return 'fetch:' + refused[0] + ':' + refused.length
    }`,
    expected: 'fetch:TOO_MANY_REQUESTS:4',
    overrides: throughAllowed('/'),
  },
  {
    name: 'huge string result',
    code: 'export default () => "x".repeat(10 * 1024 * 1024)',
    expected: 'RESULT_TOO_LARGE',
  },
  {
    name: 'huge bytes result',
    code: 'export default () => new Uint8Array(65537)',
    expected: 'RESULT_TOO_LARGE',
  },
  {
    name: 'huge log output',
    code: 'export default () => { for (let i = 0; i < 1e5; i++) console.log("x".repeat(1000)); return "done" }',
    expected: 'OK',
    // 100 MB of log lines take most of a second on a busy 2-core machine: this case is about the log bound.
    overrides: () => ({ limits: { timeoutMs: 5_000 } }),
  },
  { name: 'syntax error', code: 'export default function main( {', expected: 'SYNTAX_ERROR' },
  {
    name: 'an import the bundle did not resolve',
    code: 'import x from "left-pad"\nexport default x',
    expected: 'SYNTAX_ERROR',
  },
  { name: 'missing main', code: 'export const main = () => "named, not default"', expected: 'NO_MAIN' },
  { name: 'default export that is not a function', code: 'export default 42', expected: 'NO_MAIN' },
  {
    name: 'throwing a string',
    code: 'export default () => { throw "just a string" }',
    expected: 'FUNCTION_ERROR',
  },
  {
    name: 'throwing undefined',
    code: 'export default () => { throw undefined }',
    expected: 'FUNCTION_ERROR',
  },
  {
    name: 'rejecting with an object',
    code: 'export default () => Promise.reject({ toString() { throw 1 } })',
    expected: 'FUNCTION_ERROR',
  },
  {
    name: 'an error whose getters throw',
    code: 'export default () => { const e = new Error("x"); Object.defineProperty(e, "message", { get() { throw e } }); throw e }',
    expected: 'FUNCTION_ERROR',
  },
  {
    name: 'throwing a look-alike out-of-memory error',
    code: 'export default () => { throw new InternalError("out of memory") }',
    expected: 'MEMORY_LIMIT|FUNCTION_ERROR',
  },
]

describe('hostile functions', () => {
  for (const hostile of cases) {
    it(`${hostile.name} -> ${hostile.expected}`, async () => {
      const started = performance.now()
      const outcome = await invokeFunction(pool, hostile.code, {
        ...hostile.overrides?.(),
        limits: { timeoutMs, ...hostile.overrides?.().limits },
      })
      const elapsed = performance.now() - started
      const code =
        outcome.ok && String(outcome.result).startsWith('fetch:') ? String(outcome.result) : codeOf(outcome)
      expect(code).toMatch(new RegExp(`^(${hostile.expected})$`))
      expect(outcome.ok || outcome.error.message.length).toBeTruthy()
      // The deadline holds (no hostile function outlives it), with room for a busy 2-core machine's scheduling.
      expect(elapsed).toBeLessThan((hostile.overrides?.().limits?.timeoutMs ?? timeoutMs) + 500)

      const healthy = await invokeFunction(pool, healthyFunction, { request: hostile.name })
      expect(healthy).toMatchObject({ ok: true, result: `healthy:${hostile.name}` })
      // The sandbox knew the engine was unclean and dropped it, rather than freeing into it and aborting.
      expect(pool.stats().enginesAborted).toBe(0)
    })
  }

  it('never lets the other server see a request', () => {
    expect(other.requests).toEqual([])
  })
})

/**
 * The findings of the hardening review, each performed against the real pool and real local servers. Each test
 * failed with its fix switched off (the report of the change says how that was checked).
 */
describe('hostile functions: memory outside the sandbox, error descriptions, redirects', () => {
  it('16 concurrent 32 MiB bodies under a 64 MiB limit: the bodies count against it, and the host stays bounded', async () => {
    // Finding 3: the caller asks for the operator maxima (64 fetches of 32 MiB); bodies lived outside the
    // sandbox's accounting, so 16 of them took the host's RSS to 1.1 GB under a 64 MiB limit.
    const code = `export default async (url) => {
      const settled = await Promise.allSettled(Array.from({ length: 16 }, () => fetch(url)))
      const arrived = settled.filter((r) => r.status === 'fulfilled').length
      const refused = settled.filter((r) => r.status === 'rejected').map((r) => r.reason.code)
      return JSON.stringify({ arrived, refused, message: settled.find((r) => r.reason)?.reason.message })
    }`
    const rssBefore = process.memoryUsage().rss
    let rssPeak = rssBefore
    const sampler = setInterval(() => {
      rssPeak = Math.max(rssPeak, process.memoryUsage().rss)
    }, 2)
    const outcome = await invokeFunction(pool, code, {
      ...throughAllowed('/32-mib')(),
      limits: { timeoutMs: 10_000, memoryBytes: 64 * MiB, maxFetches: 64, fetchResponseBytes: 32 * MiB },
    })
    clearInterval(sampler)
    expect(outcome.ok, JSON.stringify(outcome.error)).toBe(true)
    const { arrived, refused, message } = JSON.parse(String(outcome.result)) as {
      arrived: number
      refused: string[]
      message: string
    }
    // At most what fits in 64 MiB arrived (the function's own heap counts too); the rest failed, naming the limit.
    expect(arrived).toBeLessThanOrEqual(2)
    expect(refused).toEqual(Array.from({ length: 16 - arrived }, () => 'MEMORY_LIMIT'))
    expect(message).toContain("does not fit in what is left of the invocation's 64 MiB memory limit")
    // The process (pool threads, this test and its servers together) grew by less than a third of the 512 MiB
    // the bodies would have taken.
    expect(rssPeak - rssBefore).toBeLessThan(192 * MiB)
  })

  it('1,500 stacked gzip layers are refused at the headers: no byte of the body is read or decoded', async () => {
    // Finding 3: the same 36 KB cost 8.6 s of CPU per fetch, unwrapped layer by layer.
    const before = { ...gzipLayers }
    const outcome = await invokeFunction(
      pool,
      `export default async (url) => {
        try { await fetch(url); return 'fetched' } catch (e) { return e.code + ': ' + e.message }
      }`,
      { ...throughAllowed('/gzip-layers')(), limits: { timeoutMs: 5_000 } },
    )
    expect(outcome.ok).toBe(true)
    expect(String(outcome.result)).toMatch(
      /^NETWORK_ERROR: .* is encoded 1500 times; at most 2 content-encoding layers are decoded\./,
    )
    expect(gzipLayers.requests - before.requests).toBe(1)
    // The client went away before the server sent its body: nothing was there to decode.
    await waitFor(() => gzipLayers.closedBeforeBody - before.closedBeforeBody === 1)
    expect(gzipLayers.bodySent - before.bodySent).toBe(0)
  })

  const allocate200MiB = 'const a = []; for (let i = 0; i < 200; i++) a.push(new Uint8Array(1024 * 1024))'

  it("a thrown error's message getter that allocates 200 MiB under 64 MiB never runs", async () => {
    // Finding 6: the limit was lifted while a thrown value was described, and its getters ran.
    const outcome = await invokeFunction(
      pool,
      `export default () => {
        const e = new Error('plain')
        Object.defineProperty(e, 'message', { get() { console.log('getter ran'); ${allocate200MiB}; return 'from the getter' } })
        throw e
      }`,
      { limits: { timeoutMs: 5_000, memoryBytes: 64 * MiB } },
    )
    expect(outcome).toMatchObject({ ok: false, error: { code: 'FUNCTION_ERROR' } })
    expect(outcome.error!.message).toMatch(/^Error: {1,2}at /)
    expect(outcome.error!.message).not.toContain('from the getter')
    expect(outcome.logs).toEqual([])
  })

  it('inherited getters, toString and toJSON of a thrown value never run either', async () => {
    const outcome = await invokeFunction(
      pool,
      `export default () => {
        Object.defineProperty(Error.prototype, 'message', { get() { console.log('prototype getter ran'); return 'x' } })
        Object.defineProperty(Error.prototype, 'name', { get() { console.log('name getter ran'); return 'x' } })
        class QuietError extends Error {}
        throw new QuietError()
      }`,
      { limits: { timeoutMs: 5_000 } },
    )
    expect(outcome).toMatchObject({ ok: false, error: { code: 'FUNCTION_ERROR' } })
    // The class is found by identity on the prototype chain; no property of the chain is read.
    expect(outcome.error!.message).toMatch(/^Error: {1,2}at /)
    expect(outcome.logs).toEqual([])
    const plain = await invokeFunction(
      pool,
      `export default () => { throw { code: 42, why: 'x', toString() { console.log('toString ran'); return 'y' } } }`,
    )
    expect(plain.error?.message).toBe(
      'a non-Error value was thrown: {"code":42,"why":"x","toString":"[function]"}',
    )
    expect(plain.logs).toEqual([])
  })

  it('a thrown Proxy whose traps allocate 200 MiB under 64 MiB ends as MEMORY_LIMIT: the limit stays on', async () => {
    const outcome = await invokeFunction(
      pool,
      `export default () => {
        const trap = () => { ${allocate200MiB}; return Error.prototype }
        throw new Proxy({}, { getPrototypeOf: trap, getOwnPropertyDescriptor: trap, ownKeys: () => { ${allocate200MiB}; return [] } })
      }`,
      { limits: { timeoutMs: 5_000, memoryBytes: 64 * MiB } },
    )
    expect(codeOf(outcome)).toBe('MEMORY_LIMIT')
    const healthy = await invokeFunction(pool, healthyFunction, { request: 'after the proxy' })
    expect(healthy).toMatchObject({ ok: true, result: 'healthy:after the proxy' })
  })

  const redirectCode = (init: string) => `export default async (url) => {
    const response = await fetch(url, ${init})
    return response.url + ' ' + (await response.text())
  }`
  const secretHeaders =
    "{ 'x-api-key': 'k-s3cret', authorization: 'Bearer s3cret', 'x-trace': 't', accept: 'text/plain' }"

  it('a redirect to another origin carries no custom header: x-api-key stays behind', async () => {
    // Finding 7: only authorization, cookie and proxy-authorization were dropped; x-api-key reached the other origin.
    const seen = target.requests.length
    const outcome = await invokeFunction(pool, redirectCode(`{ headers: ${secretHeaders} }`), {
      request: `${allowed.url}/to-target`,
      allowHosts: [`127.0.0.1:${allowed.port}`, `127.0.0.1:${target.port}`],
    })
    expect(outcome).toMatchObject({ ok: true, result: `${target.url}/landing landed` })
    const [landing] = target.requests.slice(seen)
    expect(landing!.headers['x-api-key']).toBeUndefined()
    expect(landing!.headers.authorization).toBeUndefined()
    expect(landing!.headers['x-trace']).toBeUndefined()
    expect(landing!.headers.accept).toBe('text/plain')
    expect(JSON.stringify(landing!.headers)).not.toContain('s3cret')
  })

  it('a header the function names in crossOriginHeaders follows the redirect; a same-origin redirect keeps all', async () => {
    const seen = target.requests.length
    const allowHosts = [`127.0.0.1:${allowed.port}`, `127.0.0.1:${target.port}`]
    const named = await invokeFunction(
      pool,
      redirectCode(`{ headers: ${secretHeaders}, crossOriginHeaders: ['X-Api-Key'] }`),
      { request: `${allowed.url}/to-target`, allowHosts },
    )
    expect(named.ok).toBe(true)
    const [landing] = target.requests.slice(seen)
    expect(landing!.headers['x-api-key']).toBe('k-s3cret')
    expect(landing!.headers.authorization).toBeUndefined()

    const seenHere = allowed.requests.length
    const same = await invokeFunction(pool, redirectCode(`{ headers: ${secretHeaders} }`), {
      request: `${allowed.url}/to-self`,
      allowHosts,
    })
    expect(same).toMatchObject({ ok: true, result: `${allowed.url}/landing ok` })
    const [, sameLanding] = allowed.requests.slice(seenHere)
    expect(sameLanding!.headers).toMatchObject({
      'x-api-key': 'k-s3cret',
      authorization: 'Bearer s3cret',
      'x-trace': 't',
    })
  })
})

async function waitFor(condition: () => boolean): Promise<void> {
  for (let attempt = 0; attempt < 200 && !condition(); attempt++) await new Promise((r) => setTimeout(r, 10))
  expect(condition()).toBe(true)
}
