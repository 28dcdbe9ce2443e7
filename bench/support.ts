/** Small helpers shared by the benchmarks: percentiles over samples, timing a loop, observing logs. */
import { once } from 'node:events'
import WebSocket from 'ws'

export function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b)
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[index] ?? Number.NaN
}

/**
 * Runs `operation` `iterations` times one after another and returns each duration in microseconds. An
 * operation that returns a number reports its own duration in milliseconds (to leave set-up out).
 */
export async function sampleMicroseconds(iterations: number, operation: () => unknown): Promise<number[]> {
  const samples: number[] = []
  for (let i = 0; i < iterations; i++) {
    const started = performance.now()
    const reported = await operation()
    samples.push((typeof reported === 'number' ? reported : performance.now() - started) * 1000)
  }
  return samples
}

export function round(value: number, digits = 1): number {
  const factor = 10 ** digits
  return Math.round(value * factor) / factor
}

/** Prints the one JSON object a benchmark reports. */
export function report(result: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
}

export type RpcLogNotification = { topics: string[]; removed?: boolean }

/**
 * A bare `eth_subscribe('logs', filter)` over a WebSocket, resolved once the node confirms it. The e2e
 * benchmark observes with it instead of an ethers provider: ethers formats each log (and checksums its
 * address with a keccak), and the observer shares its process with the relayer it measures.
 */
export async function subscribeLogs(
  url: string,
  filter: { address: string; topics: (string | string[])[] },
  onLog: (log: RpcLogNotification) => void,
): Promise<{ close(): Promise<void> }> {
  const socket = new WebSocket(url)
  await once(socket, 'open')
  const subscribed = new Promise<void>((resolve, reject) => {
    socket.on('message', (data) => {
      const message = JSON.parse(String(data))
      if (message.method === 'eth_subscription') onLog(message.params.result)
      else if (message.id === 1) {
        if (message.error) reject(new Error(`eth_subscribe failed: ${JSON.stringify(message.error)}`))
        else resolve()
      }
    })
  })
  socket.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_subscribe', params: ['logs', filter] }))
  await subscribed
  return {
    close: async () => {
      const closed = once(socket, 'close')
      socket.close()
      await closed
    },
  }
}

/** Registers a started part to be stopped when the benchmark ends, and returns it. */
export type Later = <T>(value: T, stop: (value: T) => Promise<unknown> | unknown) => T

/**
 * Runs a benchmark and prints its JSON; whatever it started is stopped afterwards, in reverse order, failed or
 * not. `run` registers each part as it starts it: `later(part, stop)` returns the part.
 */
export async function runBenchmark(run: (later: Later) => Promise<Record<string, unknown>>): Promise<void> {
  const stops: (() => Promise<unknown> | unknown)[] = []
  const later = <T>(value: T, stop: (value: T) => Promise<unknown> | unknown): T => {
    stops.push(() => stop(value))
    return value
  }
  try {
    report(await run(later))
  } finally {
    for (const stop of stops.reverse()) await Promise.resolve(stop()).catch(() => {})
  }
}
