import type { BuildOptions, Message, Metafile, Plugin } from 'esbuild'
import { withTimeout } from '../runtime/async/withTimeout.js'
import { ApiError } from './ApiError.js'

/** What esbuild's parse of a bundle says about it (nothing of the bundle runs). */
export type BundleAnalysis = {
  /** `esm` for an ES module, `cjs` for CommonJS, undefined for a script. */
  format: 'esm' | 'cjs' | undefined
  /** Modules it still imports (statically or dynamically). */
  imports: string[]
  /** Names it exports. */
  exports: string[]
}

/** How the analyzer is doing, for `/healthz`. */
export type AnalyzerCheck = { ok: boolean; detail?: string | undefined }

export type BundleAnalyzer = {
  /**
   * Parses a bundle with esbuild. A bundle esbuild refuses throws `BuildFailure` (its `errors` name line and
   * column); a service that is down throws 503 `ANALYZER_UNAVAILABLE`.
   */
  analyze(code: string): Promise<BundleAnalysis>
  /** The probe's wrapper, bundled around the code: a module whose default export returns `typeof` the bundle's. */
  wrapForProbe(code: string): Promise<string>
  /** A trivial analysis (restarting a dead service first), at most `timeoutMs`. */
  check(timeoutMs?: number): Promise<AnalyzerCheck>
  /** Tells `listener` when the service dies and when it is back (or cannot be started); returns its removal. */
  onEvent(listener: AnalyzerListener): () => void
}

export type AnalyzerEvent = 'died' | 'restarted' | 'restart-failed'
export type AnalyzerListener = (event: AnalyzerEvent, detail: string) => void

export type CreateBundleAnalyzerParameters = {
  /** How soon after a failed restart the next one may be tried; 1,000 ms by default. */
  restartBackoffMs?: number | undefined
}

type Esbuild = typeof import('esbuild')

export const sourcefile = 'function.js'

/**
 * Bundle analysis on esbuild's service (one Go process per Node process, shared by every upload), which must
 * never wedge the API: when the service dies (a Go stack overflow kills it outright), every later call would
 * fail with "The service is no longer running" until the process restarts. So a failure is told apart by its
 * kind: a `BuildFailure` with messages is the bundle's own (the caller answers 400); anything else is the
 * service's, which is stopped and started again (one restart per service generation, however many calls saw it
 * die). A call that found the service already dead is retried once on the new one; a call during which it died
 * is not (its bundle may be what killed it) and answers 503 `ANALYZER_UNAVAILABLE`, as does every call while a
 * restart fails. Measured on the 2-core machine: 1.5 ms for a small upload on the shared service, 9 ms with a
 * fresh esbuild process per analysis, 100 ms with a disposable Node child; a crash costs one restart (~8 ms).
 */
export function createBundleAnalyzer({
  restartBackoffMs = 1_000,
}: CreateBundleAnalyzerParameters = {}): BundleAnalyzer {
  const listeners = new Set<AnalyzerListener>()
  const onEvent = (event: AnalyzerEvent, detail: string) => {
    for (const listener of listeners) listener(event, detail)
  }
  let esbuild: Esbuild | undefined
  /** Counts services: a failure restarts only the service it saw. */
  let generation = 0
  let restarting: Promise<void> | undefined
  /** While set, the service is down: why, and when a restart may be tried again. */
  let down: { detail: string; retryAt: number } | undefined
  // A function, so that checks after an await are not narrowed away by checks before it.
  const isDown = () => down

  const load = async () => {
    esbuild ??= await import('esbuild')
    return esbuild
  }

  const restart = (seen: number, detail: string): Promise<void> => {
    if (seen !== generation) return restarting ?? Promise.resolve()
    generation++
    onEvent('died', detail)
    restarting = (async () => {
      const { stop, build } = await load()
      await stop()
      try {
        await build(optionsFor('export default 0'))
        down = undefined
        onEvent('restarted', detail)
      } catch (error) {
        down = { detail: describe(error), retryAt: Date.now() + restartBackoffMs }
        onEvent('restart-failed', down.detail)
      }
    })().finally(() => {
      restarting = undefined
    })
    return restarting
  }

  const unavailable = (detail: string) =>
    new ApiError(`the bundle analyzer is not running (${detail}); nothing was stored.`, {
      code: 'ANALYZER_UNAVAILABLE',
      hint: 'Retry in a few seconds.',
    })

  async function run<T>(task: (esbuild: Esbuild) => Promise<T>): Promise<T> {
    await restarting
    if (down) {
      if (Date.now() < down.retryAt) throw unavailable(down.detail)
      await restart(generation, down.detail)
      const still = isDown()
      if (still) throw unavailable(still.detail)
    }
    const seen = generation
    const loaded = await load()
    try {
      return await task(loaded)
    } catch (error) {
      if (isBuildFailure(error)) throw error
      const deadBefore = /no longer running/.test(describe(error))
      await restart(seen, describe(error))
      const still = isDown()
      if (still) throw unavailable(still.detail)
      if (!deadBefore) throw unavailable('it stopped during this analysis')
      try {
        return await task(loaded)
      } catch (retried) {
        if (isBuildFailure(retried)) throw retried
        await restart(generation, describe(retried))
        throw unavailable(describe(retried))
      }
    }
  }

  return {
    analyze: (code) =>
      run(async ({ build }) => {
        const { metafile } = await build({ ...optionsFor(code), plugins: [markImportsExternal] })
        return analysisOf(metafile!)
      }),
    wrapForProbe: (code) =>
      run(async ({ build }) => {
        const wrapper = await build({
          ...optionsFor(
            `import main from 'teefn:bundle'\nexport default function probe() { return typeof main }\n`,
          ),
          metafile: false,
          plugins: [bundleAs(code)],
        })
        return wrapper.outputFiles[0]!.text
      }),
    onEvent(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    async check(timeoutMs = 2_000) {
      const probe = run(async ({ build }) => {
        await build(optionsFor('export default 0'))
        return { ok: true }
      }).catch((error: unknown) => ({
        ok: false,
        detail: error instanceof ApiError ? error.shortMessage : describe(error),
      }))
      return withTimeout<AnalyzerCheck>(probe, {
        timeoutMs,
        fallback: () => ({ ok: false, detail: `esbuild did not answer within ${timeoutMs} ms` }),
      })
    },
  }
}

/** A failure esbuild reports about the input, with its messages (line and column): the bundle's own fault. */
export function isBuildFailure(error: unknown): error is Error & { errors: Message[] } {
  const errors = (error as { errors?: unknown } | undefined)?.errors
  return Array.isArray(errors) && errors.length > 0
}

let shared: BundleAnalyzer | undefined

/**
 * The process's analyzer: esbuild runs one service per process, so one analyzer (one restart bookkeeping) serves
 * every server in it.
 */
export function sharedBundleAnalyzer(): BundleAnalyzer {
  shared ??= createBundleAnalyzer()
  return shared
}

function optionsFor(contents: string): BuildOptions & { write: false } {
  return {
    stdin: { contents, sourcefile, loader: 'js' },
    bundle: true,
    write: false,
    metafile: true,
    format: 'esm',
    platform: 'neutral',
    target: 'esnext',
    logLevel: 'silent',
  }
}

function analysisOf(metafile: Metafile): BundleAnalysis {
  const input = metafile.inputs[sourcefile]
  return {
    format: input?.format,
    imports: input?.imports.map((entry) => entry.path) ?? [],
    exports: Object.values(metafile.outputs)[0]?.exports ?? [],
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

function bundleAs(code: string): Plugin {
  return {
    name: 'teefn-probe',
    setup(builder) {
      builder.onResolve({ filter: /^teefn:bundle$/ }, () => ({ path: sourcefile, namespace: 'teefn-bundle' }))
      builder.onLoad({ filter: /.*/, namespace: 'teefn-bundle' }, () => ({ contents: code, loader: 'js' }))
    },
  }
}

function describe(error: unknown): string {
  return ((error as Error | undefined)?.message ?? String(error)).split('\n')[0]!.slice(0, 200)
}
