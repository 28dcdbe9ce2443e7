import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inspect } from 'node:util'
import { gcm } from '@noble/ciphers/aes.js'
import { x25519 } from '@noble/curves/ed25519.js'
import { hkdf } from '@noble/hashes/hkdf.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bytesToHex, concatBytes, type Hex, hexToBytes, utf8 } from '../bytes.js'
import { decryptSecrets } from './decryptSecrets.js'
import { createDevProvider } from './devProvider.js'
import { type FunctionScope, scopeIdBytes } from './functionScope.js'
import { SecretsError } from './SecretsError.js'
import { encryptSecrets, encryptSecretsBytes, secretsFormat } from './secretsCipher.js'
import type { TeeProvider } from './TeeProvider.js'

const scope: FunctionScope = {
  family: 'evm',
  chainId: '31337',
  registry: `0x${'5f'.repeat(20)}`,
  functionId: `0x${'5e'.repeat(32)}`,
}
/** Every other scope a ciphertext for `scope` must not open under. */
const otherScopes: Record<string, FunctionScope> = {
  'another functionId': { ...scope, functionId: `0x${'5f'.repeat(32)}` },
  'another chain': { ...scope, chainId: '1' },
  'another registry': { ...scope, registry: `0x${'6f'.repeat(20)}` },
  'the substrate family': {
    family: 'substrate',
    chainId: `0x${'91'.repeat(32)}`,
    registry: '0x',
    functionId: scope.functionId,
  },
}
const secrets = { API_KEY: 'sk-live-7f3a9c0e1d2b4a6f', DB_PASSWORD: 'correct horse battery staple' }

let dir: string
let worker: TeeProvider
let otherWorker: TeeProvider
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'teefn-secrets-'))
  worker = await createDevProvider({ keyFile: join(dir, 'worker.json') })
  otherWorker = await createDevProvider({ keyFile: join(dir, 'other.json') })
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function failure(promise: Promise<unknown>): Promise<SecretsError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(SecretsError)
  return error as SecretsError
}

function expectNoSecret(error: Error) {
  for (const text of [error.message, inspect(error), JSON.stringify(error), String(error.stack)]) {
    for (const value of Object.values(secrets)) expect(text).not.toContain(value)
  }
}

describe('secrets encryption', () => {
  it('round-trips through the worker key, for the scope it was made for', async () => {
    const ciphertext = encryptSecrets({ workerKey: worker.publicKeys.encryption, scope, secrets })
    expect(ciphertext).toMatch(/^0x02/)
    expect(secretsFormat).toEqual({ version: 2, label: 'teefn/secrets/v2' })
    for (const value of Object.values(secrets))
      expect(ciphertext).not.toContain(Buffer.from(value).toString('hex'))
    expect(await decryptSecrets({ provider: worker, ciphertext, scope })).toEqual(secrets)
    // Fresh ephemeral key and nonce each time.
    expect(encryptSecrets({ workerKey: worker.publicKeys.encryption, scope, secrets })).not.toBe(ciphertext)
  })

  it('cannot be moved to another scope: functionId, chain, registry or family', async () => {
    const ciphertext = encryptSecrets({ workerKey: worker.publicKeys.encryption, scope, secrets })
    for (const [name, other] of Object.entries(otherScopes)) {
      const error = await failure(decryptSecrets({ provider: worker, ciphertext, scope: other }))
      expect({ name, code: error.code }).toEqual({ name, code: 'SECRETS_INVALID' })
      expect(error.hint).toContain('scope')
      expectNoSecret(error)
    }
    // And the other way round: made for another chain, it does not open here.
    const forMainnet = encryptSecrets({
      workerKey: worker.publicKeys.encryption,
      scope: otherScopes['another chain']!,
      secrets,
    })
    expect((await failure(decryptSecrets({ provider: worker, ciphertext: forMainnet, scope }))).code).toBe(
      'SECRETS_INVALID',
    )
  })

  it('is the documented byte format: 0x02 || ephemeral || nonce || AES-256-GCM, AAD "teefn/secrets/v2" || scopeId', async () => {
    // Built here from the spec with noble, independently of secretsCipher.ts.
    const workerPublicKey = hexToBytes(worker.publicKeys.encryption)!
    const ephemeral = x25519.utils.randomPrivateKey()
    const ephemeralPublicKey = x25519.getPublicKey(ephemeral)
    const key = hkdf(
      sha256,
      x25519.getSharedSecret(ephemeral, workerPublicKey),
      utf8('teefn/secrets/v1'),
      concatBytes(ephemeralPublicKey, workerPublicKey),
      32,
    )
    const nonce = new Uint8Array(12).fill(7)
    const aad = concatBytes(utf8('teefn/secrets/v2'), scopeIdBytes(scope))
    const sealed = gcm(key, nonce, aad).encrypt(utf8(JSON.stringify(secrets)))
    const ciphertext = concatBytes(Uint8Array.of(2), ephemeralPublicKey, nonce, sealed)
    expect(await decryptSecrets({ provider: worker, ciphertext, scope })).toEqual(secrets)
    expect(await decryptSecrets({ provider: worker, ciphertext: bytesToHex(ciphertext), scope })).toEqual(
      secrets,
    )
  })

  it('refuses a version 1 ciphertext with a hint to encrypt again for the scope', async () => {
    // Version 1: the same construction with the functionId alone in the associated data.
    const workerPublicKey = hexToBytes(worker.publicKeys.encryption)!
    const ephemeral = x25519.utils.randomPrivateKey()
    const ephemeralPublicKey = x25519.getPublicKey(ephemeral)
    const key = hkdf(
      sha256,
      x25519.getSharedSecret(ephemeral, workerPublicKey),
      utf8('teefn/secrets/v1'),
      concatBytes(ephemeralPublicKey, workerPublicKey),
      32,
    )
    const nonce = new Uint8Array(12).fill(1)
    const aad = concatBytes(utf8('teefn/secrets/v1'), hexToBytes(scope.functionId)!)
    const v1 = concatBytes(
      Uint8Array.of(1),
      ephemeralPublicKey,
      nonce,
      gcm(key, nonce, aad).encrypt(utf8(JSON.stringify(secrets))),
    )
    const error = await failure(decryptSecrets({ provider: worker, ciphertext: v1, scope }))
    expect(error.code).toBe('SECRETS_INVALID')
    expect(error.shortMessage).toBe('Secrets ciphertext version 1 is no longer accepted.')
    expect(error.hint).toContain('--chain-id')
    expectNoSecret(error)
  })

  it('cannot be opened by another worker', async () => {
    const ciphertext = encryptSecrets({ workerKey: worker.publicKeys.encryption, scope, secrets })
    expectNoSecret(await failure(decryptSecrets({ provider: otherWorker, ciphertext, scope })))
  })

  it('refuses any altered byte, truncation and an unknown version', async () => {
    const bytes = hexToBytes(encryptSecrets({ workerKey: worker.publicKeys.encryption, scope, secrets }))!
    for (const index of [0, 1, 40, 50, bytes.length - 1]) {
      const altered = bytes.slice()
      altered[index]! ^= 0x01
      expectNoSecret(await failure(worker.decrypt(altered, scope)))
    }
    expect((await failure(worker.decrypt(bytes.subarray(0, 50), scope))).code).toBe('SECRETS_INVALID')
    expect(
      (await failure(decryptSecrets({ provider: worker, ciphertext: 'not hex' as Hex, scope }))).code,
    ).toBe('SECRETS_INVALID')
  })

  it('reports a decrypted plaintext that is not an object of strings without showing it', async () => {
    const notJson = encryptSecretsBytes(utf8('sk-live-7f3a9c0e1d2b4a6f'), worker.publicKeys.encryption, scope)
    const notJsonError = await failure(decryptSecrets({ provider: worker, ciphertext: notJson, scope }))
    expect(notJsonError.code).toBe('SECRETS_INVALID')
    expectNoSecret(notJsonError)
    const nested = encryptSecretsBytes(
      utf8(JSON.stringify({ API_KEY: { value: secrets.API_KEY } })),
      worker.publicKeys.encryption,
      scope,
    )
    const nestedError = await failure(decryptSecrets({ provider: worker, ciphertext: nested, scope }))
    expect(nestedError.code).toBe('SECRETS_NOT_AN_OBJECT')
    expect(nestedError.message).toContain('"API_KEY"')
    expectNoSecret(nestedError)
  })

  it('refuses bad inputs when encrypting', () => {
    expect(() => encryptSecrets({ workerKey: '0x1234', scope, secrets })).toThrowError(/32-byte X25519/)
    expect(() =>
      encryptSecrets({
        workerKey: worker.publicKeys.encryption,
        scope: { ...scope, functionId: '0x12' },
        secrets,
      }),
    ).toThrowError(expect.objectContaining({ code: 'FUNCTION_SCOPE_INVALID', field: 'functionId' }))
    expect(() =>
      encryptSecrets({
        workerKey: worker.publicKeys.encryption,
        scope: { ...scope, registry: '0x' },
        secrets,
      }),
    ).toThrowError(expect.objectContaining({ field: 'registry' }))
    expect(() =>
      encryptSecrets({
        workerKey: worker.publicKeys.encryption,
        scope,
        secrets: { n: 1 } as unknown as Record<string, string>,
      }),
    ).toThrowError(expect.objectContaining({ code: 'SECRETS_NOT_AN_OBJECT' }))
    // A low-order point (here: zero) would give a known shared key: refused.
    expect(() => encryptSecrets({ workerKey: `0x${'00'.repeat(32)}`, scope, secrets })).toThrowError(
      /not a usable X25519/,
    )
  })
})
