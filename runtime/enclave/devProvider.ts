import { randomBytes } from 'node:crypto'
import { hkdf } from '@noble/hashes/hkdf.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { utf8 } from '../bytes.js'
import { createDevQuote } from './devQuote.js'
import { functionKeyPath } from './functionKeyPath.js'
import type { FunctionScope } from './functionScope.js'
import { KeyringProvider } from './KeyringProvider.js'
import { assertReportData } from './reportData.js'
import { SealedKeyFileError } from './SealedKeyFileError.js'
import { corrupt, defaultDevSealPassphrase, readSealedRoot, writeSealedRoot } from './sealedKeyFile.js'
import type { TeeInfo, TeeProvider, TeeQuote } from './TeeProvider.js'
import { WorkerKeyring } from './workerKeyring.js'

export type CreateDevProviderParameters = {
  /** The sealed key file: created (mode 0600) with a new identity on first start, reused afterwards. */
  keyFile: string
  /** Defaults to `TEEFN_DEV_SEAL_PASSPHRASE`, else `defaultDevSealPassphrase`. */
  passphrase?: string
}

const functionKeySalt = utf8('teefn/dev/function-key/v1')

/**
 * The dev TEE provider: a worker identity generated once and sealed on disk, attestations marked `dev`.
 * For development and tests only; production verifiers refuse its attestations.
 */
export async function createDevProvider({
  keyFile,
  passphrase = process.env.TEEFN_DEV_SEAL_PASSPHRASE || defaultDevSealPassphrase,
}: CreateDevProviderParameters): Promise<TeeProvider> {
  let sealed = await readSealedRoot(keyFile, passphrase)
  if (!sealed) {
    const root = new Uint8Array(randomBytes(32))
    const keyring = await WorkerKeyring.fromRoot(root)
    const written = await writeSealedRoot({ file: keyFile, root, passphrase, publicKeys: keyring.publicKeys })
    if (written) return new DevTeeProvider(keyFile, root, keyring)
    // Another worker created the file meanwhile: adopt its identity, as a restart would.
    sealed = await readSealedRoot(keyFile, passphrase)
    if (!sealed) throw corrupt(keyFile, 'the file vanished while it was being created')
  }
  const keyring = await WorkerKeyring.fromRoot(sealed.root)
  if (JSON.stringify(keyring.publicKeys) !== JSON.stringify(sealed.publicKeys)) {
    throw new SealedKeyFileError('Dev sealed key file does not match its own public keys.', {
      code: 'SEALED_KEY_FILE_CORRUPT',
      file: keyFile,
      details: `${keyFile} names worker ${sealed.publicKeys.evmAddress}, its sealed root gives ${keyring.publicKeys.evmAddress}`,
      hint: `Restore ${keyFile} from a backup, or delete it to start a new dev worker identity.`,
    })
  }
  return new DevTeeProvider(keyFile, sealed.root, keyring)
}

class DevTeeProvider extends KeyringProvider {
  readonly kind = 'dev' as const
  readonly info: TeeInfo
  #functionRoot: Uint8Array

  constructor(keyFile: string, root: Uint8Array, keyring: WorkerKeyring) {
    super(keyring)
    // Keep only a derived value: the root itself is not needed after start.
    this.#functionRoot = hkdf(sha256, root, functionKeySalt, utf8('function-root'), 32)
    root.fill(0)
    this.info = Object.freeze({ kind: 'dev', keyFile })
  }

  async quote(reportData: Uint8Array): Promise<TeeQuote> {
    assertReportData(reportData)
    return { kind: 'dev', quote: createDevQuote(reportData), reportData: reportData.slice() }
  }

  async deriveFunctionKey(scope: FunctionScope): Promise<Uint8Array> {
    return hkdf(sha256, this.#functionRoot, functionKeySalt, utf8(functionKeyPath(scope)), 32)
  }
}
