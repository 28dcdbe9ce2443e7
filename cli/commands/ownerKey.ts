import type { Wallet } from 'ethers'
import { readInputFile } from '../readInputFile.js'
import { UsageError } from '../UsageError.js'

export type OwnerKeyOptions = {
  /** A file holding the private key (0x-hex), or `env:NAME`: the environment variable NAME holds it. */
  key?: string | undefined
  /** The name of an environment variable holding it. */
  privateKeyEnv?: string | undefined
  /** Whose key, for messages: `owner` by default (`teefn chain` says `sender`). */
  role?: string | undefined
}

/**
 * The owner's wallet, from `--key <file>`, `--key env:NAME` or `--private-key-env <NAME>` (exactly one). Every
 * failure is a usage error naming the file or the variable, never its content.
 */
export async function readOwnerKey(options: OwnerKeyOptions): Promise<Wallet> {
  // `--key env:NAME` is `--private-key-env NAME` (as the node config names secrets).
  const fromEnv = options.key?.startsWith('env:') === true
  const key = fromEnv ? undefined : options.key
  if (fromEnv && options.privateKeyEnv !== undefined) {
    throw new UsageError('pass --key or --private-key-env, not both')
  }
  const privateKeyEnv = fromEnv ? options.key!.slice('env:'.length) : options.privateKeyEnv
  if ((key === undefined) === (privateKeyEnv === undefined)) {
    throw new UsageError(
      key === undefined
        ? "the owner's key is needed: --key <file> or --private-key-env <NAME>"
        : 'pass --key or --private-key-env, not both',
    )
  }
  let text: string
  let where: string
  if (key !== undefined) {
    const role = options.role ?? 'owner'
    text = (await readInputFile(key, `${role} key`)).toString('utf8').trim()
    where = `the ${role} key file ${key}`
  } else {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(privateKeyEnv!)) {
      throw new UsageError('--private-key-env must name an environment variable (letters, digits, _)')
    }
    const value = process.env[privateKeyEnv!]
    if (value === undefined || value.trim() === '') {
      throw new UsageError(`the environment variable ${privateKeyEnv} is not set`)
    }
    text = value.trim()
    where = `the environment variable ${privateKeyEnv}`
  }
  const hex = text.startsWith('0x') ? text : `0x${text}`
  if (!/^0x[0-9a-fA-F]{64}$/.test(hex)) {
    throw new UsageError(
      `${where} does not hold a private key`,
      'it must hold 32 bytes of hex (0x followed by 64 hex digits)',
    )
  }
  // Loaded here: ethers is large and commands without a key do not need it.
  const { Wallet } = await import('ethers')
  try {
    return new Wallet(hex)
  } catch {
    throw new UsageError(`${where} does not hold a valid secp256k1 private key`)
  }
}
