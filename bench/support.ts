/** Small helpers shared by the benchmarks: percentiles over samples, and timing a loop. */

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
