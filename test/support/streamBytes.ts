import type { ServerResponse } from 'node:http'

export type StreamBytesReturnType = {
  /** Resolves when the response closes (finished, or the client went away), with the bytes written by then. */
  closed: Promise<number>
}

/**
 * Writes `total` bytes of `fill` to a response in 64 KiB chunks, honouring backpressure, and stops as soon as
 * the client closes the connection. Reuses one buffer, so the server side does not fill memory either.
 */
export function streamBytes(response: ServerResponse, total: number, fill = 0x61): StreamBytesReturnType {
  const chunk = Buffer.alloc(64 * 1024, fill)
  let written = 0
  let closed = false
  const done = new Promise<number>((resolve) => {
    response.on('close', () => {
      closed = true
      resolve(written)
    })
  })
  const pump = () => {
    while (!closed && written < total) {
      const piece = total - written >= chunk.length ? chunk : chunk.subarray(0, total - written)
      written += piece.length
      if (!response.write(piece)) {
        response.once('drain', pump)
        return
      }
    }
    if (!closed) response.end()
  }
  pump()
  return { closed: done }
}
