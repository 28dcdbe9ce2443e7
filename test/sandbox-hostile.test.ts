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

beforeAll(async () => {
  pool = await createSandboxPool({ threads: 2 })
  other = await startHttpServer((_request, response) => {
    response.end('you should not see this')
  })
  allowed = await startHttpServer((request, response) => {
    const path = request.url ?? '/'
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
      expect(elapsed).toBeLessThan(timeoutMs + 100)

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
