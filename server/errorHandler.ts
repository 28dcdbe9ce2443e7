import { STATUS_CODES } from 'node:http'
import type { Duplex } from 'node:stream'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { ApiError } from './ApiError.js'
import type { ApiErrorCode } from './errorCodes.js'

/** The one error shape every route answers with. */
export type ErrorBody = { error: { code: string; message: string } }

/** Fastify's own errors, as the API names them. */
const fastifyCodes: Record<string, ApiErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'BAD_REQUEST',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'BAD_REQUEST',
  FST_ERR_CTP_INVALID_JSON_BODY: 'BAD_REQUEST',
}

/** ioredis failures: Redis is down or unreachable, which the caller can only retry later. */
function isRedisUnavailable(error: Error): boolean {
  return (
    error.name === 'MaxRetriesPerRequestError' ||
    /^Connection is closed|ECONNREFUSED|ETIMEDOUT|Stream isn't writeable/.test(error.message)
  )
}

/**
 * Turns anything thrown in a route into `{ error: { code, message } }` with its status: validation 400 naming
 * the field, the API's own refusals as they were raised, 413 and 415 from body parsing, 429 from the rate
 * limiter, 503 when Redis is unreachable, and 500 with no detail for the rest (which is logged).
 */
export function handleError(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): void {
  const send = (statusCode: number, code: ApiErrorCode, message: string) => {
    reply.status(statusCode).send({ error: { code, message } } satisfies ErrorBody)
  }
  if (error instanceof ApiError) {
    send(
      error.statusCode,
      error.code,
      error.hint ? `${error.shortMessage} ${error.hint}` : error.shortMessage,
    )
    return
  }
  const fastifyError = error as FastifyError
  if (fastifyError.validation) {
    send(400, 'VALIDATION_FAILED', `invalid request: ${fastifyError.message}`)
    return
  }
  const statusCode = fastifyError.statusCode ?? 500
  if (statusCode === 429) {
    send(429, 'RATE_LIMITED', `too many requests: ${fastifyError.message}`)
    return
  }
  if (statusCode >= 400 && statusCode < 500) {
    const code = fastifyCodes[fastifyError.code ?? ''] ?? (statusCode === 404 ? 'NOT_FOUND' : 'BAD_REQUEST')
    send(statusCode, code, fastifyError.message)
    return
  }
  if (isRedisUnavailable(error)) {
    request.log.error({ err: error }, 'redis unavailable')
    send(503, 'UNAVAILABLE', 'the job queue or the function store is unavailable; retry later')
    return
  }
  request.log.error({ err: error }, 'request failed')
  send(500, 'INTERNAL_ERROR', 'internal error')
}

/** Unknown routes answer 404 in the same shape. */
export function handleNotFound(request: FastifyRequest, reply: FastifyReply): void {
  reply.status(404).send({
    error: {
      code: 'NOT_FOUND',
      message: `no route ${request.method} ${request.url.split('?')[0]?.slice(0, 200)}`,
    },
  } satisfies ErrorBody)
}

/**
 * Errors fastify raises before routing (`frameworkErrors`): a path parameter over `maxParamLength` (414) and a
 * URL that does not decode (400), in the same shape. The path is not echoed: it is what was too long.
 */
export function handleFrameworkError(
  error: FastifyError,
  _request: FastifyRequest,
  reply: FastifyReply,
): void {
  const [status, code, message]: [number, ApiErrorCode, string] =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? [414, 'URL_TOO_LONG', 'a path parameter of the URL is longer than any valid one.']
      : error.code === 'FST_ERR_BAD_URL'
        ? [400, 'BAD_REQUEST', 'the URL is not validly percent-encoded.']
        : [500, 'INTERNAL_ERROR', 'internal error']
  reply.status(status).send({ error: { code, message } } satisfies ErrorBody)
}

const clientErrors: Record<string, [number, ApiErrorCode, string]> = {
  ERR_HTTP_REQUEST_TIMEOUT: [
    408,
    'REQUEST_TIMEOUT',
    'the request (headers or body) did not arrive within the server timeout.',
  ],
  HPE_HEADER_OVERFLOW: [431, 'HEADERS_TOO_LARGE', 'the request line and headers are over 16 KiB.'],
}

/**
 * Node's `clientError` (a request that never reached fastify: too slow, headers too large, not HTTP): answered
 * in the API's shape, then the socket is closed.
 */
export function handleClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return
  const [status, code, message] = clientErrors[error.code ?? ''] ?? [
    400,
    'BAD_REQUEST',
    'the request is not valid HTTP.',
  ]
  const body = JSON.stringify({ error: { code, message } } satisfies ErrorBody)
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    )
  }
  socket.destroy()
}
