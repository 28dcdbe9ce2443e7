import { relative, resolve } from 'node:path'
import type { CompatMode } from '../../runtime/compat/compatMode.js'
import { BaseError } from '../../runtime/errors/BaseError.js'
import { createSandboxPool, type SandboxLimits } from '../../runtime/sandbox/index.js'
import { exitCodes } from '../exitCodes.js'
import { readInputFile } from '../readInputFile.js'
import { UsageError } from '../UsageError.js'
import { closeSandboxPool } from './closeSandboxPool.js'
import { printRunReport } from './printRunReport.js'
import { readHttpMocks } from './readHttpMocks.js'
import { runFunctionOnce } from './runFunctionOnce.js'
import { watchFiles } from './watchFiles.js'

export type WatchRunParameters = {
  file: string
  request: string
  secrets: Record<string, string>
  allowHosts: string[]
  /** `--mock`: read again for every run, and watched like the function's files. */
  mockFile?: string | undefined
  limits: Partial<SandboxLimits>
  compat?: CompatMode | undefined
  /** `--dev-key`: the function key of every run. */
  functionKey?: Uint8Array | undefined
  /** One JSON object per line and per run. */
  json: boolean
}

/**
 * `teefn run --watch`: runs the function, then again each time a file it is built from changes (the entry
 * and what esbuild read for it, node_modules aside), printing every run, until Ctrl-C (exit status 0). One
 * sandbox thread serves every run; a save during a run queues one more run after it.
 */
export async function watchRun(parameters: WatchRunParameters): Promise<void> {
  const { file, json, mockFile } = parameters
  const mockInputs = mockFile === undefined ? [] : [resolve(mockFile)]
  const pool = createSandboxPool({ threads: 1 })
  pool.catch(() => {}) // a thread that fails to start is reported by the run that awaits it
  let running: Promise<void> | undefined
  let again = false
  let runs = 0
  let stopping = false

  // What the last complete bundle read: a file that does not bundle, or is missing, keeps these watched, so
  // that fixing the imported file that broke the build runs again.
  let bundled = [resolve(file)]

  const runNow = async (): Promise<void> => {
    runs += 1
    let inputs = [...new Set([resolve(file), ...bundled, ...mockInputs])]
    try {
      const httpMocks = mockFile === undefined ? undefined : await readHttpMocks(mockFile)
      const source = await readInputFile(file, 'function')
      const ran = await runFunctionOnce({ ...parameters, httpMocks, source, pool })
      const code = ran.report.error?.code
      if (code !== 'SYNTAX_ERROR' && code !== 'NO_MAIN') {
        bundled = ran.inputs
        inputs = [...new Set([...ran.inputs, ...mockInputs])]
      }
      printRunReport(ran.report, { json, compact: true })
    } catch (error) {
      // Wrong usage (an unreadable entry, a limit over the maximum) ends the command, as without --watch.
      if (runs === 1 && error instanceof UsageError) throw error
      if (stopping) return // Ctrl-C closed the pool under this run
      // A file missing halfway through a save, say: reported, and the next change runs again.
      const message =
        error instanceof BaseError ? error.shortMessage : String((error as Error)?.message ?? error)
      process.stderr.write(`teefn: ${message}\n`)
    }
    if (stopping) return
    watcher.update(inputs)
    const watched = inputs.length === 1 ? '1 file' : `${inputs.length} files`
    process.stderr.write(`teefn: run ${runs} done; watching ${watched} (Ctrl-C to stop)\n`)
  }

  const schedule = (changed: string) => {
    if (stopping) return
    if (running) {
      again = true
      return
    }
    process.stderr.write(`teefn: ${relative(process.cwd(), changed)} changed, running again\n`)
    track(runNow(), changed)
  }

  /** Marks a run as the one in progress; a change seen meanwhile runs again once it is done. */
  const track = (run: Promise<void>, changed: string) => {
    running = run
      .catch(() => {}) // reported by runNow, or thrown to the caller by the first run
      .finally(() => {
        running = undefined
        if (!again) return
        again = false
        schedule(changed)
      })
  }

  const watcher = watchFiles({ onChange: schedule })
  const stopped = new Promise<void>((done) => {
    process.once('SIGINT', done)
    process.once('SIGTERM', done)
  })
  const first = runNow()
  track(first, resolve(file))
  try {
    await first
  } catch (error) {
    stopping = true
    watcher.close()
    await closeSandboxPool(pool)
    throw error
  }
  await stopped
  stopping = true
  watcher.close()
  await closeSandboxPool(pool)
  process.exitCode = exitCodes.ok
}
