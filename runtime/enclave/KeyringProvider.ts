import { inspect } from 'node:util'
import type { FunctionScope } from './functionScope.js'
import type { TeeInfo, TeeKind, TeeProvider, TeeQuote, WorkerPublicKeys } from './TeeProvider.js'
import type { WorkerKeyring } from './workerKeyring.js'

/**
 * What every provider shares: the worker's keys live in a `WorkerKeyring` (private keys in its `#private`
 * fields), which signs, decrypts and seals. A provider adds where the root comes from, its quotes and its
 * function keys.
 */
export abstract class KeyringProvider implements TeeProvider {
  abstract readonly kind: TeeKind
  abstract readonly info: TeeInfo
  readonly publicKeys: WorkerPublicKeys
  readonly #keyring: WorkerKeyring

  constructor(keyring: WorkerKeyring) {
    this.#keyring = keyring
    this.publicKeys = keyring.publicKeys
  }

  abstract quote(reportData: Uint8Array): Promise<TeeQuote>
  abstract deriveFunctionKey(scope: FunctionScope): Promise<Uint8Array>

  async signDigest(digest: Uint8Array): Promise<Uint8Array> {
    return this.#keyring.signDigest(digest)
  }

  async signSr25519(message: Uint8Array): Promise<Uint8Array> {
    return this.#keyring.signSr25519(message)
  }

  async decrypt(ciphertext: Uint8Array, scope: FunctionScope): Promise<Uint8Array> {
    return this.#keyring.decrypt(ciphertext, scope)
  }

  async seal(data: Uint8Array): Promise<Uint8Array> {
    return this.#keyring.seal(data)
  }

  async unseal(sealed: Uint8Array): Promise<Uint8Array> {
    return this.#keyring.unseal(sealed)
  }

  toJSON() {
    return { kind: this.kind, publicKeys: this.publicKeys, info: this.info }
  }

  [inspect.custom](): string {
    return `${this.constructor.name} ${inspect(this.toJSON(), { depth: 3 })}`
  }
}
