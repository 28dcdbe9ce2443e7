import { build, type Message, type Plugin } from 'esbuild'
import { maxBundleBytes } from '../runtime/functions/limits.js'
import type { SandboxPool } from '../runtime/sandbox/createSandboxPool.js'
import { ApiError } from './ApiError.js'
import type { ApiErrorCode } from './errorCodes.js'

type Hex = `0x${string}`

export type ValidateBundleParameters = {
  code: string
  codeHash: Hex
  /**
   * A sandbox pool to load the module in, to check that its default export is a function. Without it, only
   * the static checks run (the worker then signs `NO_MAIN` for a non-function default export at run time).
   */
  probe?: SandboxPool | undefined
}

const sourcefile = 'function.js'
const probeTimeoutMs = 2_000

/**
 * Refuses a bundle the worker could never run, with a message that names the problem:
 * 1. size (413 over 1 MiB) and well-formed UTF-8 text;
 * 2. esbuild parses it as JavaScript (syntax errors with line and column), as an ES module (not CommonJS or
 *    a script), self-contained (no `import` or `require`: the sandbox resolves none), with a default export.
 *    This runs none of the uploaded code;
 * 3. with a `probe` pool: the module is loaded in the QuickJS sandbox itself (fresh context, deadline, no
 *    secrets) through a wrapper that returns `typeof` its default export, so QuickJS's own parser has the last
 *    word on syntax and a default export that is not a function (`export default 42`) is refused. The bundle's
 *    top-level code runs there; failures at load time other than syntax (a throw, a timeout) are left to the
 *    invocation, which signs them, since they may depend on the outside world.
 */
export async function validateBundle({ code, codeHash, probe }: ValidateBundleParameters): Promise<void> {
  checkBundleText(code)
  await analyze(code)
  if (probe) await probeDefaultExport(code, codeHash, probe)
}

/** The checks that need no parsing: size (413), empty, well-formed text. */
export function checkBundleText(code: string): void {
  const bytes = Buffer.byteLength(code, 'utf8')
  if (bytes > maxBundleBytes) {
    throw new ApiError('BUNDLE_TOO_LARGE', `the bundle is ${bytes} bytes; the limit is ${maxBundleBytes}.`, {
      hint: 'Import less, or fetch data at run time.',
    })
  }
  if (bytes === 0 || code.trim().length === 0) throw refuse('BUNDLE_EMPTY', 'the bundle is empty.')
  if (hasLoneSurrogate(code)) throw refuse('BUNDLE_NOT_UTF8', 'the bundle is not well-formed UTF-8 text.')
}

async function analyze(code: string): Promise<void> {
  let analysis: Awaited<ReturnType<typeof build<{ write: false; metafile: true }>>>
  try {
    analysis = await build({
      stdin: { contents: code, sourcefile, loader: 'js' },
      bundle: true,
      write: false,
      metafile: true,
      format: 'esm',
      platform: 'neutral',
      target: 'esnext',
      logLevel: 'silent',
      plugins: [markImportsExternal],
    })
  } catch (error) {
    const messages = (error as { errors?: Message[] }).errors ?? []
    const first = messages[0]
    throw refuse(
      'BUNDLE_SYNTAX_ERROR',
      first
        ? `the bundle does not parse: ${formatMessage(first)}${messages.length > 1 ? ` (and ${messages.length - 1} more)` : ''}.`
        : 'the bundle does not parse.',
    )
  }
  const input = analysis.metafile.inputs[sourcefile]
  if (input?.format !== 'esm') {
    throw refuse(
      'BUNDLE_NOT_ES_MODULE',
      input?.format === 'cjs'
        ? 'the bundle is CommonJS (module.exports or require); functions are ES modules.'
        : 'the bundle is not an ES module: it has no export statement.',
      'Export the entry point: export default async function main(request, secrets, context) { ... }',
    )
  }
  const imports = input.imports.map((entry) => entry.path)
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
  const exports = Object.values(analysis.metafile.outputs)[0]?.exports ?? []
  if (!exports.includes('default')) {
    throw refuse(
      'BUNDLE_NO_DEFAULT_EXPORT',
      `the bundle has no default export (${exports.length > 0 ? `it exports ${exports.slice(0, 10).join(', ')}` : 'it exports nothing'}).`,
      'Export the entry point: export default async function main(request, secrets, context) { ... }',
    )
  }
}

async function probeDefaultExport(code: string, codeHash: Hex, pool: SandboxPool): Promise<void> {
  const wrapper = await build({
    stdin: {
      contents: `import main from 'teefn:bundle'\nexport default function probe() { return typeof main }\n`,
      sourcefile: 'probe.js',
      loader: 'js',
    },
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'neutral',
    target: 'esnext',
    logLevel: 'silent',
    plugins: [
      {
        name: 'teefn-probe',
        setup(builder) {
          builder.onResolve({ filter: /^teefn:bundle$/ }, () => ({
            path: sourcefile,
            namespace: 'teefn-bundle',
          }))
          builder.onLoad({ filter: /.*/, namespace: 'teefn-bundle' }, () => ({
            contents: code,
            loader: 'js',
          }))
        },
      },
    ],
  })
  const outcome = await pool.invoke({
    code: wrapper.outputFiles[0]!.text,
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

/** Imports stay imports, so the analysis can list them instead of failing to resolve them. */
const markImportsExternal: Plugin = {
  name: 'teefn-imports-external',
  setup(builder) {
    builder.onResolve({ filter: /.*/ }, (args) =>
      args.kind === 'entry-point' ? undefined : { path: args.path, external: true },
    )
  },
}

function refuse(code: ApiErrorCode, message: string, hint?: string): ApiError {
  return new ApiError(code, message, { hint })
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
