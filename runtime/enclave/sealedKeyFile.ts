import { randomBytes as nodeRandomBytes } from 'node:crypto'
import { constants } from 'node:fs'
import { link, mkdir, open, readFile, stat, unlink } from 'node:fs/promises'
import { dirname } from 'node:path'
import { gcm } from '@noble/ciphers/aes.js'
import { randomBytes } from '@noble/ciphers/webcrypto.js'
import { scryptAsync } from '@noble/hashes/scrypt.js'
import { bytesToHex, hexToBytes, utf8 } from '../bytes.js'
import { SealedKeyFileError } from './SealedKeyFileError.js'
import type { WorkerPublicKeys } from './TeeProvider.js'

/**
 * The passphrase used when `TEEFN_DEV_SEAL_PASSPHRASE` is not set. It is public, on purpose: the dev provider
 * protects against a key file read by accident, not against an attacker on the machine (that is what a TEE is for).
 */
export const defaultDevSealPassphrase = 'teefn-dev-insecure-default-passphrase'

export const sealedKeyFileFormat = 'teefn-dev-sealed-key'
export const sealedKeyFileVersion = 1

/** scrypt cost of new files: ~0.1 s with @noble/hashes on one core. */
const defaultScrypt = { N: 2 ** 15, r: 8, p: 1 } as const
/** Bounds accepted when reading, so a crafted file cannot make the worker spin for minutes. */
const scryptBounds = { logNMin: 14, logNMax: 20, rMax: 16, pMax: 4 } as const

/** The file, version 1 (JSON). Everything but `ciphertext` is authenticated as AES-GCM associated data. */
export type SealedKeyFileV1 = {
  format: typeof sealedKeyFileFormat
  version: 1
  kdf: { name: 'scrypt'; N: number; r: number; p: number; salt: string }
  cipher: { name: 'aes-256-gcm'; nonce: string }
  /** Informational (which worker this is), and authenticated. */
  publicKeys: WorkerPublicKeys
  /** AES-256-GCM of the 32-byte root secret, with its 16-byte tag. */
  ciphertext: string
}

export type WriteSealedRootParameters = {
  file: string
  root: Uint8Array
  passphrase: string
  publicKeys: WorkerPublicKeys
}

/**
 * Writes a new sealed key file with mode 0600, atomically and without ever replacing an existing file.
 * Returns false when the file appeared meanwhile (another worker won the race); the caller then reads it.
 */
export async function writeSealedRoot({
  file,
  root,
  passphrase,
  publicKeys,
}: WriteSealedRootParameters): Promise<boolean> {
  const salt = randomBytes(16)
  const nonce = randomBytes(12)
  const header: Omit<SealedKeyFileV1, 'ciphertext'> = {
    format: sealedKeyFileFormat,
    version: sealedKeyFileVersion,
    kdf: { name: 'scrypt', ...defaultScrypt, salt: bytesToHex(salt).slice(2) },
    cipher: { name: 'aes-256-gcm', nonce: bytesToHex(nonce).slice(2) },
    publicKeys,
  }
  const key = await scryptAsync(utf8(passphrase), salt, { ...defaultScrypt, dkLen: 32 })
  const ciphertext = gcm(key, nonce, associatedData(header)).encrypt(root)
  const body: SealedKeyFileV1 = { ...header, ciphertext: bytesToHex(ciphertext).slice(2) }

  await mkdir(dirname(file), { recursive: true, mode: 0o700 })
  const temporary = `${file}.${process.pid}.${nodeRandomBytes(6).toString('hex')}.tmp`
  const handle = await open(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600)
  try {
    await handle.writeFile(`${JSON.stringify(body, null, 2)}\n`)
    await handle.sync()
  } finally {
    await handle.close()
  }
  try {
    // link() fails with EEXIST instead of replacing: a worker never overwrites another's identity.
    await link(temporary, file)
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw error
  } finally {
    await unlink(temporary).catch(() => {})
  }
}

export type ReadSealedRootReturnType = { root: Uint8Array; publicKeys: WorkerPublicKeys }

/**
 * Reads and unseals a sealed key file. Returns undefined when the file does not exist; throws a
 * `SealedKeyFileError` naming the file and what to do for anything else.
 */
export async function readSealedRoot(
  file: string,
  passphrase: string,
): Promise<ReadSealedRootReturnType | undefined> {
  let text: string
  try {
    const info = await stat(file)
    if (info.isDirectory()) throw unreadable(file, 'EISDIR')
    if (process.platform !== 'win32' && (info.mode & 0o077) !== 0) {
      throw new SealedKeyFileError('Dev sealed key file is readable by other users.', {
        code: 'SEALED_KEY_FILE_PERMISSIONS',
        file,
        details: `${file} has mode ${(info.mode & 0o777).toString(8).padStart(3, '0')}, expected 600`,
        hint: `Run: chmod 600 ${file}`,
      })
    }
    text = await readFile(file, 'utf8')
  } catch (error) {
    if (error instanceof SealedKeyFileError) throw error
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return undefined
    throw unreadable(file, code ?? (error as Error).message)
  }

  const parsed = parseSealedKeyFile(file, text)
  const key = await scryptAsync(utf8(passphrase), hexToBytes(`0x${parsed.kdf.salt}`)!, {
    N: parsed.kdf.N,
    r: parsed.kdf.r,
    p: parsed.kdf.p,
    dkLen: 32,
  })
  const { ciphertext, ...header } = parsed
  let root: Uint8Array
  try {
    root = gcm(key, hexToBytes(`0x${parsed.cipher.nonce}`)!, associatedData(header)).decrypt(
      hexToBytes(`0x${ciphertext}`)!,
    )
  } catch {
    throw new SealedKeyFileError('Dev sealed key file cannot be unsealed.', {
      code: 'SEALED_KEY_FILE_UNSEAL_FAILED',
      file,
      details: `${file} belongs to another worker or passphrase, or was altered`,
      hint: `Set TEEFN_DEV_SEAL_PASSPHRASE to the passphrase ${file} was sealed with, or use this worker's own key file. Delete the file only to start a new worker identity (it must then be registered again and secrets re-encrypted to its new key).`,
    })
  }
  if (root.length !== 32) throw corrupt(file, `the sealed root is ${root.length} bytes, expected 32`)
  return { root, publicKeys: parsed.publicKeys }
}

function parseSealedKeyFile(file: string, text: string): SealedKeyFileV1 {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw corrupt(file, 'not JSON')
  }
  if (!isRecord(value) || value.format !== sealedKeyFileFormat) {
    throw corrupt(file, `not a ${sealedKeyFileFormat} file`)
  }
  if (value.version !== sealedKeyFileVersion) {
    throw new SealedKeyFileError('Dev sealed key file has an unsupported version.', {
      code: 'SEALED_KEY_FILE_UNSUPPORTED',
      file,
      details: `${file} is version ${JSON.stringify(value.version)}; this teefn reads version ${sealedKeyFileVersion}`,
      hint: 'Use the teefn version that wrote it.',
    })
  }
  const { kdf, cipher, publicKeys, ciphertext } = value
  if (
    !isRecord(kdf) ||
    kdf.name !== 'scrypt' ||
    !isHexField(kdf.salt, 16) ||
    !Number.isSafeInteger(kdf.N) ||
    !Number.isSafeInteger(kdf.r) ||
    !Number.isSafeInteger(kdf.p)
  ) {
    throw corrupt(file, 'the kdf section is missing or malformed')
  }
  const N = kdf.N as number
  const logN = Math.log2(N)
  if (
    !Number.isInteger(logN) ||
    logN < scryptBounds.logNMin ||
    logN > scryptBounds.logNMax ||
    (kdf.r as number) < 1 ||
    (kdf.r as number) > scryptBounds.rMax ||
    (kdf.p as number) < 1 ||
    (kdf.p as number) > scryptBounds.pMax
  ) {
    throw corrupt(file, `scrypt parameters out of bounds (N=${N}, r=${kdf.r}, p=${kdf.p})`)
  }
  if (!isRecord(cipher) || cipher.name !== 'aes-256-gcm' || !isHexField(cipher.nonce, 12)) {
    throw corrupt(file, 'the cipher section is missing or malformed')
  }
  if (!isHexField(ciphertext, 48)) throw corrupt(file, 'the ciphertext is missing or has the wrong length')
  if (
    !isRecord(publicKeys) ||
    !['evmAddress', 'secp256k1', 'sr25519', 'encryption'].every(
      (name) => typeof publicKeys[name] === 'string',
    )
  ) {
    throw corrupt(file, 'the publicKeys section is missing or malformed')
  }
  return {
    format: sealedKeyFileFormat,
    version: sealedKeyFileVersion,
    kdf: { name: 'scrypt', N, r: kdf.r as number, p: kdf.p as number, salt: kdf.salt as string },
    cipher: { name: 'aes-256-gcm', nonce: cipher.nonce as string },
    publicKeys: {
      evmAddress: publicKeys.evmAddress,
      secp256k1: publicKeys.secp256k1,
      sr25519: publicKeys.sr25519,
      encryption: publicKeys.encryption,
    } as WorkerPublicKeys,
    ciphertext: ciphertext as string,
  }
}

/** The header, re-serialized in one fixed field order, is the associated data. */
function associatedData(header: Omit<SealedKeyFileV1, 'ciphertext'>): Uint8Array {
  const { format, version, kdf, cipher, publicKeys } = header
  return utf8(
    JSON.stringify([
      format,
      version,
      [kdf.name, kdf.N, kdf.r, kdf.p, kdf.salt.toLowerCase()],
      [cipher.name, cipher.nonce.toLowerCase()],
      [publicKeys.evmAddress, publicKeys.secp256k1, publicKeys.sr25519, publicKeys.encryption],
    ]),
  )
}

export function corrupt(file: string, details: string): SealedKeyFileError {
  return new SealedKeyFileError('Dev sealed key file is corrupt or not a teefn key file.', {
    code: 'SEALED_KEY_FILE_CORRUPT',
    file,
    details: `${file}: ${details}`,
    hint: `Restore ${file} from a backup, or delete it to start a new dev worker identity (register the worker again and re-encrypt secrets to its new key).`,
  })
}

function unreadable(file: string, reason: string): SealedKeyFileError {
  return new SealedKeyFileError('Dev sealed key file cannot be read.', {
    code: 'SEALED_KEY_FILE_UNREADABLE',
    file,
    details: `${file}: ${reason}`,
    hint: 'Check that the path names a file the worker user may read.',
  })
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function isHexField(value: unknown, bytes: number): value is string {
  return typeof value === 'string' && value.length === bytes * 2 && /^[0-9a-fA-F]*$/.test(value)
}
