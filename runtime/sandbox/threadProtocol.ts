import type { GuestSources } from './guest/loadGuestSources.js'
import type { SandboxInvocation } from './Sandbox.js'
import type { InvocationOutcome } from './types.js'

/** What a sandbox thread starts with. */
export type SandboxThreadData = {
  /** QuickJS compiled once by the pool, instantiated by each thread. */
  wasmModule: WebAssembly.Module
  /** The most heap any invocation may be allowed: the hard maximum of the thread's wasm memory. */
  maxHeapAllowanceBytes: number
  /** Heap the engine may keep between invocations before it is replaced by a fresh one. */
  retainedHeapBytes: number
  /** The prelude and lazy web APIs, loaded and minified once by the pool. */
  guestSources: GuestSources
}

export type ToSandboxThread = { type: 'invoke'; id: number; invocation: SandboxInvocation }

export type FromSandboxThread =
  /** The engine is loaded and a sandbox is prepared. */
  | { type: 'ready' }
  | { type: 'result'; id: number; outcome: InvocationOutcome }
  /**
   * The thread has prepared its next sandbox after a result. `engineAborted`: freeing a used runtime
   * aborted the engine (it held objects QuickJS could not free), so the engine was replaced.
   */
  | { type: 'idle'; engineAborted: boolean }
