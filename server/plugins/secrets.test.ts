import { getAddress, type Wallet } from 'ethers'
import { beforeAll, describe, expect, it } from 'vitest'
import type { Hex } from '../../runtime/bytes.js'
import { type FunctionScope, scopeId } from '../../runtime/enclave/functionScope.js'
import {
  ciphertextHashOf,
  type SignedSecrets,
  signSecretsUpdate,
} from '../../runtime/enclave/ownerRecords.js'
import { encryptSecrets } from '../../runtime/enclave/secretsCipher.js'
import { mined } from '../../test/support/teefnContracts.js'
import { type ApiOnChain, useApiOnChain } from '../../test/support/useApiOnChain.js'

let api: ApiOnChain
useApiOnChain((ready) => {
  api = ready
})

const secretValue = 'sk-live-secrets-route-7c1d'

let owner: Wallet
let stranger: Wallet
beforeAll(() => {
  owner = api.f.functionOwner
  stranger = api.f.stranger
})

const ciphertextFor = (scope: FunctionScope, value = secretValue) =>
  encryptSecrets({ workerKey: api.provider.publicKeys.encryption, scope, secrets: { API_KEY: value } })

const signed = (scope: FunctionScope, version: number, signer: Wallet = owner, ciphertext?: Hex) =>
  signSecretsUpdate(signer, { scope, ciphertext: ciphertext ?? ciphertextFor(scope), version })

const put = (record: unknown) =>
  api.app.inject({ method: 'PUT', url: '/v1/secrets', payload: record as object })
const remove = (record: unknown) =>
  api.app.inject({ method: 'DELETE', url: '/v1/secrets', payload: record as object })
const read = (scope: FunctionScope) =>
  api.app.inject({
    method: 'GET',
    url: `/v1/secrets?chainId=${scope.chainId}&registry=${scope.registry}&functionId=${scope.functionId}`,
  })
/** The EIP-55 form with the case of one letter flipped: a typo the checksum catches. */
const mistyped = (address: string) => {
  const checksummed = getAddress(address)
  const at = checksummed.slice(2).search(/[a-fA-F]/) + 2
  const letter = checksummed[at]!
  const flipped = letter === letter.toUpperCase() ? letter.toLowerCase() : letter.toUpperCase()
  return `${checksummed.slice(0, at)}${flipped}${checksummed.slice(at + 1)}`
}

const errorOf = (response: { json: () => unknown }) =>
  (response.json() as { error: { code: string; message: string } }).error

describe('PUT /v1/secrets', () => {
  it("stores the owner's record and shows its metadata, never the ciphertext", async () => {
    const scope = api.scopeOf(await api.registerFunction('stored'))
    const record = await signed(scope, 100)
    const response = await put(record)
    expect(response.statusCode, response.body).toBe(200)
    const metadata = {
      scope,
      scopeId: scopeId(scope),
      version: 100,
      deleted: false,
      ciphertextHash: ciphertextHashOf(record.ciphertext),
      ciphertextBytes: (record.ciphertext.length - 2) / 2,
      signer: owner.address.toLowerCase(),
    }
    expect(response.json()).toEqual(metadata)
    expect(await api.store.getSecrets(scope)).toEqual(record)

    // Reads default to the server's chain and registry; the ciphertext never leaves.
    const shown = await read(scope)
    expect(shown.statusCode).toBe(200)
    expect(shown.json()).toEqual(metadata)
    const byDefault = await api.app.inject({
      method: 'GET',
      url: `/v1/secrets?functionId=${scope.functionId}`,
    })
    expect(byDefault.json()).toEqual(metadata)
    for (const body of [response.body, shown.body]) expect(body).not.toContain(record.ciphertext.slice(2, 66))
    const logs = api.logLines.join('')
    expect(logs).toContain('secrets stored')
    expect(logs).not.toContain(record.ciphertext.slice(2, 66))

    // A newer version replaces it.
    const newer = await signed(scope, 101)
    expect((await put(newer)).statusCode).toBe(200)
    expect((await api.store.getSecrets(scope))?.version).toBe(101)
  })

  it("refuses a stranger's signature with 403 naming the owner and the signer, and stores nothing", async () => {
    const scope = api.scopeOf(await api.registerFunction('stranger'))
    const response = await put(await signed(scope, 5, stranger))
    expect(response.statusCode).toBe(403)
    expect(errorOf(response)).toMatchObject({
      code: 'NOT_FUNCTION_OWNER',
      message: expect.stringContaining(`must be signed by its owner ${owner.address}`),
    })
    expect(errorOf(response).message).toContain(`signed by ${stranger.address.toLowerCase()}`)
    expect(await api.store.getSecrets(scope)).toBeUndefined()
    expect(errorOf(await read(scope)).code).toBe('SECRETS_NOT_FOUND')

    // The owner's signature over another ciphertext does not carry over to this one.
    const genuine = await signed(scope, 6)
    const swapped = { ...genuine, ciphertext: ciphertextFor(scope, 'chosen by whoever relays it') }
    const forged = await put(swapped)
    expect(forged.statusCode).toBe(403)
    expect(errorOf(forged).code).toBe('NOT_FUNCTION_OWNER')
    expect(await api.store.getSecrets(scope)).toBeUndefined()
  })

  it('follows the owner the registry names now: after a transfer only the new owner may write', async () => {
    const functionId = await api.registerFunction('transferred')
    const scope = api.scopeOf(functionId)
    await mined(api.f.registry.connect(owner).transferFunctionOwnership(functionId, stranger.address))
    const byOldOwner = await put(await signed(scope, 1))
    expect(byOldOwner.statusCode).toBe(403)
    expect(errorOf(byOldOwner).message).toContain(`its owner ${stranger.address}`)
    expect((await put(await signed(scope, 2, stranger))).statusCode).toBe(200)
    expect((await api.store.getSecrets(scope))?.version).toBe(2)
  })

  it('refuses a version that is not newer with 409 naming both, and keeps the stored record', async () => {
    const scope = api.scopeOf(await api.registerFunction('versions'))
    const stored = await signed(scope, 1_700_000_000)
    expect((await put(stored)).statusCode).toBe(200)
    for (const version of [1_699_999_999, 1_700_000_000]) {
      const response = await put(await signed(scope, version))
      expect(response.statusCode).toBe(409)
      expect(errorOf(response)).toMatchObject({
        code: 'VERSION_NOT_NEWER',
        message: expect.stringContaining(`at version 1700000000; version ${version} is not newer`),
      })
    }
    expect(await api.store.getSecrets(scope)).toEqual(stored)
  })

  it('refuses other chains, other registries and unregistered functions, storing nothing', async () => {
    const functionId = await api.registerFunction('scopes')
    const scope = api.scopeOf(functionId)
    const cases: [FunctionScope, number, string, RegExp][] = [
      [{ ...scope, chainId: '1' }, 400, 'CHAIN_NOT_SERVED', /does not read EVM chain 1 \(it reads 31337\)/],
      [
        { ...scope, registry: `0x${'ab'.repeat(20)}` as Hex },
        400,
        'CHAIN_NOT_SERVED',
        /reads registry 0x[0-9a-fA-F]{40}, not 0xabab/,
      ],
      [
        api.scopeOf(`0x${'5e'.repeat(32)}`),
        404,
        'FUNCTION_NOT_REGISTERED',
        new RegExp(`has no function 0x${'5e'.repeat(32)}`),
      ],
    ]
    for (const [target, status, code, message] of cases) {
      const response = await put(await signed(target, 1))
      expect(response.statusCode, JSON.stringify(target)).toBe(status)
      expect(errorOf(response)).toMatchObject({ code, message: expect.stringMatching(message) })
      expect(await api.store.getSecrets(target)).toBeUndefined()
    }
  })

  it('refuses malformed records with 400 naming the field', async () => {
    const scope = api.scopeOf(await api.registerFunction('malformed'))
    const record = await signed(scope, 1)
    const cases: [unknown, string, RegExp][] = [
      [{ ...record, version: 0 }, 'VALIDATION_FAILED', /body\/version must be >= 1/],
      [{ ...record, signature: '0x12' }, 'VALIDATION_FAILED', /body\/signature must match pattern/],
      [{ ...record, extra: 1 }, 'VALIDATION_FAILED', /must NOT have additional properties/],
      [{ ...record, ciphertext: '0x' }, 'VALIDATION_FAILED', /body\/ciphertext must match pattern/],
      [{ ...record, scope: { ...scope, family: 'substrate' } }, 'VALIDATION_FAILED', /body\/scope\/family/],
      [{ ...record, scope: { ...scope, chainId: '0x7a69' } }, 'VALIDATION_FAILED', /body\/scope\/chainId/],
      [
        { ...record, ciphertext: `0x01${record.ciphertext.slice(4)}` },
        'OWNER_RECORD_INVALID',
        /body\/ciphertext must be "0x" \(a delete\) or a version 2 secrets ciphertext/,
      ],
      [
        { ...record, scope: { ...scope, registry: mistyped(scope.registry) } },
        'OWNER_RECORD_INVALID',
        /body\/scope\/registry has mixed case with a wrong EIP-55 checksum/,
      ],
    ]
    for (const [body, code, message] of cases) {
      const response = await put(body)
      expect(response.statusCode, JSON.stringify(body).slice(0, 120)).toBe(400)
      expect(errorOf(response)).toMatchObject({ code, message: expect.stringMatching(message) })
      expect(response.body).not.toContain(record.ciphertext.slice(10, 60))
    }
    expect(await api.store.getSecrets(scope)).toBeUndefined()
  })
})

describe('DELETE /v1/secrets', () => {
  it("stores the owner's signed deletion as a tombstone that older records cannot replace", async () => {
    const scope = api.scopeOf(await api.registerFunction('deleted'))
    const first = await signed(scope, 10)
    expect((await put(first)).statusCode).toBe(200)

    const strangerDeletion = await signSecretsUpdate(stranger, { scope, ciphertext: '0x', version: 11 })
    expect((await remove(strangerDeletion)).statusCode).toBe(403)
    expect(await api.store.getSecrets(scope)).toEqual(first)

    const deletion: SignedSecrets = await signSecretsUpdate(owner, { scope, ciphertext: '0x', version: 11 })
    const response = await remove(deletion)
    expect(response.statusCode, response.body).toBe(200)
    const metadata = {
      scope,
      scopeId: scopeId(scope),
      version: 11,
      deleted: true,
      signer: owner.address.toLowerCase(),
    }
    expect(response.json()).toEqual(metadata)
    expect(await api.store.getSecrets(scope)).toEqual(deletion)
    expect((await read(scope)).json()).toEqual(metadata)

    // Replaying the older record is refused; DELETE only takes deletions.
    expect((await put(first)).statusCode).toBe(409)
    const notADeletion = await remove(await signed(scope, 12))
    expect(notADeletion.statusCode).toBe(400)
    expect(errorOf(notADeletion).message).toMatch(/body\/ciphertext must be equal to constant/)
    expect(await api.store.getSecrets(scope)).toEqual(deletion)
  })
})
