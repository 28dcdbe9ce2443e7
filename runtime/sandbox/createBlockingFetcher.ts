import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads'
import type { FetchErrorCode } from '../http/FetchError.js'
import type { HostFetchRequest } from '../http/hostFetch.js'
import type { HttpMock } from '../http/parseHttpMocks.js'
import { threadEntry } from './threadEntry.js'

/** Requests fetched together, under one invocation's policy and per-fetch limits. */
export type BlockingFetchJob = {
  requests: HostFetchRequest[]
  /** The invocation's `allowHosts`. */
  allowHosts: string[]
  /** The invocation's mocks (`--mock`): answered by the same transport as `fetch`'s. */
  httpMocks?: HttpMock[] | undefined
  /** Per request, redirects and body included. */
  timeoutMs: number
  maxResponseBytes: number
}

/** One request's end: its response, or why it failed (the codes of `FetchError`). */
export type BlockingFetchResult =
  | { ok: true; status: number; statusText: string; headers: [string, string][]; body: Uint8Array }
  | { ok: false; code: FetchErrorCode; message: string }

export type BlockingFetcher = {
  /**
   * Fetches the requests concurrently on the helper thread and blocks the calling thread until every one ended,
   * or until `waitUntil` (epoch ms): then undefined, and the helper is dropped with what it was doing.
   */
  fetchAll(job: BlockingFetchJob, waitUntil: number): BlockingFetchResult[] | undefined
  /** Stops the helper thread, if one runs. */
  close(): void
}

/** What the caller posts to the helper and what the helper answers, on their own port. */
export type BlockingFetchMessage = { id: number; job: BlockingFetchJob }
export type BlockingFetchAnswer = { id: number; results: BlockingFetchResult[] }
/** The helper's start: its port, and the counter it bumps (and notifies) after each answer it posts. */
export type BlockingFetchThreadData = { port: MessagePort; signal: SharedArrayBuffer }

type Helper = { worker: Worker; port: MessagePort; signal: Int32Array }

/**
 * Synchronous HTTP for a thread that cannot yield (guest code in QuickJS calling a compat mode's blocking
 * `httpRequest`): a helper thread does the fetches with `hostFetch` (so the network policy, mocks and per-fetch
 * limits are the ones `fetch` has), posts the answer on a port and bumps a shared counter; the caller sleeps
 * in `Atomics.wait` on that counter and reads the answer with `receiveMessageOnPort`. The helper starts on the
 * first call and serves later ones; counting fetches against the invocation is the caller's part.
 */
export function createBlockingFetcher(): BlockingFetcher {
  let helper: Helper | undefined
  let nextId = 0

  function start(): Helper {
    const { port1, port2 } = new MessageChannel()
    const shared = new SharedArrayBuffer(4)
    const data: BlockingFetchThreadData = { port: port2, signal: shared }
    const worker = new Worker(threadEntry(import.meta.url, 'blockingFetchThread'), {
      workerData: data,
      transferList: [port2],
    })
    // It must not keep a process alive, nor take it down: a failed helper shows as calls that time out.
    worker.unref()
    worker.on('error', () => {})
    return { worker, port: port1, signal: new Int32Array(shared) }
  }

  function drop(): void {
    helper?.port.close()
    void helper?.worker.terminate()
    helper = undefined
  }

  function fetchAll(job: BlockingFetchJob, waitUntil: number): BlockingFetchResult[] | undefined {
    helper ??= start()
    const { port, signal } = helper
    const id = ++nextId
    let seen = Atomics.load(signal, 0)
    port.postMessage({ id, job } satisfies BlockingFetchMessage)
    for (;;) {
      const received = receiveMessageOnPort(port)
      if (received) {
        const answer = received.message as BlockingFetchAnswer
        if (answer.id === id) return answer.results
        continue
      }
      const remainingMs = waitUntil - Date.now()
      if (remainingMs <= 0) {
        drop()
        return undefined
      }
      Atomics.wait(signal, 0, seen, remainingMs)
      seen = Atomics.load(signal, 0)
    }
  }

  return { fetchAll, close: drop }
}

let threadFetcher: BlockingFetcher | undefined

/** The calling thread's blocking fetcher: one helper thread per sandbox thread, started on first use. */
export function blockingFetcher(): BlockingFetcher {
  threadFetcher ??= createBlockingFetcher()
  return threadFetcher
}
