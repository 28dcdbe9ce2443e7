import type { Hex } from '../bytes.js'
import type { FunctionScope } from '../enclave/functionScope.js'
import type { SignedSecrets, SignedSettings } from '../enclave/ownerRecords.js'

/** A bundle as stored: content-addressed by its codeHash. */
export type StoredFunction = {
  codeHash: Hex
  code: string
  /** The uploader (an EVM address) when known. */
  owner?: string | undefined
  uploadedAt: number
}

/**
 * Where bundles and owner-signed records live. Redis by default (`createRedisFunctionStore`). The store checks
 * the form of records and orders them by version; it does not verify signatures (the API and the worker
 * check them against the owner on chain), so whoever controls it can drop or roll back records, never forge one.
 */
export interface FunctionStore {
  /** Stores a bundle under the keccak256 of its bytes; storing the same bundle again changes nothing. */
  putFunction(
    code: string,
    meta?: { owner?: string | undefined },
  ): Promise<{ codeHash: Hex; created: boolean }>
  getFunction(codeHash: Hex): Promise<StoredFunction | undefined>
  /**
   * Stores a scope's signed secrets if `record.version` is above the stored one, atomically; otherwise throws
   * `FunctionStoreError` `VERSION_NOT_NEWER`. A delete is a record with ciphertext `0x` (a tombstone).
   * Throws `OwnerRecordError` for a malformed record.
   */
  putSecrets(record: SignedSecrets): Promise<void>
  /** The scope's latest signed secrets (a tombstone has ciphertext `0x`), or undefined if none was ever put. */
  getSecrets(scope: FunctionScope): Promise<SignedSecrets | undefined>
  /** As `putSecrets`, for settings. */
  putSettings(record: SignedSettings): Promise<void>
  /** The scope's latest signed settings, or undefined. */
  getSettings(scope: FunctionScope): Promise<SignedSettings | undefined>
}
