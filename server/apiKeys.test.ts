import { describe, expect, it } from 'vitest'
import { createApiKeyMatcher } from './apiKeys.js'

describe('createApiKeyMatcher', () => {
  it('matches configured keys only, naming them by a short hash that is not the key', () => {
    const match = createApiKeyMatcher(['alpha-key', 'beta-key', ''])
    const alpha = match('alpha-key')
    expect(alpha?.id).toMatch(/^[0-9a-f]{12}$/)
    expect(alpha?.id).not.toContain('alpha')
    expect(match('beta-key')?.id).not.toBe(alpha?.id)
    expect(match('alpha-key ')).toBeUndefined()
    expect(match('alpha')).toBeUndefined()
    // An empty configured key never matches an empty header.
    expect(match('')).toBeUndefined()
    expect(match(undefined)).toBeUndefined()
    expect(createApiKeyMatcher([])('anything')).toBeUndefined()
  })
})
