import { describe, expect, it } from 'vitest'
import { requestText } from './requestText.js'

describe('requestText', () => {
  it('decodes an on-chain payload (0x-hex of UTF-8) and keeps any other text as it is', () => {
    expect(requestText('0x7b2261223a22c3a9227d')).toBe('{"a":"é"}')
    expect(requestText('0x')).toBe('')
    expect(requestText('{"args":[]}')).toBe('{"args":[]}')
    // Odd length or not hex: text.
    expect(requestText('0xabc')).toBe('0xabc')
  })
})
