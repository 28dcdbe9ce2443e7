import { describe, expect, it } from 'vitest'
import { createGelatoStorage, storageChanged, storageSize } from './createGelatoStorage.js'

describe('createGelatoStorage', () => {
  it('gets, sets, deletes and lists string values, starting from the stored ones', async () => {
    const { storage, snapshot } = createGelatoStorage({ lastRun: '1', stale: 'x' })
    expect(await storage.get('lastRun')).toBe('1')
    await storage.set('lastRun', '2')
    await storage.delete('stale')
    expect(await storage.get('stale')).toBeUndefined()
    expect(await storage.getKeys()).toEqual(['lastRun'])
    expect(snapshot()).toEqual({ lastRun: '2' })
  })

  it("refuses a value that is not a string with Gelato's message", async () => {
    const { storage } = createGelatoStorage({})
    await expect(storage.set('n', 1 as unknown as string)).rejects.toThrow(
      'Web3FunctionStorageError: value must be a string',
    )
  })

  it("measures the size as Gelato does: the storage's JSON in UTF-8 bytes", async () => {
    const { storage } = createGelatoStorage({ k: 'é' })
    expect(await storage.getSize()).toBe('{"k":"é"}'.length + 1)
    expect(storageSize({})).toBe(2)
  })

  it('sees a change as Gelato does: a key added, removed or set to another value, not a reordering', () => {
    expect(storageChanged({ a: '1', b: '2' }, { b: '2', a: '1' })).toBe(false)
    expect(storageChanged({ a: '1' }, { a: '2' })).toBe(true)
    expect(storageChanged({ a: '1' }, {})).toBe(true)
    expect(storageChanged({ a: '1' }, { b: '1' })).toBe(true)
  })
})
