import { performance } from 'node:perf_hooks'
import type { QuickJSContext, QuickJSHandle, QuickJSRuntime } from 'quickjs-emscripten'
import { createInvocationFetcher, type InvocationFetcher } from '../http/createInvocationFetcher.js'
import { createMemoryBudget, type MemoryBudget } from '../http/createMemoryBudget.js'
import { createMockTransport } from '../http/createMockTransport.js'
import { createNetworkPolicy } from '../http/createNetworkPolicy.js'
import { keepAliveAgentsFor } from '../http/keepAliveAgentsFor.js'
import type { InvocationErrorCode } from '../resultStatus.js'
import { createLogCollector, maskSecrets } from './createLogCollector.js'
import { createHostObject, type GuestHelpers } from './guest/createHostObject.js'
import { evaluateGuestFunction } from './guest/evaluateGuestFunction.js'
import type { InvocationSession } from './guest/InvocationSession.js'
import { lazyGlobals } from './guest/lazyGlobals.js'
import type { GuestSources } from './guest/loadGuestSources.js'
import { readGuestString } from './guest/readGuestString.js'
import type { SandboxLimits } from './limits.js'
import type { QuickJSEngine } from './quickjsEngine.js'
import { SandboxStateError } from './SandboxStateError.js'
import type { Invocation, InvocationError, InvocationOutcome } from './types.js'

/** An invocation whose limits were resolved against the operator's maximum. */
export type SandboxInvocation = Omit<Invocation, 'limits'> & { limits: SandboxLimits }

/**
 * What the prelude (`guest/src/installGlobals.ts`) returns: how to call `main` and read its result's bytes,
 * and the built-ins it took for describing a thrown value.
 */
type PreludeHelpers = {
  call: QuickJSHandle
  bytesOf: QuickJSHandle
  jsonParse: QuickJSHandle
  intrinsics: QuickJSHandle
}
type Settled = { value: QuickJSHandle } | { error: InvocationError }
type Phase = 'evaluate' | 'run'

const functionFile = 'function.js'
const jobBatchSize = 256
const lazyGlobalsJsonText = JSON.stringify(lazyGlobals)
const preludeHelperNames = ['call', 'bytesOf', 'jsonParse', 'intrinsics'] as const
const hostHelperNames = ['describe', 'kindOf'] as const
const noop = () => {}

/**
 * One fresh QuickJS runtime and context with teefn's globals installed, prepared ahead of time and used
 * for exactly one invocation, so nothing a function leaves behind reaches the next request.
 */
export class Sandbox {
  readonly #engine: QuickJSEngine
  readonly #runtime: QuickJSRuntime
  readonly #context: QuickJSContext
  readonly #helpers: PreludeHelpers
  readonly #sources: GuestSources
  /** The host object the prelude got; kept to build `shared` when a web API is first used. */
  #host: QuickJSHandle | undefined
  /** Built-ins captured for the lazy parts, on first use of any of them. */
  #shared: QuickJSHandle | undefined
  /** A bundle evaluated ahead of the invocation (see `preload`), and its module's exports. */
  #preloaded: { code: string; exports: QuickJSHandle } | undefined
  /** While `preload` evaluates module code: when to interrupt it. */
  #preloadDeadline = Number.POSITIVE_INFINITY
  /** Loaded only when an invocation fails or returns something unexpected. */
  #hostHelpers: GuestHelpers | undefined
  readonly #maxHeapAllowanceBytes: number
  #session: InvocationSession | undefined
  #used = false
  /**
   * The invocation ended in a way that can leave the engine unclean: a memory limit (the heap has grown
   * to its cap), a stack overflow, or an interrupt (QuickJS leaks objects of interrupted jobs, and freeing
   * that runtime aborts the module). The thread then drops the engine instead of disposing into it.
   */
  get engineSuspect(): boolean {
    return this.#suspect || this.#session?.interrupted === true
  }
  #suspect = false

  private constructor(engine: QuickJSEngine, maxHeapAllowanceBytes: number, sources: GuestSources) {
    this.#engine = engine
    this.#maxHeapAllowanceBytes = maxHeapAllowanceBytes
    engine.setHeapAllowance(maxHeapAllowanceBytes)
    this.#runtime = engine.module.newRuntime()
    this.#runtime.setInterruptHandler(() => {
      const session = this.#session
      if (session === undefined) return Date.now() > this.#preloadDeadline
      if (session.ended || Date.now() < session.deadlineAt) return false
      session.interrupted = true
      return true
    })
    this.#context = this.#runtime.newContext()
    this.#sources = sources
    this.#helpers = this.#installGlobals(sources)
  }

  /** Creates a runtime and context and installs the globals: the cold-start work, done off the request path. */
  static prepare(engine: QuickJSEngine, maxHeapAllowanceBytes: number, sources: GuestSources): Sandbox {
    return new Sandbox(engine, maxHeapAllowanceBytes, sources)
  }

  async run(invocation: SandboxInvocation): Promise<InvocationOutcome> {
    if (this.#used) throw new SandboxStateError('A sandbox runs one invocation only; prepare a new one.')
    this.#used = true
    const { limits } = invocation
    const loopAtStart = performance.eventLoopUtilization()
    this.#engine.takeRefusedGrowths()
    const memory = this.#memoryBudget(limits)
    this.#runtime.setMemoryLimit(limits.memoryBytes)
    this.#runtime.setMaxStackSize(limits.stackBytes)

    const secrets = Object.values(invocation.secrets ?? {})
    const deadlineAt = Date.now() + limits.timeoutMs
    let fetcher: InvocationFetcher | undefined
    const session: InvocationSession = {
      deadlineAt,
      logs: createLogCollector({ maxBytes: limits.logBytes, redact: secrets }),
      fetcher: () => {
        fetcher ??= createInvocationFetcher({
          policy: createNetworkPolicy({ allowHosts: invocation.allowHosts ?? [] }),
          agents: keepAliveAgentsFor({ allowHosts: invocation.allowHosts ?? [] }),
          maxFetches: limits.maxFetches,
          maxResponseBytes: limits.fetchResponseBytes,
          timeoutMs: limits.fetchTimeoutMs,
          deadlineAt,
          memory,
          transport: invocation.httpMocks && createMockTransport({ mocks: invocation.httpMocks }),
        })
        return fetcher
      },
      fetches: () => fetcher?.count ?? 0,
      closeFetcher: () => fetcher?.close(),
      syncHttp: {
        allowHosts: invocation.allowHosts ?? [],
        httpMocks: invocation.httpMocks,
        fetchTimeoutMs: limits.fetchTimeoutMs,
        maxResponseBytes: limits.fetchResponseBytes,
      },
      blockedMs: 0,
      functionKey: invocation.functionKey,
      compatOutputs: new Map(),
      timers: new Map(),
      nextTimerId: 0,
      deferreds: new Set(),
      interrupted: false,
      hostFailure: undefined,
      ended: false,
      wake: noop,
    }
    this.#session = session
    const startedAt = performance.now()
    let ended: { result: string | Uint8Array } | { error: InvocationError }
    try {
      ended = await this.#execute(invocation, session)
    } catch (failure) {
      // A wasm trap (QuickJS misses some failed allocations and dereferences NULL) or another host error.
      ended = { error: this.#hostFailure(failure, limits) }
    } finally {
      this.#endSession(session)
    }
    const durationMs = performance.now() - startedAt
    const cpuMs = Math.max(0, performance.eventLoopUtilization(loopAtStart).active - session.blockedMs)
    const stats = { durationMs, fetches: session.fetches(), cpuMs }
    const logs = session.logs.entries
    const compat = compatOutputsOf(session)
    if ('error' in ended) {
      const limit = ended.error.code === 'FUNCTION_ERROR' ? fetcher?.limitHit : undefined
      const error: InvocationError = {
        code: ended.error.code,
        message: maskSecrets(ended.error.message, secrets),
        ...(limit ? { limit } : {}),
      }
      return { ok: false, result: null, error, logs, stats, ...compat }
    }
    return { ok: true, result: ended.result, error: null, logs, stats, ...compat }
  }

  /**
   * The invocation's one memory budget: what the host holds for it (response bodies, decoders) and how far
   * the heap grows during it. The heap may only grow into what the host does not hold, and the host may only
   * hold what the heap left: together they stay within `memoryBytes`. Heap pages an earlier invocation left
   * behind (free, reused first) are not this one's growth.
   */
  #memoryBudget(limits: SandboxLimits): MemoryBudget {
    const engine = this.#engine
    const heapAtStart = engine.memoryBytes
    const allowance = (reserved: number) =>
      Math.min(limits.memoryBytes, heapAtStart - engine.baseBytes + limits.memoryBytes - reserved)
    engine.setHeapAllowance(allowance(0))
    return createMemoryBudget({
      limitBytes: limits.memoryBytes,
      usedElsewhere: () => engine.memoryBytes - heapAtStart,
      onChange: (reserved) => engine.setHeapAllowance(allowance(reserved)),
    })
  }

  /**
   * Evaluates a bundle's module code ahead of its invocation, off the request path, when the thread
   * expects the same function next (a worker mostly runs the same few functions). The context stays
   * fresh: it has run nothing but that module's own top-level code. Only module code that completes on
   * its own counts: an error, a top-level await, a call to a host API that needs an invocation (fetch,
   * timers, logs) or an overrun makes it return false, and the caller must drop this sandbox.
   */
  preload(code: string, limits: Pick<SandboxLimits, 'timeoutMs' | 'memoryBytes'>): boolean {
    if (this.#used || this.#preloaded) return false
    const context = this.#context
    this.#engine.takeRefusedGrowths()
    this.#engine.setHeapAllowance(limits.memoryBytes)
    this.#preloadDeadline = Date.now() + limits.timeoutMs
    const evaluated = context.evalCode(code, functionFile, { type: 'module' })
    this.#preloadDeadline = Number.POSITIVE_INFINITY
    this.#engine.setHeapAllowance(this.#maxHeapAllowanceBytes)
    if (evaluated.error) {
      evaluated.error.dispose()
      return false
    }
    const state = context.getPromiseState(evaluated.value)
    if (
      state.type !== 'fulfilled' ||
      this.#runtime.hasPendingJob() ||
      this.#engine.takeRefusedGrowths() > 0
    ) {
      if (state.type === 'fulfilled' && !state.notAPromise) state.value.dispose()
      if (state.type === 'rejected') state.error.dispose()
      evaluated.value.dispose()
      return false
    }
    let exports = evaluated.value
    if (!state.notAPromise) {
      exports = state.value
      evaluated.value.dispose()
    }
    this.#preloaded = { code, exports }
    return true
  }

  /** Frees the context and runtime. Throws if the engine could not free them (the engine is then unusable). */
  dispose(): void {
    this.#preloaded?.exports.dispose()
    for (const name of preludeHelperNames) this.#helpers[name].dispose()
    if (this.#hostHelpers) for (const name of hostHelperNames) this.#hostHelpers[name].dispose()
    this.#shared?.dispose()
    this.#host?.dispose()
    this.#context.dispose()
    this.#runtime.dispose()
  }

  #installGlobals(sources: GuestSources): PreludeHelpers {
    const context = this.#context
    using install = evaluateGuestFunction(context, sources.prelude, 'prelude')
    const host = createHostObject({
      context,
      parts: sources.parts,
      shared: () => this.#sharedBuiltins(),
      session: () => {
        if (this.#session === undefined || this.#session.ended)
          throw new SandboxStateError('no invocation is running')
        return this.#session
      },
      helpers: () => this.#loadHostHelpers(),
      prelude: () => this.#helpers,
    })
    this.#host = host
    using lazyGlobalsJson = context.newString(lazyGlobalsJsonText)
    using helpers = context.unwrapResult(
      context.callFunction(install, context.undefined, host, lazyGlobalsJson),
    )
    return Object.fromEntries(
      preludeHelperNames.map((name) => [name, context.getProp(helpers, name)]),
    ) as PreludeHelpers
  }

  #sharedBuiltins(): QuickJSHandle {
    if (this.#shared) return this.#shared
    const context = this.#context
    using install = evaluateGuestFunction(context, this.#sources.shared, 'shared')
    this.#shared = context.unwrapResult(context.callFunction(install, context.undefined, this.#host!))
    return this.#shared
  }

  #loadHostHelpers(): GuestHelpers {
    if (this.#hostHelpers) return this.#hostHelpers
    const context = this.#context
    const source = this.#sources.parts.hostHelpers!
    using install = evaluateGuestFunction(context, source, 'host-helpers')
    using helpers = context.unwrapResult(
      context.callFunction(install, context.undefined, this.#sharedBuiltins(), this.#helpers.intrinsics),
    )
    this.#hostHelpers = Object.fromEntries(
      hostHelperNames.map((name) => [name, context.getProp(helpers, name)]),
    ) as GuestHelpers
    return this.#hostHelpers
  }

  async #execute(
    invocation: SandboxInvocation,
    session: InvocationSession,
  ): Promise<{ result: string | Uint8Array } | { error: InvocationError }> {
    const context = this.#context
    const loaded = await this.#evaluateModule(invocation, session)
    if ('error' in loaded) return loaded
    using main = context.getProp(loaded.value, 'default')
    if (loaded.value !== this.#preloaded?.exports) loaded.value.dispose()
    if (context.typeof(main) !== 'function') {
      return {
        error: {
          code: 'NO_MAIN',
          message: `The module's default export is ${this.#kindOf(main)}, not a function. Export the entry point: export default async function main(request, secrets, context) { ... }`,
        },
      }
    }
    const argumentsJson = JSON.stringify({
      request: invocation.request,
      secrets: invocation.secrets ?? {},
      context: invocation.context,
    })
    using argumentsHandle = context.newString(argumentsJson)
    const called = context.callFunction(this.#helpers.call, context.undefined, main, argumentsHandle)
    if (called.error) {
      using error = called.error
      return { error: this.#classify(error, 'run', invocation.limits) }
    }
    using promise = called.value
    const settled = await this.#settle(promise, session, invocation.limits, 'run')
    if ('error' in settled) return settled
    using value = settled.value
    return this.#readResult(value, invocation.limits)
  }

  /** The bundle evaluated ahead by `preload`, if any: only an invocation of that bundle may use this sandbox. */
  get preloadedCode(): string | undefined {
    return this.#preloaded?.code
  }

  /** The module's exports: evaluated ahead by `preload` when the same bundle was expected, else now. */
  async #evaluateModule(invocation: SandboxInvocation, session: InvocationSession): Promise<Settled> {
    if (this.#preloaded) {
      if (this.#preloaded.code !== invocation.code)
        throw new SandboxStateError('This sandbox evaluated another bundle ahead.')
      return { value: this.#preloaded.exports }
    }
    const evaluated = this.#context.evalCode(invocation.code, functionFile, { type: 'module' })
    if (evaluated.error) {
      using error = evaluated.error
      return { error: this.#classify(error, 'evaluate', invocation.limits) }
    }
    using moduleValue = evaluated.value
    return this.#settle(moduleValue, session, invocation.limits, 'evaluate')
  }

  /** Waits for a guest promise, running guest jobs after every host event, until it settles or the deadline passes. */
  #settle(
    handle: QuickJSHandle,
    session: InvocationSession,
    limits: SandboxLimits,
    phase: Phase,
  ): Promise<Settled> {
    const check = (): Settled | undefined => {
      const failed = this.#runPendingJobs(session, phase, limits)
      if (failed) return { error: failed }
      if (session.interrupted) return { error: timeoutError(limits) }
      if (session.hostFailure !== undefined) return { error: this.#hostFailure(session.hostFailure, limits) }
      const state = this.#context.getPromiseState(handle)
      if (state.type === 'pending') return undefined
      if (state.type === 'fulfilled') return { value: state.notAPromise ? handle.dup() : state.value }
      using error = state.error
      return { error: this.#classify(error, phase, limits) }
    }
    const settledNow = check()
    if (settledNow) return Promise.resolve(settledNow)
    return new Promise((resolve) => {
      const finish = (settled: Settled) => {
        clearTimeout(deadline)
        session.wake = noop
        resolve(settled)
      }
      // The interrupt handler only runs while guest code runs; a promise that never settles needs a host timer.
      const deadline = setTimeout(
        () => finish({ error: this.#outOfMemoryMeanwhile(limits) ?? timeoutError(limits) }),
        Math.max(0, session.deadlineAt - Date.now()),
      )
      session.wake = () => {
        const settled = check()
        if (settled) finish(settled)
      }
    })
  }

  /**
   * Runs queued guest jobs in batches, checking the deadline between them: an endless promise chain
   * keeps the queue full, and an interrupt inside one job does not stop the next.
   */
  #runPendingJobs(
    session: InvocationSession,
    phase: Phase,
    limits: SandboxLimits,
  ): InvocationError | undefined {
    while (this.#runtime.hasPendingJob()) {
      const jobs = this.#runtime.executePendingJobs(jobBatchSize)
      if (jobs.error) {
        using error = jobs.error
        return this.#classify(error, phase, limits)
      }
      if (Date.now() >= session.deadlineAt) {
        session.interrupted = true
        return timeoutError(limits)
      }
    }
    return undefined
  }

  #readResult(
    value: QuickJSHandle,
    limits: SandboxLimits,
  ): { result: string | Uint8Array } | { error: InvocationError } {
    const context = this.#context
    if (context.typeof(value) === 'string') {
      // UTF-8 needs at least one byte per UTF-16 unit: a string longer than the limit is too large unread.
      const length = context.getProp(value, 'length').consume((handle) => context.getNumber(handle))
      const text =
        length > limits.resultBytes
          ? undefined
          : readGuestString({
              context,
              handle: value,
              jsonStringify: () => context.getProp(this.#sharedBuiltins(), 'jsonStringify'),
            })
      const size = text === undefined ? length : Buffer.byteLength(text)
      if (text === undefined || size > limits.resultBytes)
        return { error: resultTooLarge(size, limits, 'at least ') }
      return { result: text }
    }
    const bytes = this.#callHelper(this.#helpers.bytesOf, value, (buffer) =>
      context.typeof(buffer) === 'undefined'
        ? undefined
        : context.getArrayBuffer(buffer).consume((view) => view.value.slice()),
    )
    if (bytes) {
      if (bytes.byteLength > limits.resultBytes)
        return { error: resultTooLarge(bytes.byteLength, limits, '') }
      return { result: bytes }
    }
    return {
      error: {
        code: 'INVALID_RESULT',
        message: `main returned ${this.#kindOf(value)}; it must return (or resolve to) a string or a Uint8Array. Return JSON.stringify(value) for structured data.`,
      },
    }
  }

  #callHelper<T>(helper: QuickJSHandle, argument: QuickJSHandle, read: (handle: QuickJSHandle) => T): T {
    using result = this.#context.unwrapResult(
      this.#context.callFunction(helper, this.#context.undefined, argument),
    )
    return read(result)
  }

  #kindOf(value: QuickJSHandle): string {
    const result = this.#context.callFunction(this.#loadHostHelpers().kindOf, this.#context.undefined, value)
    using kind = result.error ?? result.value
    return result.error ? 'a value of unknown type' : this.#context.getString(kind)
  }

  #classify(error: QuickJSHandle, phase: Phase, limits: SandboxLimits): InvocationError {
    if (this.#session?.interrupted) return timeoutError(limits)
    // A refused heap growth is the memory limit, whatever was thrown: there is nothing to read out.
    if (this.#engine.takeRefusedGrowths() > 0) {
      this.#suspect = true
      return memoryLimitError(limits)
    }
    // The limits stay on while the value is described: a Proxy's traps may still run guest code.
    const described = this.#describe(error)
    if (this.#session?.interrupted) return timeoutError(limits)
    if (described === undefined || this.#engine.takeRefusedGrowths() > 0) {
      this.#suspect = true
      return memoryLimitError(limits)
    }
    const { name, message, stack } = described
    if (name === 'InternalError' && message === 'out of memory') {
      this.#suspect = true
      return memoryLimitError(limits)
    }
    if (name === 'InternalError' && message === 'stack overflow') {
      this.#suspect = true
      return {
        code: 'STACK_OVERFLOW',
        message: `The function overflowed its ${formatBytes(limits.stackBytes)} stack (unbounded recursion?).`,
      }
    }
    if (phase === 'evaluate' && name === 'SyntaxError' && parseErrorLocation.test(stack)) {
      return {
        code: 'SYNTAX_ERROR',
        message: `SyntaxError: ${message} (${stack.trim().replace(/^at /, '')})`,
      }
    }
    if (phase === 'evaluate' && name === 'ReferenceError' && message.startsWith('could not load module')) {
      return {
        code: 'SYNTAX_ERROR',
        message: `${message}: the sandbox does not resolve imports. Bundle the function into one file with \`teefn build\`.`,
      }
    }
    const location = stack.split('\n').find((line) => line.includes(functionFile))
    const where = location ? ` ${location.trim()}` : ''
    return { code: 'FUNCTION_ERROR', message: `${name ? `${name}: ` : ''}${message}${where}` }
  }

  /**
   * [name, message, stack] of a thrown value, from its own data properties only (`hostHelpersPart.ts`).
   * Undefined when it could not be described: the helper catches whatever the value throws, so that is
   * the engine out of memory (or interrupted) under the invocation's limits.
   */
  #describe(error: QuickJSHandle): { name: string; message: string; stack: string } | undefined {
    let helpers: GuestHelpers
    try {
      helpers = this.#loadHostHelpers()
    } catch {
      return undefined
    }
    const result = this.#context.callFunction(helpers.describe, this.#context.undefined, error)
    using described = result.error ?? result.value
    if (result.error) return undefined
    const [name, message, stack] = JSON.parse(this.#context.getString(described)) as [string, string, string]
    return { name, message, stack }
  }

  /**
   * A heap growth refused while the guest waited: QuickJS drops some failed allocations silently (a promise
   * job that could not be queued just never runs), so the guest stalls instead of throwing. That is the
   * memory limit, and the runtime may hold objects it can no longer free: the engine is dropped.
   */
  #outOfMemoryMeanwhile(limits: SandboxLimits): InvocationError | undefined {
    if (this.#engine.takeRefusedGrowths() === 0) return undefined
    this.#suspect = true
    return memoryLimitError(limits)
  }

  #hostFailure(failure: unknown, limits: SandboxLimits): InvocationError {
    this.#suspect = true
    if (this.#engine.takeRefusedGrowths() > 0) return memoryLimitError(limits)
    return {
      code: 'INTERNAL_ERROR',
      message: `The sandbox failed: ${(failure as Error)?.message ?? String(failure)}`,
    }
  }

  #endSession(session: InvocationSession): void {
    session.ended = true
    session.wake = noop
    session.closeFetcher()
    for (const { timer } of session.timers.values()) clearTimeout(timer)
    try {
      for (const { callback } of session.timers.values()) callback.dispose()
      for (const deferred of session.deferreds) deferred.dispose()
    } catch {
      // A trapped engine cannot free its handles; it is dropped whole instead.
      this.#suspect = true
    }
    session.timers.clear()
    session.deferreds.clear()
  }
}

/** A parse error's stack is only the position in the file; a runtime SyntaxError has frames. */
const parseErrorLocation = new RegExp(`^\\s*at ${functionFile.replace('.', '\\.')}:\\d+:\\d+\\s*$`)

function timeoutError(limits: SandboxLimits): InvocationError {
  return {
    code: 'TIMEOUT' satisfies InvocationErrorCode,
    message: `The function did not finish within its ${limits.timeoutMs} ms deadline.`,
  }
}

function memoryLimitError(limits: SandboxLimits): InvocationError {
  return {
    code: 'MEMORY_LIMIT',
    message: `The function used more than its ${formatBytes(limits.memoryBytes)} memory limit.`,
  }
}

function resultTooLarge(size: number, limits: SandboxLimits, qualifier: string): InvocationError {
  return {
    code: 'RESULT_TOO_LARGE',
    message: `The result is ${qualifier}${size} bytes; the limit is ${limits.resultBytes} bytes. Return less, or a hash of the data.`,
  }
}

function formatBytes(bytes: number): string {
  if (bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`
  if (bytes % 1024 === 0) return `${bytes / 1024} KiB`
  return `${bytes} bytes`
}

/** The compat mode's side outputs, parsed, as the outcome's `compat` (absent when there are none). */
function compatOutputsOf(session: InvocationSession): { compat?: Record<string, unknown> } {
  if (session.compatOutputs.size === 0) return {}
  const compat: Record<string, unknown> = {}
  for (const [name, json] of session.compatOutputs) compat[name] = JSON.parse(json)
  return { compat }
}
