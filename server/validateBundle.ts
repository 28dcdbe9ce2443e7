import type { Message } from 'esbuild'
import type { Hex } from '../runtime/bytes.js'
import type { SandboxPool } from '../runtime/sandbox/createSandboxPool.js'
import { maxBundleBytes } from '../runtime/store/limits.js'
import { ApiError } from './ApiError.js'
import { type BundleAnalyzer, isBuildFailure, sharedBundleAnalyzer } from './createBundleAnalyzer.js'
import type { ApiErrorCode } from './errorCodes.js'
import { maxBundleNesting, scanBundleNesting } from './scanBundleNesting.js'

export type ValidateBundleParameters = {
  code: string
  codeHash: Hex
  /**
   * A sandbox pool to load the module in, to check that its default export is a function. Without it, only
   * the static checks run (the worker then signs `NO_MAIN` for a non-function default export at run time).
   */
  probe?: SandboxPool | undefined
  /** esbuild, restarted when it dies (`sharedBundleAnalyzer()` by default). */
  analyzer?: BundleAnalyzer | undefined
}

const probeTimeoutMs = 2_000

/**
 * Refuses a bundle the worker could never run, with a message that names the problem:
 * 1. size (413 over 1 MiB) and well-formed UTF-8 text;
 * 2. nesting (400 `BUNDLE_TOO_DEEP` over `maxBundleNesting`, by a linear scan): no parser sees a bundle that
 *    could overflow its stack (esbuild's service dies of it, taking every upload after it down);
 * 3. esbuild parses it as JavaScript (syntax errors with line and column), as an ES module (not CommonJS or
 *    a script), self-contained (no `import` or `require`: the sandbox resolves none), with a default export.
 *    This runs none of the uploaded code. When esbuild itself is down: 503 `ANALYZER_UNAVAILABLE`, never a 400;
 * 4. with a `probe` pool: the module is loaded in the QuickJS sandbox itself (fresh context, deadline, no
 *    secrets) through a wrapper that returns `typeof` its default export, so QuickJS's own parser has the last
 *    word on syntax and a default export that is not a function (`export default 42`) is refused. The bundle's
 *    top-level code runs there; failures at load time other than syntax (a throw, a timeout) are left to the
 *    invocation, which signs them, since they may depend on the outside world.
 */
export async function validateBundle({
  code,
  codeHash,
  probe,
  analyzer = sharedBundleAnalyzer(),
}: ValidateBundleParameters): Promise<void> {
  checkBundleText(code)
  checkBundleNesting(code)
  await analyze(code, analyzer)
  if (probe) await probeDefaultExport(code, codeHash, probe, analyzer)
}

/** The checks that need no parsing: size (413), empty, well-formed text. */
export function checkBundleText(code: string): void {
  const bytes = Buffer.byteLength(code, 'utf8')
  if (bytes > maxBundleBytes) {
    throw new ApiError(`the bundle is ${bytes} bytes; the limit is ${maxBundleBytes}.`, {
      code: 'BUNDLE_TOO_LARGE',
      hint: 'Import less, or fetch data at run time.',
    })
  }
  if (bytes === 0 || code.trim().length === 0) throw refuse('BUNDLE_EMPTY', 'the bundle is empty.')
  if (hasLoneSurrogate(code)) throw refuse('BUNDLE_NOT_UTF8', 'the bundle is not well-formed UTF-8 text.')
}

/** The nesting bound (400), before any parser recurses into the bundle. */
export function checkBundleNesting(code: string): void {
  const { depth, line, column } = scanBundleNesting(code)
  if (depth > maxBundleNesting) {
    throw refuse(
      'BUNDLE_TOO_DEEP',
      `the bundle nests more than ${maxBundleNesting} levels deep (brackets and chained operators) at line ${line}, column ${column}; the limit is ${maxBundleNesting}.`,
      'Flatten the generated code (data belongs in JSON.parse of a string, or fetched at run time).',
    )
  }
}

async function analyze(code: string, analyzer: BundleAnalyzer): Promise<void> {
  let analysis: Awaited<ReturnType<BundleAnalyzer['analyze']>>
  try {
    analysis = await analyzer.analyze(code)
  } catch (error) {
    if (!isBuildFailure(error)) throw error
    const messages = error.errors
    const first = messages[0]!
    throw refuse(
      'BUNDLE_SYNTAX_ERROR',
      `the bundle does not parse: ${formatMessage(first)}${messages.length > 1 ? ` (and ${messages.length - 1} more)` : ''}.`,
    )
  }
  if (analysis.format !== 'esm') {
    throw refuse(
      'BUNDLE_NOT_ES_MODULE',
      analysis.format === 'cjs'
        ? 'the bundle is CommonJS (module.exports or require); functions are ES modules.'
        : 'the bundle is not an ES module: it has no export statement.',
      'Export the entry point: export default async function main(request, secrets, context) { ... }',
    )
  }
  const { imports } = analysis
  if (imports.length > 0) {
    throw refuse(
      'BUNDLE_HAS_IMPORTS',
      `the bundle imports ${imports
        .slice(0, 5)
        .map((path) => JSON.stringify(path.slice(0, 100)))
        .join(', ')}; the sandbox resolves no imports.`,
      'Bundle the function into one file first (teefn build, or teefn deploy with the source entry).',
    )
  }
  const { exports } = analysis
  if (!exports.includes('default')) {
    throw refuse(
      'BUNDLE_NO_DEFAULT_EXPORT',
      `the bundle has no default export (${exports.length > 0 ? `it exports ${exports.slice(0, 10).join(', ')}` : 'it exports nothing'}).`,
      'Export the entry point: export default async function main(request, secrets, context) { ... }',
    )
  }
}

async function probeDefaultExport(
  code: string,
  codeHash: Hex,
  pool: SandboxPool,
  analyzer: BundleAnalyzer,
): Promise<void> {
  const wrapper = await analyzer.wrapForProbe(code)
  const outcome = await pool.invoke({
    code: wrapper,
    request: '',
    context: { requestId: 'upload-check', trigger: 'http', codeHash },
    limits: { timeoutMs: probeTimeoutMs },
  })
  if (outcome.ok) {
    if (outcome.result === 'function') return
    throw refuse(
      'BUNDLE_NO_MAIN',
      `the default export is ${articled(String(outcome.result))}, not a function.`,
      'Export the entry point: export default async function main(request, secrets, context) { ... }',
    )
  }
  if (outcome.error.code === 'SYNTAX_ERROR') {
    throw refuse(
      'BUNDLE_SYNTAX_ERROR',
      `the sandbox cannot load the bundle: ${outcome.error.message.slice(0, 500)}`,
    )
  }
}

function refuse(code: ApiErrorCode, message: string, hint?: string): ApiError {
  return new ApiError(message, { code: code, hint })
}

function formatMessage({ text, location }: Message): string {
  return location ? `${text} at line ${location.line}, column ${location.column + 1}` : text
}

function articled(kind: string): string {
  return /^[aeiou]/.test(kind) ? `an ${kind}` : `a ${kind}`
}

/** JSON strings may carry unpaired UTF-16 surrogates, which have no UTF-8 form. */
function hasLoneSurrogate(text: string): boolean {
  return /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text)
}
