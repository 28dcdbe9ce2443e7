import { setTimeout as sleep } from 'node:timers/promises'
import { startHttpServer } from './startHttpServer.js'

export type RunCounter = {
  /** `http://127.0.0.1:PORT` */
  url: string
  /** `127.0.0.1:PORT`: what the worker's `allowHosts` must name for functions to reach the counter. */
  host: string
  /**
   * The code of a function that reports each run to the counter (as `label`, with the payload it got) and then
   * answers `<label> answered <payload>`. Distinct labels give distinct code (hence codeHashes).
   */
  functionCode(label: string): string
  /** Runs of `label` so far (with `payload` only: runs that got that payload). */
  runs(label: string, payload?: string): number
  /** Holds the runs of `label` from now on at their report (the function waits) until `release(label)`. */
  hold(label: string): void
  release(label: string): void
  /** Waits until `label` ran at least `count` times (an error after `timeoutMs`). */
  waitForRuns(label: string, count?: number, timeoutMs?: number): Promise<void>
  close(): Promise<void>
}

/**
 * A local HTTP server on 127.0.0.1 that functions report to: it counts runs (a run is real only if the sandbox
 * fetched from here) and can hold a run in the middle, so a test can act while the worker is busy with it.
 */
export async function startRunCounter(): Promise<RunCounter> {
  const counts = new Map<string, number>()
  const gates = new Map<string, { open: Promise<void>; release: () => void }>()
  const server = await startHttpServer(async (request, response) => {
    const match = /^\/run\/([^/]+)\/([^/]*)$/.exec(request.url ?? '')
    if (!match) {
      response.statusCode = 404
      response.end()
      return
    }
    const label = decodeURIComponent(match[1]!)
    const payload = decodeURIComponent(match[2]!)
    for (const key of [label, `${label}/${payload}`]) counts.set(key, (counts.get(key) ?? 0) + 1)
    await gates.get(label)?.open
    response.end('ok')
  })
  const runs = (label: string, payload?: string) =>
    counts.get(payload === undefined ? label : `${label}/${payload}`) ?? 0
  return {
    url: server.url,
    host: `127.0.0.1:${server.port}`,
    functionCode: (label) =>
      [
        `const label = ${JSON.stringify(label)}`,
        'export default async (request) => {',
        `  await fetch(${JSON.stringify(`${server.url}/run/`)} + encodeURIComponent(label) + '/' + encodeURIComponent(request))`,
        "  return label + ' answered ' + request",
        '}',
      ].join('\n'),
    runs,
    hold(label) {
      if (gates.has(label)) return
      let release!: () => void
      const open = new Promise<void>((resolve) => {
        release = resolve
      })
      gates.set(label, { open, release })
    },
    release(label) {
      gates.get(label)?.release()
      gates.delete(label)
    },
    async waitForRuns(label, count = 1, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs
      while (runs(label) < count) {
        if (Date.now() > deadline) throw new Error(`${label} ran ${runs(label)} times, not ${count}`)
        await sleep(25)
      }
    },
    async close() {
      for (const gate of gates.values()) gate.release()
      await server.close()
    },
  }
}
