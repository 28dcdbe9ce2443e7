import { describe, expect, it } from 'vitest'
import { BaseError } from '../errors/BaseError.js'
import { FetchError, isFetchError } from './FetchError.js'

describe('FetchError', () => {
  it('is a BaseError with a stable code, details and hint in the message', () => {
    const cause = new Error('connect ECONNREFUSED 127.0.0.1:1')
    const error = new FetchError('The fetch to http://127.0.0.1:1 failed.', {
      code: 'NETWORK_ERROR',
      details: 'code: ECONNREFUSED',
      hint: 'Check that the host is up.',
      cause,
    })
    expect(error).toBeInstanceOf(BaseError)
    expect(error.name).toBe('FetchError')
    expect(error.code).toBe('NETWORK_ERROR')
    expect(error.shortMessage).toBe('The fetch to http://127.0.0.1:1 failed.')
    expect(error.message).toBe(
      'The fetch to http://127.0.0.1:1 failed.\nDetails: code: ECONNREFUSED\nHint: Check that the host is up.',
    )
    expect(error.cause).toBe(cause)
  })

  it('is recognised by isFetchError, optionally by code', () => {
    const error = new FetchError('Too slow.', { code: 'TIMEOUT' })
    expect(isFetchError(error)).toBe(true)
    expect(isFetchError(error, 'TIMEOUT')).toBe(true)
    expect(isFetchError(error, 'NETWORK_ERROR')).toBe(false)
    expect(isFetchError(new BaseError('Other.', { code: 'TIMEOUT' }))).toBe(false)
    expect(isFetchError(undefined)).toBe(false)
  })
})
