import { describe, expect, it } from 'vitest'
import { createNonceManager, isNonceConflict } from './createNonceManager.js'

/** A manager over a node count the test sets; `reads` counts how often it was asked. */
function managerOver(count: { value: number }) {
  let reads = 0
  const nonces = createNonceManager({
    readNonce: async () => {
      reads++
      return count.value
    },
  })
  return { nonces, reads: () => reads }
}

describe('createNonceManager', () => {
  it('hands out consecutive nonces, reading the node once, one send at a time', async () => {
    const { nonces, reads } = managerOver({ value: 7 })
    const order: string[] = []
    const slow = nonces.send(async (nonce) => {
      order.push(`start ${nonce}`)
      await new Promise((resolve) => setTimeout(resolve, 5))
      order.push(`end ${nonce}`)
      return nonce
    })
    const fast = nonces.send(async (nonce) => {
      order.push(`start ${nonce}`)
      return nonce
    })
    expect(await Promise.all([slow, fast])).toEqual([7, 8])
    expect(order).toEqual(['start 7', 'end 7', 'start 8'])
    expect(reads()).toBe(1)
    expect(nonces.next).toBe(9)
  })

  it('leaves no gap when a send fails: the next reads the node again', async () => {
    const count = { value: 3 }
    const { nonces, reads } = managerOver(count)
    await expect(
      nonces.send(async () => {
        throw new Error('estimate reverted')
      }),
    ).rejects.toThrow('estimate reverted')
    expect(nonces.next).toBeUndefined()
    expect(await nonces.send(async (nonce) => nonce)).toBe(3)
    expect(reads()).toBe(2)
  })

  it('retries once with the node count when the node says the nonce was used', async () => {
    const count = { value: 10 }
    const { nonces } = managerOver(count)
    expect(await nonces.send(async (nonce) => nonce)).toBe(10)
    count.value = 12 // someone else sent twice from the key
    const tried: number[] = []
    const sent = await nonces.send(async (nonce) => {
      tried.push(nonce)
      if (nonce < 12) throw new Error('nonce too low: next nonce 12, tx nonce 11')
      return nonce
    })
    expect({ sent, tried }).toEqual({ sent: 12, tried: [11, 12] })
  })

  it('forgets the local nonce on reset', async () => {
    const count = { value: 1 }
    const { nonces } = managerOver(count)
    await nonces.send(async (nonce) => nonce)
    count.value = 5
    nonces.reset()
    expect(await nonces.send(async (nonce) => nonce)).toBe(5)
  })
})

describe('isNonceConflict', () => {
  it('knows the nodes’ words for a used nonce, and nothing else', () => {
    expect(isNonceConflict(new Error('nonce too low'))).toBe(true)
    expect(isNonceConflict(new Error('replacement transaction underpriced'))).toBe(true)
    expect(isNonceConflict(new Error('Nonce has already been used'))).toBe(true)
    expect(isNonceConflict(new Error('insufficient funds for gas'))).toBe(false)
  })
})
