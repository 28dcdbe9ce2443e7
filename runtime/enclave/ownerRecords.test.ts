import { inspect } from 'node:util'
import { getAddress, keccak256, TypedDataEncoder, verifyTypedData, Wallet } from 'ethers'
import { beforeAll, describe, expect, it } from 'vitest'
import { bytesToHex, type Hex, hexToBytes } from '../bytes.js'
import type { FunctionScope } from './functionScope.js'
import { OwnerRecordError } from './OwnerRecordError.js'
import {
  ciphertextHashOf,
  functionSettingsTypes,
  hashFunctionSettings,
  hashSecretsUpdate,
  maxSecretsCiphertextBytes,
  type OwnerSigner,
  ownerRecordDomain,
  parseSignedSecrets,
  parseSignedSettings,
  recoverSecretsSigner,
  recoverSettingsSigner,
  type SignedSecrets,
  type SignedSettings,
  secretsUpdateTypes,
  signFunctionSettings,
  signSecretsUpdate,
} from './ownerRecords.js'
import { encryptSecrets } from './secretsCipher.js'

const scope: FunctionScope = {
  family: 'evm',
  chainId: '31337',
  registry: '0xe7f1725e7734ce288f8367e1bb143e90bb3f0512',
  functionId: `0x${'f1'.repeat(32)}`,
}
const workerKey = `0x${'09'.repeat(32)}` as Hex // any X25519 point works for encrypting
const secretValue = 'sk-live-owner-record-0b7e'
const owner = new Wallet(`0x${'4c'.repeat(32)}`)
const stranger = new Wallet(`0x${'5d'.repeat(32)}`)
const ownerAddress = owner.address.toLowerCase()

const copy = <T extends Record<string, readonly { name: string; type: string }[]>>(types: T) =>
  Object.fromEntries(Object.entries(types).map(([name, fields]) => [name, fields.map((f) => ({ ...f }))]))

let ciphertext: Hex
let secrets: SignedSecrets
let settings: SignedSettings
beforeAll(async () => {
  ciphertext = encryptSecrets({ workerKey, scope, secrets: { API_KEY: secretValue } })
  secrets = await signSecretsUpdate(owner, { scope, ciphertext, version: 7 })
  settings = await signFunctionSettings(owner, { scope, httpSecrets: true, version: 3 })
})

function fieldOf(run: () => unknown): string {
  try {
    run()
  } catch (error) {
    expect(error).toBeInstanceOf(OwnerRecordError)
    expect((error as OwnerRecordError).code).toBe('OWNER_RECORD_INVALID')
    return (error as OwnerRecordError).field
  }
  throw new Error('expected the record to be refused')
}

describe('owner record digests', () => {
  it('are the EIP-712 hashes ethers computes (what wallets sign)', () => {
    const domain = ownerRecordDomain(scope)
    expect(domain).toEqual({
      name: 'teefn',
      version: '1',
      chainId: '31337',
      verifyingContract: scope.registry,
    })
    for (const version of [1, 7, Number.MAX_SAFE_INTEGER]) {
      for (const text of [ciphertext, '0x' as Hex]) {
        const ciphertextHash = text === '0x' ? `0x${'00'.repeat(32)}` : keccak256(text)
        expect(hashSecretsUpdate({ scope, ciphertext: text, version })).toBe(
          TypedDataEncoder.hash(domain, copy(secretsUpdateTypes), {
            functionId: scope.functionId,
            ciphertextHash,
            version,
          }),
        )
      }
      for (const httpSecrets of [true, false]) {
        expect(hashFunctionSettings({ scope, httpSecrets, version })).toBe(
          TypedDataEncoder.hash(domain, copy(functionSettingsTypes), {
            functionId: scope.functionId,
            httpSecrets,
            version,
          }),
        )
      }
    }
    // A large chain id and a checksummed registry go into the domain as numbers and addresses.
    const other: FunctionScope = { ...scope, chainId: '11155111', registry: `0x${'ab'.repeat(20)}` }
    expect(hashFunctionSettings({ scope: other, httpSecrets: false, version: 1 })).toBe(
      TypedDataEncoder.hash(ownerRecordDomain(other), copy(functionSettingsTypes), {
        functionId: other.functionId,
        httpSecrets: false,
        version: 1,
      }),
    )
  })

  it('hash a delete (ciphertext 0x) with the zero ciphertextHash', () => {
    expect(ciphertextHashOf('0x')).toBe(`0x${'00'.repeat(32)}`)
    expect(ciphertextHashOf(ciphertext)).toBe(keccak256(ciphertext))
    expect(hashSecretsUpdate({ scope, ciphertext: '0x', version: 8 })).not.toBe(
      hashSecretsUpdate({ scope, ciphertext, version: 8 }),
    )
  })
})

describe('signing and recovering', () => {
  it('signs what ethers verifies, and recovers the owner as a lowercase address', () => {
    expect(secrets).toEqual({
      scope,
      ciphertext,
      version: 7,
      signature: expect.stringMatching(/^0x[0-9a-f]{130}$/),
    })
    expect(
      verifyTypedData(
        ownerRecordDomain(scope),
        copy(secretsUpdateTypes),
        {
          functionId: scope.functionId,
          ciphertextHash: keccak256(ciphertext),
          version: 7,
        },
        secrets.signature,
      ),
    ).toBe(owner.address)
    expect(recoverSecretsSigner(secrets)).toBe(ownerAddress)
    expect(
      verifyTypedData(
        ownerRecordDomain(scope),
        copy(functionSettingsTypes),
        {
          functionId: scope.functionId,
          httpSecrets: true,
          version: 3,
        },
        settings.signature,
      ),
    ).toBe(owner.address)
    expect(recoverSettingsSigner(settings)).toBe(ownerAddress)
  })

  it('a delete is signed and recovered like any update', async () => {
    const deleted = await signSecretsUpdate(owner, { scope, ciphertext: '0x', version: 8 })
    expect(deleted.ciphertext).toBe('0x')
    expect(recoverSecretsSigner(deleted)).toBe(ownerAddress)
  })

  it('any changed field recovers to someone other than the owner', () => {
    const otherCiphertext = encryptSecrets({ workerKey, scope, secrets: { API_KEY: 'another' } })
    const changedSecrets: SignedSecrets[] = [
      { ...secrets, version: 8 },
      { ...secrets, ciphertext: otherCiphertext },
      { ...secrets, ciphertext: '0x' },
      { ...secrets, scope: { ...scope, chainId: '1' } },
      { ...secrets, scope: { ...scope, registry: `0x${'11'.repeat(20)}` } },
      { ...secrets, scope: { ...scope, functionId: `0x${'f2'.repeat(32)}` } },
    ]
    for (const record of changedSecrets) expect(recoverSecretsSigner(record)).not.toBe(ownerAddress)
    const changedSettings: SignedSettings[] = [
      { ...settings, httpSecrets: false },
      { ...settings, version: 4 },
      { ...settings, scope: { ...scope, chainId: '1' } },
    ]
    for (const record of changedSettings) expect(recoverSettingsSigner(record)).not.toBe(ownerAddress)
  })

  it('a secrets signature is no settings signature (distinct types), and a stranger is not the owner', async () => {
    expect(recoverSettingsSigner({ ...settings, signature: secrets.signature })).not.toBe(ownerAddress)
    const forged = await signSecretsUpdate(stranger, { scope, ciphertext, version: 9 })
    expect(recoverSecretsSigner(forged)).toBe(stranger.address.toLowerCase())
  })

  it('returns undefined for signatures ecrecover refuses (high s, v not 27/28)', () => {
    const bytes = hexToBytes(secrets.signature)!
    const badV = bytes.slice()
    badV[64] = 5
    expect(recoverSecretsSigner({ ...secrets, signature: bytesToHex(badV) })).toBeUndefined()
    const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n
    const highS = bytes.slice()
    highS.set(
      hexToBytes(`0x${(n - BigInt(bytesToHex(bytes.subarray(32, 64)))).toString(16).padStart(64, '0')}`)!,
      32,
    )
    highS[64] = bytes[64] === 27 ? 28 : 27
    expect(recoverSecretsSigner({ ...secrets, signature: bytesToHex(highS) })).toBeUndefined()
  })

  it('accepts wallets that answer v 0/1, storing v 27/28', async () => {
    const zeroOneWallet: OwnerSigner = {
      async signTypedData(domain, types, value) {
        const bytes = hexToBytes(await owner.signTypedData(domain, types, value))!
        bytes[64] = bytes[64]! - 27
        return bytesToHex(bytes)
      },
    }
    const record = await signFunctionSettings(zeroOneWallet, { scope, httpSecrets: false, version: 1 })
    expect([27, 28]).toContain(hexToBytes(record.signature)![64])
    expect(recoverSettingsSigner(record)).toBe(ownerAddress)
  })
})

describe('parseSignedSecrets / parseSignedSettings', () => {
  it('return the canonical form and drop unknown fields', () => {
    const spelled = {
      ...secrets,
      scope: { ...scope, registry: getAddress(scope.registry) },
      signature: secrets.signature.toUpperCase().replace('0X', '0x'),
      note: 'ignored',
    }
    expect(parseSignedSecrets(spelled)).toEqual(secrets)
    expect(parseSignedSettings({ ...settings, extra: 1 })).toEqual(settings)
  })

  it('name the bad field', () => {
    const secretsCases: [unknown, string][] = [
      [null, 'record'],
      [{ ...secrets, version: 0 }, 'version'],
      [{ ...secrets, version: -3 }, 'version'],
      [{ ...secrets, version: 1.5 }, 'version'],
      [{ ...secrets, version: 2 ** 53 }, 'version'],
      [{ ...secrets, version: '7' }, 'version'],
      [{ ...secrets, ciphertext: 'abc' }, 'ciphertext'],
      [{ ...secrets, ciphertext: '0x123' }, 'ciphertext'],
      [{ ...secrets, ciphertext: `0x01${ciphertext.slice(4)}` }, 'ciphertext'],
      [{ ...secrets, ciphertext: '0x0200' }, 'ciphertext'],
      [{ ...secrets, ciphertext: `0x02${'00'.repeat(maxSecretsCiphertextBytes)}` }, 'ciphertext'],
      [{ ...secrets, signature: secrets.signature.slice(0, -2) }, 'signature'],
      [{ ...secrets, signature: undefined }, 'signature'],
      [{ ...secrets, scope: undefined }, 'scope'],
      [{ ...secrets, scope: { ...scope, chainId: '0x7a69' } }, 'scope.chainId'],
      [{ ...secrets, scope: { ...scope, registry: '0x' } }, 'scope.registry'],
      [{ ...secrets, scope: { ...scope, functionId: '0x01' } }, 'scope.functionId'],
      [
        {
          ...secrets,
          scope: {
            family: 'substrate',
            chainId: `0x${'91'.repeat(32)}`,
            registry: '0x',
            functionId: scope.functionId,
          },
        },
        'scope.family',
      ],
    ]
    for (const [value, field] of secretsCases) {
      expect({
        value: inspect(value, { depth: 0 }),
        field: fieldOf(() => parseSignedSecrets(value)),
      }).toEqual({
        value: inspect(value, { depth: 0 }),
        field,
      })
    }
    expect(fieldOf(() => parseSignedSettings({ ...settings, httpSecrets: 'true' }))).toBe('httpSecrets')
    expect(fieldOf(() => parseSignedSettings({ ...settings, version: 0 }))).toBe('version')
    expect(fieldOf(() => parseSignedSettings({ ...settings, signature: '0x' }))).toBe('signature')
    // Signing, hashing and recovering refuse the same records.
    expect(fieldOf(() => hashSecretsUpdate({ scope, ciphertext, version: 0 }))).toBe('version')
    expect(fieldOf(() => recoverSettingsSigner({ ...settings, scope: { ...scope, registry: '0x' } }))).toBe(
      'scope.registry',
    )
    return expect(signSecretsUpdate(owner, { scope, ciphertext: '0x12', version: 1 })).rejects.toMatchObject({
      field: 'ciphertext',
    })
  })

  it('never echo the ciphertext, a secret or the signature in an error', () => {
    const texts: string[] = []
    for (const bad of [
      { ...secrets, version: 0 },
      { ...secrets, ciphertext: `0x01${ciphertext.slice(4)}` },
      { ...secrets, signature: secrets.signature.slice(0, -2) },
      { ...secrets, ciphertext: secretValue },
    ]) {
      try {
        parseSignedSecrets(bad)
      } catch (error) {
        texts.push((error as Error).message, inspect(error), JSON.stringify(error))
      }
    }
    expect(texts.length).toBe(12)
    for (const text of texts) {
      expect(text).not.toContain(ciphertext.slice(10, 74))
      expect(text).not.toContain(secrets.signature.slice(10, 74))
      expect(text).not.toContain(secretValue)
    }
  })
})
