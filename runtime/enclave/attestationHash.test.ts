import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { keccak256 } from 'ethers'
import { describe, expect, it } from 'vitest'
import { attestationHash } from './attestationHash.js'
import { attestWorker } from './attestWorker.js'
import { createDevProvider } from './devProvider.js'

describe('attestationHash', () => {
  it('is keccak256 of the quote bytes, from hex or bytes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'teefn-attestation-hash-'))
    const tee = await createDevProvider({ keyFile: join(dir, 'key.json') })
    const { quote } = await attestWorker({ provider: tee, measurement: new TextEncoder().encode('m') })
    await rm(dir, { recursive: true, force: true })
    expect(attestationHash(quote)).toBe(keccak256(quote))
    expect(attestationHash(Buffer.from(quote.slice(2), 'hex'))).toBe(keccak256(quote))
  })

  it('refuses what is not hex bytes', () => {
    expect(() => attestationHash('0x' as `0x${string}`)).toThrow(/not hex bytes/)
    expect(() => attestationHash('0xzz' as `0x${string}`)).toThrow(/not hex bytes/)
  })
})
