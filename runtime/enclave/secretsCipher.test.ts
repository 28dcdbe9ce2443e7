import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inspect } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Hex, hexToBytes, utf8 } from './bytes.js'
import { decryptSecrets } from './decryptSecrets.js'
import { createDevProvider } from './devProvider.js'
import { SecretsError } from './SecretsError.js'
import { encryptSecrets, encryptSecretsBytes } from './secretsCipher.js'
import type { TeeProvider } from './TeeProvider.js'

const functionId = `0x${'5e'.repeat(32)}` as Hex
const otherFunctionId = `0x${'5f'.repeat(32)}` as Hex
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
  it('round-trips through the worker key, for the function it was made for', async () => {
    const ciphertext = encryptSecrets({ workerKey: worker.publicKeys.encryption, functionId, secrets })
    expect(ciphertext).toMatch(/^0x01/)
    for (const value of Object.values(secrets))
      expect(ciphertext).not.toContain(Buffer.from(value).toString('hex'))
    expect(await decryptSecrets({ provider: worker, ciphertext, functionId })).toEqual(secrets)
    // Fresh ephemeral key and nonce each time.
    expect(encryptSecrets({ workerKey: worker.publicKeys.encryption, functionId, secrets })).not.toBe(
      ciphertext,
    )
  })

  it('cannot be moved to another function', async () => {
    const ciphertext = encryptSecrets({ workerKey: worker.publicKeys.encryption, functionId, secrets })
    const error = await failure(decryptSecrets({ provider: worker, ciphertext, functionId: otherFunctionId }))
    expect(error.code).toBe('SECRETS_INVALID')
    expect(error.hint).toContain('functionId')
    expectNoSecret(error)
  })

  it('cannot be opened by another worker', async () => {
    const ciphertext = encryptSecrets({ workerKey: worker.publicKeys.encryption, functionId, secrets })
    expectNoSecret(await failure(decryptSecrets({ provider: otherWorker, ciphertext, functionId })))
  })

  it('refuses any altered byte, truncation and an unknown version', async () => {
    const bytes = hexToBytes(
      encryptSecrets({ workerKey: worker.publicKeys.encryption, functionId, secrets }),
    )!
    for (const index of [0, 1, 40, 50, bytes.length - 1]) {
      const altered = bytes.slice()
      altered[index]! ^= 0x01
      expectNoSecret(await failure(worker.decrypt(altered, functionId)))
    }
    expect((await failure(worker.decrypt(bytes.subarray(0, 50), functionId))).code).toBe('SECRETS_INVALID')
    expect(
      (await failure(decryptSecrets({ provider: worker, ciphertext: 'not hex' as Hex, functionId }))).code,
    ).toBe('SECRETS_INVALID')
  })

  it('reports a decrypted plaintext that is not an object of strings without showing it', async () => {
    const notJson = encryptSecretsBytes(
      utf8('sk-live-7f3a9c0e1d2b4a6f'),
      worker.publicKeys.encryption,
      functionId,
    )
    const notJsonError = await failure(decryptSecrets({ provider: worker, ciphertext: notJson, functionId }))
    expect(notJsonError.code).toBe('SECRETS_INVALID')
    expectNoSecret(notJsonError)
    const nested = encryptSecretsBytes(
      utf8(JSON.stringify({ API_KEY: { value: secrets.API_KEY } })),
      worker.publicKeys.encryption,
      functionId,
    )
    const nestedError = await failure(decryptSecrets({ provider: worker, ciphertext: nested, functionId }))
    expect(nestedError.code).toBe('SECRETS_NOT_AN_OBJECT')
    expect(nestedError.message).toContain('"API_KEY"')
    expectNoSecret(nestedError)
  })

  it('refuses bad inputs when encrypting', () => {
    expect(() => encryptSecrets({ workerKey: '0x1234', functionId, secrets })).toThrowError(/32-byte X25519/)
    expect(() =>
      encryptSecrets({ workerKey: worker.publicKeys.encryption, functionId: '0x12', secrets }),
    ).toThrowError(/functionId/)
    expect(() =>
      encryptSecrets({
        workerKey: worker.publicKeys.encryption,
        functionId,
        secrets: { n: 1 } as unknown as Record<string, string>,
      }),
    ).toThrowError(expect.objectContaining({ code: 'SECRETS_NOT_AN_OBJECT' }))
    // A low-order point (here: zero) would give a known shared key: refused.
    expect(() => encryptSecrets({ workerKey: `0x${'00'.repeat(32)}`, functionId, secrets })).toThrowError(
      /not a usable X25519/,
    )
  })
})
