import { parentPort, workerData } from 'node:worker_threads'
import { createQuickJSEngine, type QuickJSEngine } from './quickjsEngine.js'
import { Sandbox } from './Sandbox.js'
import type { FromSandboxThread, SandboxThreadData, ToSandboxThread } from './threadProtocol.js'
import type { InvocationOutcome } from './types.js'

/**
 * A sandbox thread: one QuickJS engine, one invocation at a time, and the next fresh sandbox prepared
 * as soon as a result is posted, so a request finds its runtime and context already built.
 */
const port = parentPort!
const { wasmModule, maxHeapAllowanceBytes, retainedHeapBytes, guestSources } = workerData as SandboxThreadData
const baseHeapBytes = 16 * 1024 * 1024

let engine = await newEngine()
let prepared: Sandbox | undefined = Sandbox.prepare(engine, maxHeapAllowanceBytes, guestSources)
let queue = Promise.resolve()
post({ type: 'ready' })

port.on('message', (message: ToSandboxThread) => {
  queue = queue.then(() => invoke(message))
})

async function invoke({ id, invocation }: ToSandboxThread): Promise<void> {
  // A heap grown by earlier invocations would let this one use more than its limit: start afresh.
  if (engine.memoryBytes > baseHeapBytes + invocation.limits.memoryBytes) await replaceEngine()
  const sandbox = prepared ?? Sandbox.prepare(engine, maxHeapAllowanceBytes, guestSources)
  prepared = undefined
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
      stats: { durationMs: 0, fetches: 0 },
    }
  }
  const transfer = outcome.result instanceof Uint8Array ? [outcome.result.buffer as ArrayBuffer] : []
  post({ type: 'result', id, outcome }, transfer)
  await recycle(sandbox)
  post({ type: 'idle' })
}

/** Frees the used sandbox and prepares the next one, replacing the engine when it is no longer clean. */
async function recycle(used: Sandbox): Promise<void> {
  let engineHealthy = !used.engineSuspect
  if (engineHealthy) {
    try {
      used.dispose()
    } catch {
      // The engine could not free the runtime (it aborts on leaked handles): every runtime in it is suspect.
      engineHealthy = false
    }
  }
  if (!engineHealthy || engine.memoryBytes > baseHeapBytes + retainedHeapBytes) await replaceEngine()
  prepared = Sandbox.prepare(engine, maxHeapAllowanceBytes, guestSources)
}

/** Drops the engine whole (its wasm memory goes with it) rather than freeing into a module that may be broken. */
async function replaceEngine(): Promise<void> {
  prepared = undefined
  engine = await newEngine()
}

function newEngine(): Promise<QuickJSEngine> {
  return createQuickJSEngine({ maxHeapAllowanceBytes, wasmModule })
}

function post(message: FromSandboxThread, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer)
}
