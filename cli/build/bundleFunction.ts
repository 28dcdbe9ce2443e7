import { builtinModules } from 'node:module'
import { resolve } from 'node:path'
import { build, type Message, type Plugin } from 'esbuild'
import { type CompatMode, compatBanner } from '../../runtime/compat/compatMode.js'
import { BaseError } from '../../runtime/errors/BaseError.js'
import { computeCodeHash } from '../../runtime/store/computeCodeHash.js'
import { maxBundleBytes } from '../../runtime/store/limits.js'
import { browserFieldExcludes } from './browserFieldExcludes.js'
import { compatEntryPlugins } from './compatEntryPlugin.js'

export type BundleFunctionParameters = {
  /** A .ts, .js or .mjs file whose default export is `main`. */
  entry: string
  minify?: boolean | undefined
  /**
   * Build a source written for another platform, unmodified (`chainlink`, `phat`, `gelato`, `lit`: see
   * `compatEntryPlugin.ts`).
   */
  compat?: CompatMode | undefined
}

export type BundleFunctionReturnType = {
  code: string
  bytes: Uint8Array
  codeHash: `0x${string}`
  /** Files esbuild read besides the entry (0 when the entry imports nothing). */
  importedFiles: number
  /** Absolute paths of every file esbuild read, the entry first: what `teefn run --watch` watches. */
  inputs: string[]
  /**
   * The bundle's source map (JSON, without the sources' text), paths relative to the working directory. It is
   * metadata beside the bundle: the bundle names no map, so its bytes and codeHash are those of a build without one.
   */
  sourceMap: string
}

export class BundleError extends BaseError {
  override name = 'BundleError'
  /** What went wrong: esbuild failed, the result has no default export, or it is over 1 MiB. */
  readonly reason: 'esbuild' | 'no-default-export' | 'too-large'
  constructor(
    shortMessage: string,
    parameters: { reason: BundleError['reason']; details?: string; hint?: string },
  ) {
    const { reason, ...rest } = parameters
    super(shortMessage, { code: 'BUNDLE_FAILED', ...rest })
    this.reason = reason
  }
}

/**
 * Bundles a function and its npm imports into one ES module with esbuild, for the QuickJS sandbox:
 * browser builds of packages are preferred, Node built-ins are refused, and the result must be at most 1 MiB
 * and have a default export.
 */
export async function bundleFunction({
  entry,
  minify = false,
  compat,
}: BundleFunctionParameters): Promise<BundleFunctionReturnType> {
  let result: Awaited<ReturnType<typeof build<{ write: false; metafile: true }>>>
  const workingDir = process.cwd()
  try {
    result = await build({
      entryPoints: [entry],
      outfile: 'function.js',
      absWorkingDir: workingDir,
      bundle: true,
      write: false,
      metafile: true,
      format: 'esm',
      platform: 'neutral',
      target: 'es2023',
      mainFields: ['browser', 'module', 'main'],
      conditions: ['browser', 'worker'],
      legalComments: 'none',
      charset: 'utf8',
      minify,
      // 'external': the map is an output file of its own and the bundle gets no sourceMappingURL comment.
      sourcemap: 'external',
      sourcesContent: false,
      logLevel: 'silent',
      // The mode is the bundle's first line: part of its bytes, so of its codeHash, and read by every runner.
      ...(compat ? { banner: { js: compatBanner(compat) } } : {}),
      plugins: compat ? [...compatEntryPlugins(compat, entry), refuseNodeBuiltins] : [refuseNodeBuiltins],
    })
  } catch (error) {
    const messages = (error as { errors?: Message[] }).errors ?? []
    throw new BundleError(`Could not bundle ${entry}.`, {
      reason: 'esbuild',
      details:
        messages.length > 0
          ? messages.map(formatMessage).join('\n')
          : String((error as Error).message ?? error),
      hint: 'Fix the error above; `teefn build` bundles the entry and its npm imports into one file.',
    })
  }
  const output = result.outputFiles.find((file) => file.path.endsWith('.js'))
  const map = result.outputFiles.find((file) => file.path.endsWith('.js.map'))
  if (!output || !map)
    throw new BundleError(`esbuild produced no output for ${entry}.`, { reason: 'esbuild' })
  const bytes = output.contents
  if (bytes.byteLength > maxBundleBytes) {
    throw new BundleError('The bundle is larger than 1 MiB.', {
      reason: 'too-large',
      details: `${bytes.byteLength} bytes, the limit is ${maxBundleBytes}`,
      hint: 'Import less (check what the bundle pulls in with esbuild --analyze), or fetch data at run time.',
    })
  }
  const exports = Object.values(result.metafile.outputs).find((file) => file.entryPoint)?.exports ?? []
  if (!exports.includes('default')) {
    throw new BundleError(`${entry} has no default export.`, {
      reason: 'no-default-export',
      details: exports.length > 0 ? `it exports: ${exports.join(', ')}` : 'it exports nothing',
      hint: 'Export the entry point: export default async function main(request, secrets, context) { ... }',
    })
  }
  return {
    code: output.text,
    bytes,
    codeHash: computeCodeHash(bytes),
    importedFiles: Object.keys(result.metafile.inputs).length - 1,
    inputs: inputsOf(entry, Object.keys(result.metafile.inputs), workingDir),
    sourceMap: map.text,
  }
}

/** The metafile's inputs (relative to the working directory, some with a namespace) as absolute paths. */
function inputsOf(entry: string, inputs: string[], workingDir: string): string[] {
  const files = inputs.filter((input) => !/^[a-z-]+:/.test(input)).map((input) => resolve(workingDir, input))
  const first = resolve(workingDir, entry)
  return [first, ...files.filter((file) => file !== first)]
}

const builtins = new Set(builtinModules)

/**
 * Turns an import of `fs`, `node:crypto` and the like into an error that says why; a package whose `browser`
 * field maps the module to `false` (bn.js's `buffer`, under ethers v5) gets an empty module instead.
 */
const refuseNodeBuiltins: Plugin = {
  name: 'teefn-refuse-node-builtins',
  setup(build) {
    build.onLoad({ filter: /.*/, namespace: 'teefn-empty' }, () => ({ contents: 'module.exports = {}' }))
    build.onResolve({ filter: /^[a-z_]/ }, ({ path, importer }) => {
      const name = path.startsWith('node:') ? path.slice(5) : path
      if (!path.startsWith('node:') && !builtins.has(name.split('/')[0] ?? '')) return undefined
      if (!path.startsWith('node:') && browserFieldExcludes(importer, path))
        return { path, namespace: 'teefn-empty' }
      return {
        errors: [
          {
            text: `"${path}" is a Node.js built-in module, and functions run in QuickJS without Node APIs`,
            notes: [
              {
                text: 'Use fetch() for network I/O, crypto.getRandomValues() for randomness, TextEncoder for bytes.',
              },
            ],
          },
        ],
      }
    })
  },
}

function formatMessage({ text, location, notes }: Message): string {
  const where = location ? `${location.file}:${location.line}:${location.column}: ` : ''
  const extra = notes.map((note) => `\n  ${note.text}`).join('')
  return `${where}${text}${extra}`
}
