import { describe, expect, it } from 'vitest'
import { HttpMockError } from './HttpMockError.js'
import { parseHttpMocks } from './parseHttpMocks.js'

const ok = { request: { url: 'https://api.example.com/a' }, response: { json: { a: 1 } } }

function errorOf(value: unknown): HttpMockError {
  try {
    parseHttpMocks(value)
  } catch (error) {
    if (error instanceof HttpMockError) return error
    throw error
  }
  throw new Error('parseHttpMocks accepted it')
}

describe('parseHttpMocks', () => {
  it('accepts a valid list and defaults the status to 200', () => {
    const [mock] = parseHttpMocks([
      ok,
      {
        request: { method: 'post', url: 'https://api.example.com/v1/*', headers: { 'X-Key': 'k' } },
        response: { status: 302, headers: { location: '/a' }, body: '' },
      },
    ])
    expect(mock?.response.status).toBe(200)
    expect(mock?.response.json).toEqual({ a: 1 })
  })

  it.each([
    ['not an array', { request: {} }, /^mocks must be an array/],
    ['an entry that is not an object', [ok, 'x'], /^mocks\[1\] must be an object/],
    ['an unknown field', [{ ...ok, reponse: {} }], /^mocks\[0\]\.reponse is not a field/],
    ['a missing request', [{ response: {} }], /^mocks\[0\]\.request must be an object/],
    ['a missing url', [{ request: {}, response: {} }], /^mocks\[0\]\.request\.url must be a URL string/],
    [
      'a relative url',
      [{ request: { url: '/price' }, response: {} }],
      /^mocks\[0\]\.request\.url must be an absolute http: or https: URL/,
    ],
    [
      'a bad method',
      [{ request: { url: 'https://a.example/', method: 'GE T' }, response: {} }],
      /^mocks\[0\]\.request\.method must be an HTTP method/,
    ],
    [
      'a request header that is not a string',
      [{ request: { url: 'https://a.example/', headers: { 'x-key': 1 } }, response: {} }],
      /^mocks\[0\]\.request\.headers\["x-key"\] must be a valid header/,
    ],
    [
      'a status out of range',
      [ok, { request: { url: 'https://a.example/' }, response: { status: 99 } }],
      /^mocks\[1\]\.response\.status must be a whole number from 200 to 599/,
    ],
    [
      'a status that is not a number',
      [{ request: { url: 'https://a.example/' }, response: { status: '200' } }],
      /^mocks\[0\]\.response\.status must be a whole number/,
    ],
    [
      'both body and json',
      [{ request: { url: 'https://a.example/' }, response: { body: 'x', json: null } }],
      /^mocks\[0\]\.response has both body and json/,
    ],
    [
      'a body that is not a string',
      [{ request: { url: 'https://a.example/' }, response: { body: { a: 1 } } }],
      /^mocks\[0\]\.response\.body must be a string/,
    ],
    [
      'a response header with a line break',
      [{ request: { url: 'https://a.example/' }, response: { headers: { 'x-a': 'a\r\nb: c' } } }],
      /^mocks\[0\]\.response\.headers\["x-a"\] must be a valid header/,
    ],
  ])('refuses %s, naming the entry and field', (_kind, value, message) => {
    const error = errorOf(value)
    expect(error.code).toBe('HTTP_MOCK_INVALID')
    expect(error.shortMessage).toMatch(message)
  })
})
