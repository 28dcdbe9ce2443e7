import type { QuickJSDeferredPromise, QuickJSHandle } from 'quickjs-emscripten'
import type { InvocationFetcher } from '../../http/createInvocationFetcher.js'
import type { HttpMock } from '../../http/parseHttpMocks.js'
import type { LogCollector } from '../createLogCollector.js'

/** Host-side state of the one invocation a sandbox runs; host functions reach it through the sandbox. */
export type InvocationSession = {
  deadlineAt: number
  logs: LogCollector
  /** The invocation's fetch state, created on its first fetch (most functions never fetch). */
  fetcher: () => InvocationFetcher
  /** Fetches started so far. */
  fetches: () => number
  /** Aborts fetches in flight and closes their sockets, if the invocation fetched at all. */
  closeFetcher: () => void
  /** What the blocking HTTP of compat modes (`teefnHttpRequestsSync`) fetches under, as `fetch` does. */
  syncHttp: {
    allowHosts: string[]
    httpMocks: HttpMock[] | undefined
    fetchTimeoutMs: number
    maxResponseBytes: number
  }
  /** Time the thread slept in `teefnHttpRequestsSync`, waiting for the network: busy, but not CPU time. */
  blockedMs: number
  functionKey: Uint8Array | undefined
  /** Side outputs of a compat mode's runtime (`teefnCompatOutput`), as JSON text by name. */
  compatOutputs: Map<string, string>
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
