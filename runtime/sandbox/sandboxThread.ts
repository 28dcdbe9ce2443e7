import { parentPort, workerData } from 'node:worker_threads'
import { createQuickJSEngine, type QuickJSEngine } from './quickjsEngine.js'
import { Sandbox, type SandboxInvocation } from './Sandbox.js'
import type { FromSandboxThread, SandboxThreadData, ToSandboxThread } from './threadProtocol.js'
import type { InvocationOutcome } from './types.js'

/**
 * A sandbox thread: one QuickJS engine, one invocation at a time, and the next fresh sandbox prepared
 * as soon as a result is posted, so a request finds its runtime and context already built. Workers
 * mostly run the same few functions, so the next sandbox also evaluates the last bundle's module code
 * ahead, when that code allows it (see `Sandbox.preload`).
 */
const port = parentPort!
const { wasmModule, maxHeapAllowanceBytes, retainedHeapBytes, guestSources } = workerData as SandboxThreadData
const baseHeapBytes = 16 * 1024 * 1024
/** Outcomes after which the module's own code is known to have run to completion. */
const moduleCompleted = new Set(['FUNCTION_ERROR', 'INVALID_RESULT', 'RESULT_TOO_LARGE'])
const maxRememberedBundles = 1000
const preloadBudgetMs = 100

let engine = await newEngine()
let prepared: Sandbox | undefined = newSandbox()
/** Bundles (by codeHash and size) whose module code cannot be evaluated ahead: they are not tried again. */
const notPreloadable = new Set<string>()
let queue = Promise.resolve()
post({ type: 'ready' })

port.on('message', (message: ToSandboxThread) => {
  queue = queue.then(() => invoke(message))
})

async function invoke({ id, invocation }: ToSandboxThread): Promise<void> {
  // A heap grown by earlier invocations would let this one use more than its limit: start afresh.
  if (engine.memoryBytes > baseHeapBytes + invocation.limits.memoryBytes) await replaceEngine()
  let sandbox = prepared ?? newSandbox()
  prepared = undefined
  if (sandbox.preloadedCode !== undefined && sandbox.preloadedCode !== invocation.code) {
    // It evaluated another bundle: a fresh context is owed to this one.
    await discard(sandbox)
    sandbox = newSandbox()
  }
  let outcome: InvocationOutcome
  try {
    outcome = await sandbox.run(invocation)
  } catch (error) {
    outcome = {
      ok: false,
      result: null,
      error: {
        code: 'INTERNAL_ERROR',
        message: `The sandbox failed: ${(error as Error)?.message ?? String(error)}`,
      },
      logs: [],
      stats: { durationMs: 0, fetches: 0, cpuMs: 0 },
    }
  }
  const transfer = outcome.result instanceof Uint8Array ? [outcome.result.buffer as ArrayBuffer] : []
  post({ type: 'result', id, outcome }, transfer)
  const engineAborted = await discard(sandbox)
  const preloadAborted = await prepareNext(
    outcome.ok || moduleCompleted.has(outcome.error.code) ? invocation : undefined,
  )
  post({ type: 'idle', engineAborted: engineAborted || preloadAborted })
}

/**
 * Prepares the next sandbox and, when the last bundle's module code ran to completion, evaluates it
 * there ahead. A bundle that does not allow it is remembered and not tried again; the budget is short,
 * so module code that turns slow cannot hold up the next job (of any function) for long. Answers whether
 * freeing a failed attempt aborted the engine.
 */
async function prepareNext(last: SandboxInvocation | undefined): Promise<boolean> {
  prepared = newSandbox()
  if (!last) return false
  // A cheap key: a collision only means a bundle is not evaluated ahead.
  const digest = `${last.context.codeHash}:${last.code.length}`
  if (notPreloadable.has(digest)) return false
  if (prepared.preload(last.code, { timeoutMs: preloadBudgetMs, memoryBytes: last.limits.memoryBytes }))
    return false
  if (notPreloadable.size >= maxRememberedBundles) notPreloadable.clear()
  notPreloadable.add(digest)
  // The attempt may have run some of the module's code: that context is not fresh any more.
  const failed = prepared
  prepared = undefined
  const engineAborted = await discard(failed)
  prepared = newSandbox()
  return engineAborted
}

/**
 * Frees a used sandbox, replacing the engine when it is no longer clean. Answers whether freeing aborted
 * the engine: a sandbox that was not known to be suspect still held objects QuickJS could not free.
 */
async function discard(used: Sandbox): Promise<boolean> {
  let engineAborted = false
  if (!used.engineSuspect) {
    try {
      used.dispose()
    } catch {
      // The engine could not free the runtime (it aborts on leaked handles): every runtime in it is suspect.
      engineAborted = true
    }
  }
  if (used.engineSuspect || engineAborted || engine.memoryBytes > baseHeapBytes + retainedHeapBytes) {
    await replaceEngine()
  }
  return engineAborted
}

/** Drops the engine whole (its wasm memory goes with it) rather than freeing into a module that may be broken. */
async function replaceEngine(): Promise<void> {
  prepared = undefined
  engine = await newEngine()
}

function newSandbox(): Sandbox {
  return Sandbox.prepare(engine, maxHeapAllowanceBytes, guestSources)
}

function newEngine(): Promise<QuickJSEngine> {
  return createQuickJSEngine({ maxHeapAllowanceBytes, wasmModule })
}

function post(message: FromSandboxThread, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer)
}
