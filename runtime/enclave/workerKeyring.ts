import { inspect } from 'node:util'
import { gcm } from '@noble/ciphers/aes.js'
import { randomBytes } from '@noble/ciphers/webcrypto.js'
import { mapHashToField } from '@noble/curves/abstract/modular.js'
import { x25519 } from '@noble/curves/ed25519.js'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { hkdf } from '@noble/hashes/hkdf.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { cryptoWaitReady, sr25519PairFromSeed, sr25519Sign } from '@polkadot/util-crypto'
import { getAddress } from 'ethers'
import { bytesToHex, concatBytes, type Hex, utf8 } from '../bytes.js'
import { evmAddressOf } from './evmEnvelope.js'
import type { FunctionScope } from './functionScope.js'
import { openSecretsCiphertext } from './secretsCipher.js'
import { signSecp256k1 } from './signSecp256k1.js'
import type { WorkerPublicKeys } from './TeeProvider.js'
import { TeeProviderError } from './TeeProviderError.js'

/** HKDF salt that separates teefn worker keys from anything else derived from the same root. */
const workerKeySalt = utf8('teefn/worker-keys/v1')

const sealFormatVersion = 1
const sealAad = utf8('teefn/seal/v1')
const nonceLength = 12
const tagLength = 16

/**
 * Derives the worker's key seeds from one 32-byte root (the dev sealed root, or the dstack `getKey` root).
 * Exported for tests that must know the private keys to prove they never leak; workers never call it.
 */
export function deriveWorkerSeeds(root: Uint8Array) {
  const expand = (label: string, length: number) => hkdf(sha256, root, workerKeySalt, utf8(label), length)
  return {
    // 48 bytes reduced mod n: a uniform scalar in [1, n-1] (FIPS 186-5 A.2.1), never an invalid key.
    secp256k1: mapHashToField(expand('secp256k1', 48), secp256k1.CURVE.n),
    sr25519Seed: expand('sr25519', 32),
    x25519: expand('x25519', 32),
    seal: expand('seal', 32),
  }
}

/**
 * The private half of a worker identity, shared by the dev and dstack providers. Keys sit in `#private`
 * fields; JSON and `util.inspect` show the public keys only.
 */
export class WorkerKeyring {
  readonly publicKeys: WorkerPublicKeys
  #secp256k1: Uint8Array
  #sr25519: { publicKey: Uint8Array; secretKey: Uint8Array }
  #x25519: Uint8Array
  #x25519Public: Uint8Array
  #seal: Uint8Array

  private constructor(seeds: ReturnType<typeof deriveWorkerSeeds>) {
    this.#secp256k1 = seeds.secp256k1
    this.#sr25519 = sr25519PairFromSeed(seeds.sr25519Seed)
    this.#x25519 = seeds.x25519
    this.#x25519Public = x25519.getPublicKey(seeds.x25519)
    this.#seal = seeds.seal
    this.publicKeys = Object.freeze({
      evmAddress: getAddress(evmAddressOf(secp256k1.getPublicKey(this.#secp256k1, false))) as Hex,
      secp256k1: bytesToHex(secp256k1.getPublicKey(this.#secp256k1, true)),
      sr25519: bytesToHex(this.#sr25519.publicKey),
      encryption: bytesToHex(this.#x25519Public),
    })
  }

  /** Builds the keyring from a 32-byte root secret. */
  static async fromRoot(root: Uint8Array): Promise<WorkerKeyring> {
    if (root.length !== 32) {
      throw new TeeProviderError('Worker root key has the wrong size.', {
        code: 'TEE_INVALID_INPUT',
        details: `${root.length} bytes, expected 32`,
      })
    }
    await cryptoWaitReady()
    return new WorkerKeyring(deriveWorkerSeeds(root))
  }

  signDigest(digest: Uint8Array): Uint8Array {
    if (!(digest instanceof Uint8Array) || digest.length !== 32) {
      throw new TeeProviderError('A digest to sign must be 32 bytes.', {
        code: 'TEE_INVALID_INPUT',
        details: `got ${digest instanceof Uint8Array ? `${digest.length} bytes` : typeof digest}`,
      })
    }
    const { compact, recovery } = signSecp256k1({ digest, privateKey: this.#secp256k1 })
    return concatBytes(compact, Uint8Array.of(27 + recovery))
  }

  signSr25519(message: Uint8Array): Uint8Array {
    if (!(message instanceof Uint8Array)) {
      throw new TeeProviderError('A message to sign must be bytes.', {
        code: 'TEE_INVALID_INPUT',
        details: `got ${typeof message}`,
      })
    }
    return sr25519Sign(message, this.#sr25519)
  }

  decrypt(ciphertext: Uint8Array, scope: FunctionScope): Uint8Array {
    return openSecretsCiphertext(ciphertext, this.#x25519, this.#x25519Public, scope)
  }

  seal(data: Uint8Array): Uint8Array {
    const nonce = randomBytes(nonceLength)
    return concatBytes(Uint8Array.of(sealFormatVersion), nonce, gcm(this.#seal, nonce, sealAad).encrypt(data))
  }

  unseal(sealed: Uint8Array): Uint8Array {
    if (sealed.length < 1 + nonceLength + tagLength || sealed[0] !== sealFormatVersion) {
      throw new TeeProviderError('Sealed data is malformed.', {
        code: 'TEE_UNSEAL_FAILED',
        details: `${sealed.length} bytes, format byte ${sealed[0] ?? 'missing'}`,
        hint: 'Pass exactly the bytes that seal() returned.',
      })
    }
    const nonce = sealed.subarray(1, 1 + nonceLength)
    try {
      return gcm(this.#seal, nonce, sealAad).decrypt(sealed.subarray(1 + nonceLength))
    } catch {
      throw new TeeProviderError('Sealed data could not be opened by this worker.', {
        code: 'TEE_UNSEAL_FAILED',
        hint: 'It was sealed by another worker identity, or altered.',
      })
    }
  }

  toJSON(): { publicKeys: WorkerPublicKeys } {
    return { publicKeys: this.publicKeys }
  }

  [inspect.custom](): string {
    return `WorkerKeyring ${inspect({ publicKeys: this.publicKeys })}`
  }
}
