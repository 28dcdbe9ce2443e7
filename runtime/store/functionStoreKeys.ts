import { type FunctionScope, scopeId } from '../enclave/functionScope.js'

/** The Redis key names of a function store; the one place that spells them. */
export type FunctionStoreKeys = {
  /** A bundle, by its codeHash (a hash: code, uploadedAt, owner). */
  function(codeHash: string): string
  /** A scope's owner-signed secrets (a hash: version, record). */
  secrets(scope: FunctionScope): string
  /** A scope's owner-signed settings (a hash: version, record). */
  settings(scope: FunctionScope): string
  /** A Gelato-mode function's sealed `context.storage` (a hash: version, sealed). */
  gelatoStorage(scope: FunctionScope): string
}

/**
 * Key names under `prefix`: `<prefix>:function:<codeHash>`, `<prefix>:scope:<scopeId>:secrets`,
 * `<prefix>:scope:<scopeId>:settings` and `<prefix>:scope:<scopeId>:gelato-storage`. Records are keyed by scopeId, never by functionId alone: the same
 * functionId on another chain or registry is another function.
 */
export function functionStoreKeys(prefix: string): FunctionStoreKeys {
  return {
    function: (codeHash) => `${prefix}:function:${codeHash.toLowerCase()}`,
    secrets: (scope) => `${prefix}:scope:${scopeId(scope)}:secrets`,
    settings: (scope) => `${prefix}:scope:${scopeId(scope)}:settings`,
    gelatoStorage: (scope) => `${prefix}:scope:${scopeId(scope)}:gelato-storage`,
  }
}
