import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSandboxPool, type SandboxPool } from '../runtime/sandbox/index.js'
import { computeCodeHash } from '../runtime/store/computeCodeHash.js'
import { maxBundleBytes } from '../runtime/store/limits.js'
import { ApiError } from './ApiError.js'
import { validateBundle } from './validateBundle.js'

let pool: SandboxPool

beforeAll(async () => {
  pool = await createSandboxPool({ threads: 1 })
})

afterAll(async () => {
  await pool?.close()
})

/** `null`: no probe pool. */
const check = (code: string, probe: SandboxPool | null = pool) =>
  validateBundle({ code, codeHash: computeCodeHash(code), probe: probe ?? undefined })

async function refusal(code: string, probe: SandboxPool | null = pool): Promise<ApiError> {
  try {
    await check(code, probe)
  } catch (error) {
    if (error instanceof ApiError) return error
    throw error
  }
  throw new Error('the bundle was accepted')
}

describe('validateBundle', () => {
  it('accepts ES modules whose default export is a function, in its usual forms', async () => {
    for (const code of [
      'export default function main(request) { return request }',
      'export default async (request) => request',
      'function main() { return 1 }\nexport { main as default }',
      'const helper = (x) => x * 2\nexport default class Main {}',
      'const value = await Promise.resolve(1)\nexport default () => value',
    ]) {
      await expect(check(code), code).resolves.toBeUndefined()
    }
  })

  it('refuses a bundle over 1 MiB with 413', async () => {
    const code = `export default () => 1\n//${'x'.repeat(maxBundleBytes)}`
    expect(await refusal(code)).toMatchObject({ statusCode: 413, code: 'BUNDLE_TOO_LARGE' })
    expect((await refusal(code)).shortMessage).toContain(`the limit is ${maxBundleBytes}`)
  })

  it('refuses empty text and lone UTF-16 surrogates (no UTF-8 form)', async () => {
    expect(await refusal('  \n')).toMatchObject({ statusCode: 400, code: 'BUNDLE_EMPTY' })
    expect(await refusal('export default () => "\ud800"')).toMatchObject({ code: 'BUNDLE_NOT_UTF8' })
  })

  it('refuses a syntax error, naming the line and column', async () => {
    const error = await refusal('export default function main(request) {\n  return request +\n}\n')
    expect(error).toMatchObject({ statusCode: 400, code: 'BUNDLE_SYNTAX_ERROR' })
    expect(error.shortMessage).toMatch(/Unexpected "}" at line 3, column 1/)
    // TypeScript is not JavaScript: bundles are built first.
    expect(await refusal('export default (request: string) => request')).toMatchObject({
      code: 'BUNDLE_SYNTAX_ERROR',
    })
  })

  it('refuses CommonJS and scripts as not ES modules', async () => {
    const commonJs = await refusal('module.exports = function main(request) { return request }')
    expect(commonJs).toMatchObject({ code: 'BUNDLE_NOT_ES_MODULE' })
    expect(commonJs.shortMessage).toContain('CommonJS')
    expect((await refusal('function main() {}')).shortMessage).toContain('no export statement')
  })

  it('refuses imports the sandbox cannot resolve, static or dynamic', async () => {
    const error = await refusal('import { z } from "zod"\nexport default () => z')
    expect(error).toMatchObject({ code: 'BUNDLE_HAS_IMPORTS' })
    expect(error.shortMessage).toContain('"zod"')
    expect(await refusal('export default async () => (await import("./other.js")).x')).toMatchObject({
      code: 'BUNDLE_HAS_IMPORTS',
    })
  })

  it('refuses a module without a default export, listing what it exports', async () => {
    const error = await refusal('export function main() {}\nexport const version = 1')
    expect(error).toMatchObject({ code: 'BUNDLE_NO_DEFAULT_EXPORT' })
    expect(error.shortMessage).toContain('it exports main, version')
  })

  it('refuses a default export that is not a function when a probe pool loads it', async () => {
    const error = await refusal('export default { main() {} }')
    expect(error).toMatchObject({ statusCode: 400, code: 'BUNDLE_NO_MAIN' })
    expect(error.shortMessage).toBe('the default export is an object, not a function.')
    expect((await refusal('export default 42')).shortMessage).toContain('a number')
    // Without a probe only the static checks run: the worker signs NO_MAIN when it is invoked.
    await expect(check('export default 42', null)).resolves.toBeUndefined()
  })

  it('leaves load-time failures that are not syntax to the invocation', async () => {
    await expect(check('throw new Error("not configured")\nexport default () => 1')).resolves.toBeUndefined()
  })
})
