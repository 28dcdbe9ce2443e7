import { describe, expect, it } from 'vitest'
import { isCorsSafelistedRequestHeader } from './isCorsSafelistedRequestHeader.js'

describe('isCorsSafelistedRequestHeader', () => {
  it.each([
    ['accept', 'application/json, text/plain;q=0.9'],
    ['Accept-Language', 'en-GB, fr;q=0.8'],
    ['content-language', 'de'],
    ['content-type', 'text/plain; charset=utf-8'],
    ['content-type', 'application/x-www-form-urlencoded'],
    ['content-type', 'multipart/form-data; boundary=abc'],
  ])('safelists %s: %s', (name, value) => {
    expect(isCorsSafelistedRequestHeader(name, value)).toBe(true)
  })

  it.each([
    ['x-api-key', 'k'],
    ['authorization', 'Bearer t'],
    ['cookie', 'a=1'],
    ['user-agent', 'teefn'],
    ['content-type', 'application/json'],
    ['accept', 'text/plain (with a comment)'],
    ['accept-language', 'en_GB'],
    ['accept', 'a'.repeat(129)],
  ])('does not safelist %s: %s', (name, value) => {
    expect(isCorsSafelistedRequestHeader(name, value)).toBe(false)
  })
})
