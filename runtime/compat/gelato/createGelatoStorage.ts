/** `context.storage`: Gelato's key-value store of strings, kept across runs. */
export type GelatoStorage = {
  get(key: string): Promise<string | undefined>
  set(key: string, value: string): Promise<void>
  delete(key: string): Promise<void>
  getKeys(): Promise<string[]>
  /** Gelato's measure: the UTF-8 bytes of the storage as JSON. */
  getSize(): Promise<number>
}

export type CreateGelatoStorageReturnType = {
  storage: GelatoStorage
  /** The storage as it is now, a plain object: what is written back after the run. */
  snapshot(): Record<string, string>
}

/**
 * The storage a run starts from, as Gelato's SDK offers it: every method is async, values must be strings
 * (`Web3FunctionStorageError: value must be a string`), and a deleted key is gone. Bundled into the function.
 */
export function createGelatoStorage(initial: Record<string, string>): CreateGelatoStorageReturnType {
  const entries = new Map(Object.entries(initial))
  const snapshot = () => Object.fromEntries(entries)
  const storage: GelatoStorage = Object.freeze({
    get: async (key: string) => entries.get(String(key)),
    set: async (key: string, value: string) => {
      if (typeof value !== 'string') throw new Error('Web3FunctionStorageError: value must be a string')
      entries.set(String(key), value)
    },
    delete: async (key: string) => {
      entries.delete(String(key))
    },
    getKeys: async () => [...entries.keys()],
    getSize: async () => storageSize(snapshot()),
  })
  return { storage, snapshot }
}

/** Gelato's measure of a storage: the UTF-8 bytes of its JSON. */
export function storageSize(storage: Record<string, string>): number {
  return new TextEncoder().encode(JSON.stringify(storage)).length
}

/** Whether a run changed the storage (Gelato's "updated"): a key added, removed or set to another value. */
export function storageChanged(before: Record<string, string>, after: Record<string, string>): boolean {
  const keys = Object.keys(after)
  if (keys.length !== Object.keys(before).length) return true
  return keys.some((key) => !Object.hasOwn(before, key) || before[key] !== after[key])
}
