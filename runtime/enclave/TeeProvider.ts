import type { Hex } from '../bytes.js'
import type { FunctionScope } from './functionScope.js'

export type TeeKind = 'dstack' | 'dev'

/** What a worker shows of itself: public keys only. */
export type WorkerPublicKeys = {
  /** EIP-55 address of the secp256k1 key: the `worker` of EVM envelopes. */
  evmAddress: Hex
  /** secp256k1 public key, compressed (33 bytes). */
  secp256k1: Hex
  /** sr25519 public key (32 bytes): the `worker` of Substrate envelopes. */
  sr25519: Hex
  /** X25519 public key (32 bytes) that owners encrypt secrets to. */
  encryption: Hex
}

/** A quote as the provider produced it, before anyone verified it. */
export type TeeQuote = {
  kind: TeeKind
  /** dstack: a raw TDX DCAP quote. dev: the `dev` marker followed by the report data (see `devQuote.ts`). */
  quote: Uint8Array
  /** The 64 bytes the quote binds. */
  reportData: Uint8Array
  /** dstack: the guest agent's event log (JSON text), to replay RTMRs. */
  eventLog?: string
}

/** Facts about the TEE the worker runs in; public by nature. */
export type TeeInfo =
  | {
      kind: 'dstack'
      appId: string
      instanceId: string
      composeHash: string | undefined
      /** Measurement registers as the guest agent reports them (hex, no prefix), when present. */
      tcb: { mrtd?: string; rtmr0?: string; rtmr1?: string; rtmr2?: string; rtmr3?: string }
    }
  | { kind: 'dev'; keyFile: string }

/**
 * A worker's enclave identity. Private keys live inside the provider (in `#private` fields) and no method,
 * serialization, inspection or error ever returns them.
 */
export interface TeeProvider {
  readonly kind: TeeKind
  readonly publicKeys: WorkerPublicKeys
  readonly info: TeeInfo
  /** Signs a 32-byte digest with the secp256k1 key: 65 bytes r||s||v, v 27/28, low-s (EIP-712, `ecrecover`). */
  signDigest(digest: Uint8Array): Promise<Uint8Array>
  /** Signs a message with the sr25519 key: 64 bytes. */
  signSr25519(message: Uint8Array): Promise<Uint8Array>
  /** Opens a secrets ciphertext (see `secretsCipher.ts`) bound to `scope`; throws `SecretsError` otherwise. */
  decrypt(ciphertext: Uint8Array, scope: FunctionScope): Promise<Uint8Array>
  /** A quote over exactly 64 bytes of report data. */
  quote(reportData: Uint8Array): Promise<TeeQuote>
  /** Encrypts data so that only this worker (dstack: this app, on any of its workers) can read it. */
  seal(data: Uint8Array): Promise<Uint8Array>
  /** Opens what `seal` produced; throws `TeeProviderError` (`TEE_UNSEAL_FAILED`) otherwise. */
  unseal(sealed: Uint8Array): Promise<Uint8Array>
  /**
   * 32 bytes that belong to one function scope (chain, registry, functionId): the same on every restart (and,
   * with dstack, on every worker of the app), different for every other scope, even one with the same
   * functionId. Input of `deriveSecretFromFunctionKey`. Throws `FunctionScopeError` for a malformed scope.
   */
  deriveFunctionKey(scope: FunctionScope): Promise<Uint8Array>
  /** Public data only. */
  toJSON(): { kind: TeeKind; publicKeys: WorkerPublicKeys; info: TeeInfo }
}
