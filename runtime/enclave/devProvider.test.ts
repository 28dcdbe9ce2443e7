import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inspect } from 'node:util'
import { gcm } from '@noble/ciphers/aes.js'
import { scryptAsync } from '@noble/hashes/scrypt.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bytesToHex, hexToBytes, utf8 } from '../bytes.js'
import { createDevProvider } from './devProvider.js'
import { parseDevQuote } from './devQuote.js'
import type { FunctionScope } from './functionScope.js'
import { SealedKeyFileError } from './SealedKeyFileError.js'
import { defaultDevSealPassphrase } from './sealedKeyFile.js'
import type { TeeProvider } from './TeeProvider.js'
import { TeeProviderError } from './TeeProviderError.js'
import { deriveWorkerSeeds } from './workerKeyring.js'

const registry = `0x${'5f'.repeat(20)}` as const
const functionA: FunctionScope = {
  family: 'evm',
  chainId: '31337',
  registry,
  functionId: `0x${'aa'.repeat(32)}`,
}
const functionB: FunctionScope = { ...functionA, functionId: `0x${'bb'.repeat(32)}` }
/** functionA's functionId under other scopes: another chain, another registry, the other family. */
const siblingsOfA: FunctionScope[] = [
  { ...functionA, chainId: '1' },
  { ...functionA, registry: `0x${'6f'.repeat(20)}` },
  { family: 'substrate', chainId: `0x${'91'.repeat(32)}`, registry: '0x', functionId: functionA.functionId },
]

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'teefn-dev-provider-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** The private keys behind a dev key file, recovered the long way (as an attacker with the passphrase could). */
async function privateKeyHexes(file: string, passphrase = defaultDevSealPassphrase): Promise<string[]> {
  const body = JSON.parse(await readFile(file, 'utf8'))
  const key = await scryptAsync(utf8(passphrase), hexToBytes(`0x${body.kdf.salt}`)!, {
    N: body.kdf.N,
    r: body.kdf.r,
    p: body.kdf.p,
    dkLen: 32,
  })
  const aad = utf8(
    JSON.stringify([
      body.format,
      body.version,
      [body.kdf.name, body.kdf.N, body.kdf.r, body.kdf.p, body.kdf.salt],
      [body.cipher.name, body.cipher.nonce],
      [
        body.publicKeys.evmAddress,
        body.publicKeys.secp256k1,
        body.publicKeys.sr25519,
        body.publicKeys.encryption,
      ],
    ]),
  )
  const root = gcm(key, hexToBytes(`0x${body.cipher.nonce}`)!, aad).decrypt(
    hexToBytes(`0x${body.ciphertext}`)!,
  )
  const seeds = deriveWorkerSeeds(root)
  return [root, seeds.secp256k1, seeds.sr25519Seed, seeds.x25519, seeds.seal].map((bytes) =>
    bytesToHex(bytes).slice(2),
  )
}

function expectNoPrivateKey(text: string, secrets: string[]) {
  for (const secret of secrets) {
    expect(text.toLowerCase()).not.toContain(secret)
    expect(text).not.toContain(Buffer.from(secret, 'hex').toString('base64'))
  }
}

describe('createDevProvider', () => {
  it('creates a sealed key file with mode 0600 and keeps the identity across restarts', async () => {
    const keyFile = join(dir, 'nested', 'worker.json')
    const first = await createDevProvider({ keyFile })
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600)
    expect(first.kind).toBe('dev')
    expect(first.publicKeys.evmAddress).toMatch(/^0x[0-9a-fA-F]{40}$/)

    const restarted = await createDevProvider({ keyFile })
    expect(restarted.publicKeys).toEqual(first.publicKeys)
    // Same signing key: the same digest gives the same (deterministic RFC 6979) signature.
    const digest = new Uint8Array(32).fill(7)
    expect(await restarted.signDigest(digest)).toEqual(await first.signDigest(digest))
    // Same function keys (for every scope) and seal key.
    for (const scope of [functionA, ...siblingsOfA]) {
      expect(await restarted.deriveFunctionKey(scope)).toEqual(await first.deriveFunctionKey(scope))
    }
    expect(await restarted.unseal(await first.seal(utf8('state')))).toEqual(utf8('state'))

    const other = await createDevProvider({ keyFile: join(dir, 'other.json') })
    expect(other.publicKeys.evmAddress).not.toBe(first.publicKeys.evmAddress)
    expect(other.publicKeys.encryption).not.toBe(first.publicKeys.encryption)
  })

  it('stores only ciphertext: no private key appears in the file', async () => {
    const keyFile = join(dir, 'plain-check.json')
    await createDevProvider({ keyFile })
    expectNoPrivateKey(await readFile(keyFile, 'utf8'), await privateKeyHexes(keyFile))
  })

  it('two workers starting together on one missing file end with one identity', async () => {
    const keyFile = join(dir, 'race.json')
    const [a, b] = await Promise.all([createDevProvider({ keyFile }), createDevProvider({ keyFile })])
    expect(a.publicKeys).toEqual(b.publicKeys)
  })

  it('refuses a corrupted file with a clear error naming the file', async () => {
    const keyFile = join(dir, 'corrupt.json')
    await writeFile(keyFile, '{"format":"teefn-dev-sealed-key","version":1,"kdf":', { mode: 0o600 })
    const error = await createDevProvider({ keyFile }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(SealedKeyFileError)
    expect((error as SealedKeyFileError).code).toBe('SEALED_KEY_FILE_CORRUPT')
    expect((error as SealedKeyFileError).file).toBe(keyFile)
    expect((error as Error).message).toContain(keyFile)
    expect((error as SealedKeyFileError).hint).toMatch(/Restore .* delete it/)
    // The corrupt file is left alone: never silently replaced by a new identity.
    expect(await readFile(keyFile, 'utf8')).toContain('"kdf":')
  })

  it('refuses a file that is not a teefn key file, and one of an unknown version', async () => {
    const notOurs = join(dir, 'not-ours.json')
    await writeFile(notOurs, JSON.stringify({ hello: 'world' }), { mode: 0o600 })
    await expect(createDevProvider({ keyFile: notOurs })).rejects.toMatchObject({
      code: 'SEALED_KEY_FILE_CORRUPT',
    })

    const source = join(dir, 'versioned.json')
    await createDevProvider({ keyFile: source })
    const future = join(dir, 'future.json')
    await writeFile(future, JSON.stringify({ ...JSON.parse(await readFile(source, 'utf8')), version: 2 }), {
      mode: 0o600,
    })
    await expect(createDevProvider({ keyFile: future })).rejects.toMatchObject({
      code: 'SEALED_KEY_FILE_UNSUPPORTED',
      file: future,
    })
  })

  it('refuses a foreign file (sealed with another passphrase) and a tampered one', async () => {
    const foreign = join(dir, 'foreign.json')
    await createDevProvider({ keyFile: foreign, passphrase: 'another worker passphrase' })
    const error = await createDevProvider({ keyFile: foreign }).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'SEALED_KEY_FILE_UNSEAL_FAILED', file: foreign })
    expect((error as Error).message).toContain(foreign)
    expect((error as SealedKeyFileError).hint).toContain('TEEFN_DEV_SEAL_PASSPHRASE')
    // With its own passphrase it opens.
    await expect(
      createDevProvider({ keyFile: foreign, passphrase: 'another worker passphrase' }),
    ).resolves.toBeDefined()

    const tampered = join(dir, 'tampered.json')
    await createDevProvider({ keyFile: tampered })
    const body = JSON.parse(await readFile(tampered, 'utf8'))
    body.ciphertext = (body.ciphertext[0] === '0' ? '1' : '0') + body.ciphertext.slice(1)
    await writeFile(tampered, JSON.stringify(body), { mode: 0o600 })
    await expect(createDevProvider({ keyFile: tampered })).rejects.toMatchObject({
      code: 'SEALED_KEY_FILE_UNSEAL_FAILED',
    })

    // The public keys are authenticated too: swapping in another worker's keys is detected.
    const swapped = join(dir, 'swapped.json')
    await createDevProvider({ keyFile: swapped })
    const swappedBody = JSON.parse(await readFile(swapped, 'utf8'))
    swappedBody.publicKeys = JSON.parse(await readFile(tampered, 'utf8')).publicKeys
    await writeFile(swapped, JSON.stringify(swappedBody), { mode: 0o600 })
    await expect(createDevProvider({ keyFile: swapped })).rejects.toMatchObject({
      code: 'SEALED_KEY_FILE_UNSEAL_FAILED',
    })
  })

  it('refuses a key file readable by others', async () => {
    const keyFile = join(dir, 'open.json')
    await createDevProvider({ keyFile })
    await chmod(keyFile, 0o644)
    await expect(createDevProvider({ keyFile })).rejects.toMatchObject({
      code: 'SEALED_KEY_FILE_PERMISSIONS',
      hint: `Run: chmod 600 ${keyFile}`,
    })
  })

  it('refuses a path it cannot read as a file', async () => {
    await expect(createDevProvider({ keyFile: dir })).rejects.toMatchObject({
      code: 'SEALED_KEY_FILE_UNREADABLE',
    })
  })

  it('refuses scrypt parameters that would stall the worker', async () => {
    const keyFile = join(dir, 'costly.json')
    await createDevProvider({ keyFile })
    const body = JSON.parse(await readFile(keyFile, 'utf8'))
    body.kdf.N = 2 ** 30
    await writeFile(keyFile, JSON.stringify(body), { mode: 0o600 })
    await expect(createDevProvider({ keyFile })).rejects.toMatchObject({ code: 'SEALED_KEY_FILE_CORRUPT' })
  })
})

describe('dev provider behaviour', () => {
  let provider: TeeProvider
  let keyFile: string
  let secrets: string[]
  beforeAll(async () => {
    keyFile = join(dir, 'behaviour.json')
    provider = await createDevProvider({ keyFile })
    secrets = await privateKeyHexes(keyFile)
  })

  it('quotes are marked dev and carry the report data', async () => {
    const reportData = new Uint8Array(64).map((_, i) => i)
    const quote = await provider.quote(reportData)
    expect(quote.kind).toBe('dev')
    expect(Buffer.from(quote.quote).toString('latin1')).toContain('TEEFN-DEV-ATTESTATION')
    expect(parseDevQuote(quote.quote)).toEqual(reportData)
    await expect(provider.quote(new Uint8Array(32))).rejects.toBeInstanceOf(TeeProviderError)
  })

  it('function keys are deterministic per scope and differ between scopes, even for one functionId', async () => {
    const a = await provider.deriveFunctionKey(functionA)
    expect(a).toHaveLength(32)
    expect(
      await provider.deriveFunctionKey({
        ...functionA,
        functionId: functionA.functionId.toUpperCase().replace('0X', '0x') as `0x${string}`,
      }),
    ).toEqual(a)
    const keys = await Promise.all(
      [functionB, ...siblingsOfA].map((scope) => provider.deriveFunctionKey(scope)),
    )
    const distinct = new Set([a, ...keys].map((key) => bytesToHex(key)))
    expect(distinct.size).toBe(1 + keys.length)
    await expect(provider.deriveFunctionKey({ ...functionA, functionId: '0x1234' })).rejects.toMatchObject({
      code: 'FUNCTION_SCOPE_INVALID',
      field: 'functionId',
    })
    await expect(provider.deriveFunctionKey({ ...functionA, chainId: '0' })).rejects.toMatchObject({
      field: 'chainId',
    })
  })

  it('seal opens only with the same identity and refuses altered data', async () => {
    const sealed = await provider.seal(utf8('worker state'))
    expect(await provider.unseal(sealed)).toEqual(utf8('worker state'))
    const altered = sealed.slice()
    altered[altered.length - 1]! ^= 1
    await expect(provider.unseal(altered)).rejects.toMatchObject({ code: 'TEE_UNSEAL_FAILED' })
    const stranger = await createDevProvider({ keyFile: join(dir, 'stranger.json') })
    await expect(stranger.unseal(sealed)).rejects.toMatchObject({ code: 'TEE_UNSEAL_FAILED' })
  })

  it('shows only public data in JSON, inspect, and error messages', async () => {
    expect(secrets).toHaveLength(5)
    const json = JSON.stringify(provider)
    expect(JSON.parse(json)).toEqual({
      kind: 'dev',
      publicKeys: provider.publicKeys,
      info: { kind: 'dev', keyFile },
    })
    const shown = [
      json,
      inspect(provider, { depth: 10, showHidden: true }),
      String(provider),
      `${Object.keys(provider)}`,
    ]
    const errors: unknown[] = await Promise.all([
      provider.signDigest(new Uint8Array(31)).catch((e: Error) => e),
      provider.signSr25519('text' as unknown as Uint8Array).catch((e: Error) => e),
      provider.decrypt(new Uint8Array(100), functionA).catch((e: Error) => e),
      provider.unseal(new Uint8Array(40)).catch((e: Error) => e),
      provider.quote(new Uint8Array(1)).catch((e: Error) => e),
    ])
    for (const error of errors) {
      if (!(error instanceof Error)) throw new Error('expected every call to fail')
      shown.push(error.message, inspect(error), JSON.stringify(error))
    }
    for (const text of shown) expectNoPrivateKey(text, secrets)
  })
})
