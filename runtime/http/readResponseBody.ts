import type { IncomingMessage } from 'node:http'
import type { Readable, Transform } from 'node:stream'
import { constants, createBrotliDecompress, createGunzip, createInflate, createInflateRaw } from 'node:zlib'
import type { MemoryBudget, MemoryReservation } from './createMemoryBudget.js'
import { FetchError } from './FetchError.js'
import { fetchDefaults } from './fetchDefaults.js'
import { formatBytes } from './formatBytes.js'
import { memoryLimitError } from './memoryLimitError.js'

export type ReadResponseBodyParameters = {
  /** Limit on the body after decoding; past it the read fails at once and the socket is destroyed. */
  maxResponseBytes: number
  /** `https://host:port`, for messages. */
  origin: string
  /**
   * False for responses that carry no body whatever their `content-length` says (to HEAD, 204, 304):
   * the early `content-length` and `content-encoding` checks are skipped. Default true.
   */
  expectBody?: boolean | undefined
  /**
   * The invocation's memory: the body's bytes and each decoder's buffers are reserved from it while they
   * live, and a body that does not fit fails with `MEMORY_LIMIT`. Without it only `maxResponseBytes` bounds it.
   */
  memory?: MemoryBudget | undefined
  /** Content-encoding layers decoded at most (`gzip, br` is two); a response with more is refused. Default 2. */
  maxEncodings?: number | undefined
}

/** What `readResponseBody` reads: an `IncomingMessage`, or a transport's stand-in for one (`createMockTransport`). */
export type ResponseBodyStream = Readable &
  Pick<IncomingMessage, 'headers' | 'complete'> & { socket?: { destroy(): void } | null | undefined }

export type ReadResponseBodyReturnType = {
  /** The decoded body: a fresh buffer of exactly its length. */
  body: Uint8Array
  /** The body's bytes in `memory`: release it once nothing holds the body any more. */
  reservation: MemoryReservation | undefined
}

/** What one zlib decoder holds besides its output: state, a 32 KiB window and a 16 KiB output chunk. */
const decoderBytes = 64 * 1024
/** A brotli decoder's ring buffer grows with its output up to the window, at most 16 MiB. */
const brotliWindowBytes = 16 * 1024 * 1024
const supportedEncodings = new Set(['gzip', 'x-gzip', 'deflate', 'br'])

/**
 * Reads a response body into memory, decoding `gzip`, `deflate` and `br` as it streams, and counting decoded
 * bytes against `maxResponseBytes`, so neither a long body nor a compression bomb lands in memory.
 * A `content-length` above the limit (uncompressed bodies only), more than `maxEncodings` encoding layers or
 * an encoding it cannot decode fail before reading anything: each layer costs CPU for every byte, so stacked
 * layers (a 36 KB body of 1,500 gzip layers) are refused rather than unwrapped.
 *
 * Rejects with `RESPONSE_TOO_LARGE`, `MEMORY_LIMIT`, or `NETWORK_ERROR` when the connection breaks or the body
 * cannot be decoded; on any failure the response (and its socket) is destroyed and every reservation released.
 * Destroying `response` from outside (a timeout) rejects with the error it was destroyed with.
 */
export function readResponseBody(
  response: ResponseBodyStream,
  parameters: ReadResponseBodyParameters,
): Promise<ReadResponseBodyReturnType> {
  const { maxResponseBytes, origin, memory } = parameters
  const maxEncodings = parameters.maxEncodings ?? fetchDefaults.maxContentEncodings
  const expectBody = parameters.expectBody !== false
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
  const outOfMemory = (neededBytes: number) =>
    memoryLimitError({ budget: memory!, origin, what: 'the response', neededBytes })

  return new Promise<ReadResponseBodyReturnType>((resolve, reject) => {
    let chunks: Buffer[] = []
    /** The whole body when its length is known up front: filled in place, no copy at the end. */
    let into: Uint8Array | undefined
    let received = 0
    let settled = false
    let decoders: Transform[] = []
    // Reserving 0 bytes always succeeds.
    const bodyReservation = memory?.tryReserve(0)
    let decoderReservation: MemoryReservation | undefined

    const fail = (error: unknown) => {
      if (settled) return
      settled = true
      chunks = []
      into = undefined
      for (const decoder of decoders) decoder.destroy()
      decoderReservation?.release()
      bodyReservation?.release()
      response.destroy()
      response.socket?.destroy()
      reject(error)
    }
    const finish = () => {
      if (settled) return
      decoderReservation?.release()
      if (into !== undefined) {
        settled = true
        return resolve({ body: into, reservation: bodyReservation })
      }
      // The copy exists next to the chunks for a moment: it counts too.
      if (bodyReservation && !bodyReservation.tryGrow(received)) return fail(outOfMemory(received))
      settled = true
      // Always a fresh copy: socket chunks are views into larger shared buffers.
      const body = concat(chunks, received)
      chunks = []
      bodyReservation?.shrink(received)
      resolve({ body, reservation: bodyReservation })
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
      if (into !== undefined) {
        // Node's parser never passes content-length; a body that did would not fit the reservation.
        if (received > into.length) return fail(connectionBroken(origin, undefined))
        into.set(chunk, received - chunk.length)
        return
      }
      if (bodyReservation && !bodyReservation.tryGrow(chunk.length)) return fail(outOfMemory(chunk.length))
      chunks.push(chunk)
    }

    const refusal = refuseEncodings(encodings, maxEncodings, origin)
    if (expectBody && refusal) return fail(refusal)
    const declared = Number(response.headers['content-length'])
    if (expectBody && encodings.length === 0 && declared > maxResponseBytes) {
      return fail(tooLarge(`content-length is ${declared} bytes`))
    }
    if (expectBody && encodings.length === 0 && Number.isSafeInteger(declared) && declared > 0) {
      // A declared length is reserved before reading: of many large responses, those that fit go on and the
      // others fail at once, rather than all of them reading part of a body that cannot fit.
      if (bodyReservation && !bodyReservation.tryGrow(declared)) return fail(outOfMemory(declared))
      into = new Uint8Array(declared)
    }

    // Decoders are created on the first byte: an empty body (HEAD, 204) with a content-encoding is not an error.
    let sink: ((chunk: Buffer) => void) | undefined
    const start = (first: Buffer): ((chunk: Buffer) => void) | undefined => {
      if (encodings.length === 0) return accept
      const refused = refuseEncodings(encodings, maxEncodings, origin)
      if (refused) {
        fail(refused)
        return undefined
      }
      decoderReservation = memory?.tryReserve(encodings.length * decoderBytes)
      if (memory && !decoderReservation) {
        fail(outOfMemory(encodings.length * decoderBytes))
        return undefined
      }
      // `content-encoding: gzip, br` means gzip was applied first, so br is undone first.
      const order = encodings.toReversed()
      decoders = order.map((encoding, index) => decoderFor(encoding, index === 0 ? first : undefined)!)
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
        if (order[index] === 'br' && decoderReservation) trackBrotliWindow(decoder, decoderReservation)
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

    /** A brotli decoder keeps as much of its output as its window holds: that counts until it ends. */
    const trackBrotliWindow = (decoder: Transform, reservation: MemoryReservation) => {
      let windowBytes = 0
      decoder.on('data', (chunk: Buffer) => {
        const more = Math.min(chunk.length, brotliWindowBytes - windowBytes)
        if (settled || more <= 0) return
        if (!reservation.tryGrow(more)) return fail(outOfMemory(more))
        windowBytes += more
      })
    }

    response.on('data', (chunk: Buffer) => {
      if (settled) return
      sink ??= start(chunk)
      sink?.(chunk)
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

/** Why a body in these encodings is not read, or undefined when it can be decoded. */
function refuseEncodings(encodings: string[], maxEncodings: number, origin: string): FetchError | undefined {
  if (encodings.length > maxEncodings) {
    return new FetchError(
      `The response from ${origin} is encoded ${encodings.length} times; at most ${maxEncodings} content-encoding layers are decoded.`,
      {
        code: 'NETWORK_ERROR',
        details: `content-encoding has ${encodings.length} layers`,
        hint: 'Every layer costs CPU for every byte, so stacked encodings are refused. Ask the upstream for one encoding (accept-encoding: gzip) or none (identity).',
      },
    )
  }
  const unknown = encodings.find((encoding) => !supportedEncodings.has(encoding))
  if (unknown === undefined) return undefined
  return new FetchError(
    `The response from ${origin} uses content-encoding ${JSON.stringify(unknown.slice(0, 40))}, which fetch cannot decode.`,
    {
      code: 'NETWORK_ERROR',
      details: `supported: ${[...supportedEncodings].join(', ')}`,
      hint: 'Ask the upstream for gzip, deflate or br (the default accept-encoding), or for identity.',
    },
  )
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
