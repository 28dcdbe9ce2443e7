import type { QuickJSDeferredPromise, QuickJSHandle } from 'quickjs-emscripten'
import type { createInvocationFetcher } from '../../http/createInvocationFetcher.js'
import type { LogCollector } from '../createLogCollector.js'

type InvocationFetcher = ReturnType<typeof createInvocationFetcher>

/** Host-side state of the one invocation a sandbox runs; host functions reach it through the sandbox. */
export type InvocationSession = {
  deadlineAt: number
  logs: LogCollector
  fetcher: InvocationFetcher
  functionKey: Uint8Array | undefined
  /** Pending `setTimeout` callbacks, each holding its own duplicated handle. */
  timers: Map<number, { timer: NodeJS.Timeout; callback: QuickJSHandle }>
  nextTimerId: number
  /** Promises given to the guest and not settled yet; disposed when the invocation ends. */
  deferreds: Set<QuickJSDeferredPromise>
  /** Set by the interrupt handler: the deadline passed while guest code ran. */
  interrupted: boolean
  /** A host failure while talking to the guest (e.g. no memory left to build a fetch answer). */
  hostFailure: unknown
  ended: boolean
  /** Runs pending guest jobs and re-checks whether the invocation finished; called after every host event. */
  wake: () => void
}
