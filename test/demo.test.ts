import { describe, expect, it } from 'vitest'
import { runDemo } from '../dev/runDemo.js'

describe('npm run demo', () => {
  it('answers an on-chain price request through the whole loop and leaves nothing running', async () => {
    const lines: string[] = []
    const { price, requestId, fulfilmentTransaction } = await runDemo({ print: (line) => lines.push(line) })
    expect(price).toBe(301245000000n)
    expect(requestId).toMatch(/^0x[0-9a-f]{64}$/)
    expect(fulfilmentTransaction).toMatch(/^0x[0-9a-f]{64}$/)
    const output = lines.join('\n')
    expect(output).toContain('"status": "OK"')
    expect(output).toMatch(/verified +signed by 0x[0-9a-fA-F]{40} \(the admitted worker\)/)
    expect(output).toContain(
      '✓ A contract asked, a TEE worker answered, and the verified answer is on-chain.',
    )
  })
})
