import { Worker } from 'node:worker_threads'
import { threadEntry } from '../runtime/sandbox/threadEntry.js'

/**
 * Runs solc-js on a standard-JSON `input` in a worker thread and resolves its JSON output. solc-js is wasm and
 * synchronous: a compile takes seconds, and on the caller's thread it would stop everything else there (a test
 * runner's heartbeats, a node's timers). The thread loads `solc` from `root`'s node_modules.
 */
export function compileInThread(root: string, input: string): Promise<string> {
  const worker = new Worker(threadEntry(import.meta.url, 'solcThread'), { workerData: { root, input } })
  return new Promise((resolve, reject) => {
    worker.once('message', (output: string) => {
      resolve(output)
      void worker.terminate()
    })
    worker.once('error', reject)
    worker.once('exit', (code) => reject(new Error(`the solc thread exited (${code}) without an output`)))
  })
}
