import { keccak_256 } from '@noble/hashes/sha3.js'
import type { TypedDataDomain, TypedDataField } from 'ethers'
import { bytesToHex, concatBytes, type Hex, hexToBytes, isHex, uint256Bytes, utf8 } from '../bytes.js'
import { describeForm } from './describeForm.js'
import { domainSeparator, eip712DomainName, eip712DomainVersion, recoverEvmSigner } from './evmEnvelope.js'
import { FunctionScopeError } from './FunctionScopeError.js'
import { type FunctionScope, parseFunctionScope } from './functionScope.js'
import { OwnerRecordError } from './OwnerRecordError.js'
import { minSecretsCiphertextBytes, secretsFormat } from './secretsCipher.js'

/**
 * Records a function's owner signs (EIP-712) so that the enclave trusts the owner, not whoever stores them:
 * its secrets and its settings. Only EVM scopes have an owner (`TeefnRegistry.functionInfo(functionId).owner`).
 * Domain: `{ name: 'teefn', version: '1', chainId: scope.chainId, verifyingContract: scope.registry }`.
 */

export const secretsUpdateType = 'SecretsUpdate(bytes32 functionId,bytes32 ciphertextHash,uint64 version)'
export const functionSettingsType = 'FunctionSettings(bytes32 functionId,bool httpSecrets,uint64 version)'

/** The same types in the ethers / viem form, for `signTypedData` and `verifyTypedData`. */
export const secretsUpdateTypes = {
  SecretsUpdate: [
    { name: 'functionId', type: 'bytes32' },
    { name: 'ciphertextHash', type: 'bytes32' },
    { name: 'version', type: 'uint64' },
  ],
} as const
export const functionSettingsTypes = {
  FunctionSettings: [
    { name: 'functionId', type: 'bytes32' },
    { name: 'httpSecrets', type: 'bool' },
    { name: 'version', type: 'uint64' },
  ],
} as const

/** A function's secrets as its owner signed them; `ciphertext` `0x` is a delete (a tombstone). */
export type SignedSecrets = { scope: FunctionScope; ciphertext: Hex; version: number; signature: Hex }
/** A function's settings as its owner signed them. */
export type SignedSettings = { scope: FunctionScope; httpSecrets: boolean; version: number; signature: Hex }
/** What the owner signs for secrets: the record without its signature. */
export type SecretsUpdate = Omit<SignedSecrets, 'signature'>
/** What the owner signs for settings: the record without its signature. */
export type FunctionSettings = Omit<SignedSettings, 'signature'>

/** An ethers `Wallet` or `JsonRpcSigner`, or anything with the same `signTypedData`. */
export type OwnerSigner = {
  signTypedData(
    domain: TypedDataDomain,
    types: Record<string, TypedDataField[]>,
    value: Record<string, unknown>,
  ): Promise<string>
}

/** Largest secrets ciphertext a record may carry: secrets are keys and tokens, not files. */
export const maxSecretsCiphertextBytes = 64 * 1024

const secretsUpdateTypeHash = keccak_256(utf8(secretsUpdateType))
const functionSettingsTypeHash = keccak_256(utf8(functionSettingsType))
const zeroHash = `0x${'00'.repeat(32)}` as Hex

/** The EIP-712 domain of a scope's owner records, in the ethers form. */
export function ownerRecordDomain(scope: FunctionScope): {
  name: string
  version: string
  chainId: string
  verifyingContract: Hex
} {
  const { chainId, registry } = evmScope(scope, 'scope')
  return { name: eip712DomainName, version: eip712DomainVersion, chainId, verifyingContract: registry }
}

/** keccak256 of the ciphertext bytes; the zero hash for `0x` (a delete). */
export function ciphertextHashOf(ciphertext: Hex): Hex {
  const bytes = hexToBytes(ciphertext)
  if (!bytes) throw new OwnerRecordError('ciphertext', 'must be 0x-hex')
  return bytes.length === 0 ? zeroHash : bytesToHex(keccak_256(bytes))
}

/** The EIP-712 digest of a `SecretsUpdate`: what the owner's wallet signs. */
export function hashSecretsUpdate(update: SecretsUpdate): Hex {
  const { scope, ciphertext, version } = checkSecretsUpdate(update)
  const struct = keccak_256(
    concatBytes(
      secretsUpdateTypeHash,
      hexToBytes(scope.functionId)!,
      hexToBytes(ciphertextHashOf(ciphertext))!,
      uint256Bytes(BigInt(version)),
    ),
  )
  return typedDataDigest(scope, struct)
}

/** The EIP-712 digest of a `FunctionSettings`: what the owner's wallet signs. */
export function hashFunctionSettings(settings: FunctionSettings): Hex {
  const { scope, httpSecrets, version } = checkFunctionSettings(settings)
  const struct = keccak_256(
    concatBytes(
      functionSettingsTypeHash,
      hexToBytes(scope.functionId)!,
      uint256Bytes(httpSecrets ? 1n : 0n),
      uint256Bytes(BigInt(version)),
    ),
  )
  return typedDataDigest(scope, struct)
}

/**
 * The lowercase address that signed the record, or undefined when the signature is not a valid low-s
 * signature with v 27/28. The caller compares it with the owner read from the registry. Throws
 * `OwnerRecordError` for a malformed record.
 */
export function recoverSecretsSigner(record: SignedSecrets): Hex | undefined {
  const parsed = parseSignedSecrets(record)
  return recoverEvmSigner(hexToBytes(hashSecretsUpdate(parsed))!, hexToBytes(parsed.signature)!)
}

/** As `recoverSecretsSigner`, for settings. */
export function recoverSettingsSigner(record: SignedSettings): Hex | undefined {
  const parsed = parseSignedSettings(record)
  return recoverEvmSigner(hexToBytes(hashFunctionSettings(parsed))!, hexToBytes(parsed.signature)!)
}

/** Signs a secrets update with the owner's wallet (EIP-712 `SecretsUpdate`); for the CLI and tests. */
export async function signSecretsUpdate(signer: OwnerSigner, update: SecretsUpdate): Promise<SignedSecrets> {
  const checked = checkSecretsUpdate(update)
  const signature = await signer.signTypedData(
    ownerRecordDomain(checked.scope),
    mutableTypes(secretsUpdateTypes),
    {
      functionId: checked.scope.functionId,
      ciphertextHash: ciphertextHashOf(checked.ciphertext),
      version: checked.version,
    },
  )
  return { ...checked, signature: normalizeSignature(signature) }
}

/** Signs function settings with the owner's wallet (EIP-712 `FunctionSettings`); for the CLI and tests. */
export async function signFunctionSettings(
  signer: OwnerSigner,
  settings: FunctionSettings,
): Promise<SignedSettings> {
  const checked = checkFunctionSettings(settings)
  const signature = await signer.signTypedData(
    ownerRecordDomain(checked.scope),
    mutableTypes(functionSettingsTypes),
    { functionId: checked.scope.functionId, httpSecrets: checked.httpSecrets, version: checked.version },
  )
  return { ...checked, signature: normalizeSignature(signature) }
}

/**
 * Checks a signed secrets record strictly (the signature is not verified: `recoverSecretsSigner`) and
 * returns it in canonical form (lowercase hex, unknown fields dropped). `OwnerRecordError` names the bad field.
 */
export function parseSignedSecrets(value: unknown): SignedSecrets {
  const record = asObject(value)
  return { ...checkSecretsUpdate(record), signature: checkSignature(record.signature) }
}

/** As `parseSignedSecrets`, for settings. */
export function parseSignedSettings(value: unknown): SignedSettings {
  const record = asObject(value)
  return { ...checkFunctionSettings(record), signature: checkSignature(record.signature) }
}

function checkSecretsUpdate(value: unknown): SecretsUpdate {
  const record = asObject(value)
  const scope = evmScope(record.scope, 'scope')
  const { ciphertext } = record
  if (!isHex(ciphertext))
    throw new OwnerRecordError('ciphertext', `must be 0x-hex, got ${describeForm(ciphertext)}`)
  const size = (ciphertext.length - 2) / 2
  if (size > 0) {
    if (size > maxSecretsCiphertextBytes) {
      throw new OwnerRecordError(
        'ciphertext',
        `is ${size} bytes, the limit is ${maxSecretsCiphertextBytes}`,
        'Keep large data out of secrets: store it encrypted elsewhere and put its key in the secrets.',
      )
    }
    if (size < minSecretsCiphertextBytes || ciphertext.slice(2, 4) !== '02') {
      throw new OwnerRecordError(
        'ciphertext',
        `must be "0x" (a delete) or a version ${secretsFormat.version} secrets ciphertext, got ${size} bytes starting with version ${Number.parseInt(ciphertext.slice(2, 4), 16)}`,
        'Encrypt the secrets with `teefn secrets encrypt` for this scope.',
      )
    }
  }
  return { scope, ciphertext: ciphertext.toLowerCase() as Hex, version: checkVersion(record.version) }
}

function checkFunctionSettings(value: unknown): FunctionSettings {
  const record = asObject(value)
  const scope = evmScope(record.scope, 'scope')
  if (typeof record.httpSecrets !== 'boolean') {
    throw new OwnerRecordError(
      'httpSecrets',
      `must be true or false, got ${describeForm(record.httpSecrets)}`,
    )
  }
  return { scope, httpSecrets: record.httpSecrets, version: checkVersion(record.version) }
}

function evmScope(value: unknown, field: string): FunctionScope {
  let scope: FunctionScope
  try {
    scope = parseFunctionScope(value)
  } catch (error) {
    if (!(error instanceof FunctionScopeError)) throw error
    const what = error.details?.startsWith(`${error.field} `)
      ? error.details.slice(error.field.length + 1)
      : 'is invalid'
    throw new OwnerRecordError(error.field === 'scope' ? field : `${field}.${error.field}`, what, error.hint)
  }
  if (scope.family !== 'evm') {
    throw new OwnerRecordError(
      `${field}.family`,
      'must be "evm": substrate functions have no owner, hence no owner-signed secrets or settings',
      'Use deriveSecret for keys a substrate function needs.',
    )
  }
  return scope
}

function checkVersion(version: unknown): number {
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) {
    throw new OwnerRecordError(
      'version',
      `must be a positive integer below 2^53, got ${typeof version === 'number' ? String(version) : describeForm(version)}`,
      'Use a counter that grows with each update, such as the current unix time in seconds.',
    )
  }
  return version
}

function checkSignature(signature: unknown): Hex {
  if (!isHex(signature) || signature.length !== 2 + 65 * 2) {
    throw new OwnerRecordError(
      'signature',
      `must be 65 bytes of 0x-hex (r || s || v), got ${describeForm(signature)}`,
    )
  }
  return signature.toLowerCase() as Hex
}

function asObject(value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new OwnerRecordError('record', `must be an object, got ${describeForm(value)}`)
  }
  return value as Record<string, unknown>
}

function typedDataDigest(scope: FunctionScope, structHash: Uint8Array): Hex {
  const separator = domainSeparator(BigInt(scope.chainId), hexToBytes(scope.registry)!)
  return bytesToHex(keccak_256(concatBytes(Uint8Array.of(0x19, 0x01), separator, structHash)))
}

/** Some wallets (hardware ones) answer v 0/1; `ecrecover` and `recoverEvmSigner` want 27/28. */
function normalizeSignature(signature: string): Hex {
  const bytes = hexToBytes(signature)
  if (bytes?.length !== 65) {
    throw new OwnerRecordError(
      'signature',
      `from the signer must be 65 bytes, got ${describeForm(signature)}`,
    )
  }
  if (bytes[64]! < 27) bytes[64] = bytes[64]! + 27
  return bytesToHex(bytes)
}

/** ethers wants mutable field arrays; the exported types are `as const`. */
function mutableTypes(types: Record<string, readonly { name: string; type: string }[]>) {
  return Object.fromEntries(
    Object.entries(types).map(([name, fields]) => [name, fields.map((field) => ({ ...field }))]),
  )
}
