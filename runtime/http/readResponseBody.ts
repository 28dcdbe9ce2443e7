import type { IncomingMessage } from 'node:http'
import type { Transform } from 'node:stream'
import { constants, createBrotliDecompress, createGunzip, createInflate, createInflateRaw } from 'node:zlib'
import { FetchError } from './FetchError.js'

export type ReadResponseBodyParameters = {
  /** Limit on the body after decoding; past it the read fails at once and the socket is destroyed. */
  maxResponseBytes: number
  /** `https://host:port`, for messages. */
  origin: string
  /**
   * False for responses that carry no body whatever their `content-length` says (to HEAD, 204, 304):
   * the early `content-length` check is skipped. Default true.
   */
  expectBody?: boolean | undefined
}

/**
 * Reads a response body into memory, decoding `gzip`, `deflate` and `br` as it streams, and counting decoded
 * bytes against `maxResponseBytes`, so neither a long body nor a compression bomb lands in memory.
 * A `content-length` above the limit (uncompressed bodies only) fails before reading anything.
 * Unknown encodings are returned as received.
 *
 * Rejects with `RESPONSE_TOO_LARGE`, or `NETWORK_ERROR` when the connection breaks or the body cannot be decoded;
 * on any failure the response (and its socket) is destroyed. Destroying `response` from outside (a timeout)
 * rejects with the error it was destroyed with.
 */
export function readResponseBody(
  response: IncomingMessage,
  parameters: ReadResponseBodyParameters,
): Promise<Uint8Array> {
  const { maxResponseBytes, origin } = parameters
  const encodings = parseContentEncoding(response.headers['content-encoding'])
  const tooLarge = (details: string) =>
    new FetchError(
      `The response from ${origin} is larger than the limit of ${formatBytes(maxResponseBytes)}.`,
      {
        code: 'RESPONSE_TOO_LARGE',
        details,
        hint: 'Ask the upstream for less (filters, pagination, ranges, smaller fields).',
      },
    )

  return new Promise<Uint8Array>((resolve, reject) => {
    const chunks: Buffer[] = []
    let received = 0
    let settled = false
    let decoders: Transform[] = []

    const fail = (error: unknown) => {
      if (settled) return
      settled = true
      chunks.length = 0
      for (const decoder of decoders) decoder.destroy()
      response.destroy()
      response.socket?.destroy()
      reject(error)
    }
    const finish = () => {
      if (settled) return
      settled = true
      // Always a fresh copy: socket chunks are views into larger shared buffers.
      resolve(concat(chunks, received))
    }
    const accept = (chunk: Buffer) => {
      if (settled) return
      received += chunk.length
      if (received > maxResponseBytes)
        return fail(
          tooLarge(
            `more than ${maxResponseBytes} bytes received${encodings.length > 0 ? ' after decoding' : ''}`,
          ),
        )
      chunks.push(chunk)
    }

    const declared = Number(response.headers['content-length'])
    if (parameters.expectBody !== false && encodings.length === 0 && declared > maxResponseBytes) {
      return fail(tooLarge(`content-length is ${declared} bytes`))
    }

    // Decoders are created on the first byte: an empty body (HEAD, 204) with a content-encoding is not an error.
    let sink: ((chunk: Buffer) => void) | undefined
    const start = (first: Buffer): ((chunk: Buffer) => void) => {
      if (encodings.length === 0 || !encodings.every((encoding) => supportedEncodings.has(encoding)))
        return accept
      // `content-encoding: gzip, br` means gzip was applied first, so br is undone first.
      decoders = encodings
        .toReversed()
        .map((encoding, index) => decoderFor(encoding, index === 0 ? first : undefined)!)
      for (let index = 0; index < decoders.length; index++) {
        const decoder = decoders[index]!
        decoder.on('error', (error: Error) =>
          fail(
            new FetchError(`The response from ${origin} could not be decoded (${encodings.join(', ')}).`, {
              code: 'NETWORK_ERROR',
              details: error.message,
              cause: error,
            }),
          ),
        )
        const next = decoders[index + 1]
        if (next) decoder.pipe(next)
      }
      const last = decoders.at(-1)!
      last.on('data', accept)
      last.on('end', finish)
      const head = decoders[0]!
      head.on('drain', () => response.resume())
      return (chunk) => {
        if (!head.write(chunk)) response.pause()
      }
    }

    response.on('data', (chunk: Buffer) => {
      if (settled) return
      sink ??= start(chunk)
      sink(chunk)
    })
    response.on('end', () => {
      if (settled) return
      if (decoders.length > 0) decoders[0]!.end()
      else finish()
    })
    response.on('error', (error) =>
      fail(error instanceof FetchError ? error : connectionBroken(origin, error)),
    )
    response.on('close', () => {
      if (!response.complete) fail(connectionBroken(origin, undefined))
    })
  })
}

function connectionBroken(origin: string, error: Error | undefined): FetchError {
  return new FetchError(`The connection to ${origin} closed before the response body was complete.`, {
    code: 'NETWORK_ERROR',
    details: error?.message,
    cause: error,
  })
}

function parseContentEncoding(header: string | undefined): string[] {
  if (!header) return []
  return header
    .split(',')
    .map((encoding) => encoding.trim().toLowerCase())
    .filter((encoding) => encoding !== '' && encoding !== 'identity')
}

const supportedEncodings = new Set(['gzip', 'x-gzip', 'deflate', 'br'])

function decoderFor(encoding: string, first: Buffer | undefined): Transform | undefined {
  // Lenient flush, as browsers are: a body cut right after a complete block still decodes.
  const lenient = { flush: constants.Z_SYNC_FLUSH, finishFlush: constants.Z_SYNC_FLUSH }
  switch (encoding) {
    case 'gzip':
    case 'x-gzip':
      return createGunzip(lenient)
    case 'deflate':
      // `deflate` should be zlib-wrapped, but some servers send raw deflate; a zlib header's low nibble is 8.
      return first !== undefined && first.length > 0 && (first[0]! & 0x0f) !== 0x08
        ? createInflateRaw(lenient)
        : createInflate(lenient)
    case 'br':
      return createBrotliDecompress()
    default:
      return undefined
  }
}

function concat(chunks: Buffer[], length: number): Uint8Array {
  const out = new Uint8Array(length)
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.length
  }
  return out
}

/** `5 MiB`, `512 KiB` or `1000 bytes`. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`
  return `${bytes} bytes`
}
