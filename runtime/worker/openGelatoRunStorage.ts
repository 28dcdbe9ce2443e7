import { compatModeOf } from '../compat/compatMode.js'
import { storageChanged } from '../compat/gelato/createGelatoStorage.js'
import { replaceGelatoStorage } from '../compat/gelato/replaceGelatoStorage.js'
import type { FunctionScope } from '../enclave/functionScope.js'
import type { InvocationOutcome } from '../sandbox/types.js'
import type { GelatoStorageStore } from '../store/createRedisGelatoStorageStore.js'
import { GelatoStorageError } from '../store/GelatoStorageError.js'

export type OpenGelatoRunStorageParameters = {
  store: GelatoStorageStore
  /** The bundle: only one built with `--compat gelato` has storage. */
  code: string
  request: string
  /** The function's scope and key; storage persists only for runs that get them (as secrets and `deriveSecret`). */
  scope: FunctionScope | undefined
  functionKey: Uint8Array | undefined
}

/** A run's persisted storage: its request carries it in; `save` writes the storage the run ended with back. */
export type GelatoRunStorage =
  | { ok: false; message: string }
  | {
      ok: true
      /** The request with the kept storage in place of the caller's. */
      request: string
      /** After a successful run: writes its storage if it changed. An error message when the write was refused. */
      save(outcome: InvocationOutcome): Promise<string | undefined>
    }

/**
 * The worker's Gelato hook: loads a Gelato-mode function's sealed storage before its run and writes it back
 * after, by Gelato's rule (after a run that returned, `canExec` true or false, and only when it changed; a run
 * that failed leaves it as it was). Undefined for other functions and for runs without the function's key.
 */
export async function openGelatoRunStorage({
  store,
  code,
  request,
  scope,
  functionKey,
}: OpenGelatoRunStorageParameters): Promise<GelatoRunStorage | undefined> {
  if (compatModeOf(code) !== 'gelato' || !scope || !functionKey) return undefined
  let loaded: Awaited<ReturnType<GelatoStorageStore['load']>>
  try {
    loaded = await store.load(scope, functionKey)
  } catch (error) {
    if (error instanceof GelatoStorageError) return { ok: false, message: error.message }
    throw error
  }
  return {
    ok: true,
    request: replaceGelatoStorage(request, loaded.storage),
    async save(outcome) {
      const after = outcome.compat?.storage
      if (!outcome.ok || after === undefined) return undefined
      // The sandbox's side output is the guest's to write: only an object of strings is storage.
      if (!isStringRecord(after)) return 'The run reported a Gelato storage that is not an object of strings.'
      if (!storageChanged(loaded.storage, after)) return undefined
      try {
        await store.save(scope, functionKey, { version: loaded.version, storage: after })
        return undefined
      } catch (error) {
        if (error instanceof GelatoStorageError) return error.message
        throw error
      }
    },
  }
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((entry) => typeof entry === 'string')
  )
}
