import type { FastifyRequest } from 'fastify'
import { ApiError } from './ApiError.js'

/**
 * fastify's content-type parser for JSON bodies: `JSON.parse`, refusing a `__proto__` key anywhere and a
 * `constructor` key that holds a `prototype` (prototype pollution), by name, as a validation error; malformed JSON
 * is a `BAD_REQUEST` that says where. Both keep the API's error shape (fastify's own parser called such a body
 * "not valid JSON").
 */
export function parseJsonBody(
  _request: FastifyRequest,
  body: string | Buffer,
  done: (error: Error | null, value?: unknown) => void,
): void {
  const text = typeof body === 'string' ? body : body.toString('utf8')
  if (text.length === 0) {
    done(new ApiError('the body is empty; send a JSON object (or no content-type).', { code: 'BAD_REQUEST' }))
    return
  }
  try {
    done(null, JSON.parse(text, refusePrototypeKeys))
  } catch (error) {
    if (error instanceof ApiError) done(error)
    else
      done(
        new ApiError(
          `the body is not valid JSON: ${((error as Error).message ?? '').split('\n')[0]!.slice(0, 160)}.`,
          { code: 'BAD_REQUEST' },
        ),
      )
  }
}

function refusePrototypeKeys(key: string, value: unknown): unknown {
  if (
    key === '__proto__' ||
    (key === 'constructor' && typeof value === 'object' && value !== null && 'prototype' in value)
  ) {
    throw new ApiError(
      `invalid request: the body has a "${key}" key, which the API refuses (it could change object prototypes).`,
      { code: 'VALIDATION_FAILED' },
    )
  }
  return value
}
