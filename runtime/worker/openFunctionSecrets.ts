import type { Hex } from '../bytes.js'
import { decryptSecrets } from '../enclave/decryptSecrets.js'
import { type FunctionScope, scopeId } from '../enclave/functionScope.js'
import { recoverSecretsSigner } from '../enclave/ownerRecords.js'
import type { TeeProvider } from '../enclave/TeeProvider.js'
import type { FunctionStore } from '../store/FunctionStore.js'
import { FunctionStoreError } from '../store/FunctionStoreError.js'

export type OpenFunctionSecretsParameters = {
  provider: Pick<TeeProvider, 'decrypt'>
  store: Pick<FunctionStore, 'getSecrets'>
  scope: FunctionScope
  /** The owner the registry names, read through the RPC quorum; undefined: the function has none (no secrets). */
  owner: Hex | undefined
}

export type OpenFunctionSecretsReturnType =
  | { ok: true; secrets: Record<string, string> }
  /** Why the stored secrets were refused; the message names no secret. */
  | { ok: false; message: string }

/**
 * A function's secrets, opened inside the worker only when the stored record is signed by the function's
 * on-chain owner for exactly this scope. Whoever writes the store can delete secrets or roll them back to an
 * older owner-signed version, never choose them.
 */
export async function openFunctionSecrets({
  provider,
  store,
  scope,
  owner,
}: OpenFunctionSecretsParameters): Promise<OpenFunctionSecretsReturnType> {
  if (!owner) return { ok: true, secrets: {} }
  let record: Awaited<ReturnType<typeof store.getSecrets>>
  try {
    record = await store.getSecrets(scope)
  } catch (error) {
    // Written around the store (no signature, another scope's record, not JSON): no owner signed it for this scope.
    if (error instanceof FunctionStoreError && error.code === 'STORED_RECORD_INVALID') {
      return { ok: false, message: 'the stored secrets are not a record signed for this function scope' }
    }
    throw error
  }
  if (!record || record.ciphertext === '0x') return { ok: true, secrets: {} }
  if (scopeId(record.scope) !== scopeId(scope)) {
    return { ok: false, message: 'the stored secrets belong to another function scope' }
  }
  const signer = recoverSecretsSigner(record)
  if (signer !== owner.toLowerCase()) {
    return {
      ok: false,
      message: `the stored secrets (version ${record.version}) are not signed by the function's owner ${owner}`,
    }
  }
  try {
    return { ok: true, secrets: await decryptSecrets({ provider, ciphertext: record.ciphertext, scope }) }
  } catch (error) {
    return { ok: false, message: (error as Error).message.split('\n')[0] ?? 'secrets cannot be opened' }
  }
}
