import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Hex } from '../../runtime/bytes.js'
import type { Envelope } from '../../runtime/enclave/envelope.js'
import { type FunctionScope, scopeId } from '../../runtime/enclave/functionScope.js'
import { type SignedSecrets, signSecretsUpdate } from '../../runtime/enclave/ownerRecords.js'
import { encryptSecrets } from '../../runtime/enclave/secretsCipher.js'
import { verifyEnvelope } from '../../runtime/enclave/verifyEnvelope.js'
import { functionStoreKeys } from '../../runtime/store/functionStoreKeys.js'
import { type CapturedLogs, captureLogs } from '../support/captureLogs.js'
import { runTeefn } from '../support/runTeefn.js'
import { reportingFunction, type SecretSink, startSecretSink } from '../support/startSecretSink.js'
import { startTeefnStack, type TeefnStack } from '../support/startTeefnStack.js'

// Attack: whoever runs the node writes its Redis, so he can put a secrets record of his choosing next to any
// function: encrypted to the worker's attested key for the function's scope (the key is public), but signed
// by himself, by nobody, or by the owner for something else. Secrets are the owner's: the worker opens only
// a record the function's on-chain owner signed for exactly this scope, and the API stores only such records.

let stack: TeefnStack
let sink: SecretSink
let logs: CapturedLogs
let dir: string

beforeAll(async () => {
  sink = await startSecretSink()
  logs = captureLogs()
  dir = await mkdtemp(join(tmpdir(), 'teefn-owner-secrets-'))
  stack = await startTeefnStack({ server: true, allowHosts: [`127.0.0.1:${sink.port}`], logger: logs.logger })
})
afterAll(async () => {
  await stack?.close()
  await sink?.close()
  await rm(dir, { recursive: true, force: true })
})

const textOf = (envelope: Envelope) => Buffer.from(envelope.result.slice(2), 'hex').toString()
const apiUrl = () => stack.node.serverUrl!

/** A function that sends its secrets to the sink (the leak the attacker wants) and returns their names. */
async function registerReporter(label: string) {
  const path = `/${label.replaceAll(' ', '-')}`
  const registered = await stack.register(reportingFunction(sink, path), label)
  return { ...registered, path, scope: stack.scopeOf(registered.functionId) }
}

/** The operator's record: `secrets` encrypted to the worker for `scope`, signed by whoever he likes. */
function encryptedFor(scope: FunctionScope, secrets: Record<string, string>): Hex {
  return encryptSecrets({ workerKey: stack.worker.encryption, scope, secrets })
}

/** Sends a chain request of `functionId` and returns its envelope, checked to be signed by the worker for it. */
async function runOnChain(fn: { functionId: Hex; codeHash: Hex }, payload: string) {
  const sent = await stack.request(fn.functionId, payload)
  const envelope = await stack.envelopeOf(sent.requestId)
  await verifyEnvelope(envelope, {
    worker: stack.worker.evmAddress,
    chainId: stack.chains[0]!.anvil.chainId,
    requestId: sent.requestId,
    functionId: fn.functionId,
    codeHash: fn.codeHash,
  })
  return envelope
}

const put = (method: 'PUT' | 'DELETE', record: SignedSecrets) =>
  fetch(`${apiUrl()}/v1/secrets`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(record),
  })
const errorOf = async (response: Response) =>
  ((await response.json()) as { error: { code: string; message: string } }).error

describe('a secrets record the operator writes into Redis', { timeout: 90_000 }, () => {
  it('signed by a stranger: the run ends SECRETS_INVALID, signed, and the chosen value never reaches the function', async () => {
    const fn = await registerReporter('stranger signed')
    const chosen = 'operator-chosen-token-1'
    // Through the store API, as the node itself would write it: the store checks the form, not the signer.
    await stack.store.putSecrets(
      await signSecretsUpdate(stack.chains[0]!.f.stranger, {
        scope: fn.scope,
        ciphertext: encryptedFor(fn.scope, { token: chosen }),
        version: 1,
      }),
    )
    const envelope = await runOnChain(fn, '0x01')
    // The leak first: had the worker opened the record, the function would have sent the value here.
    expect(sink.hits(chosen)).toBe(0)
    expect(envelope.status).toBe('SECRETS_INVALID')
    expect(textOf(envelope)).toMatch(/not signed by the function's owner/)
    expect(textOf(envelope)).not.toContain(chosen)
    expect(sink.bodies.filter(({ path }) => path === fn.path)).toHaveLength(0)
    expect(logs.text()).not.toContain(chosen)
  })

  it('with a signature that recovers to no one: SECRETS_INVALID, nothing decrypted', async () => {
    const fn = await registerReporter('unsigned')
    const chosen = 'operator-chosen-token-2'
    const unsigned: SignedSecrets = {
      scope: fn.scope,
      ciphertext: encryptedFor(fn.scope, { token: chosen }),
      version: 1,
      signature: `0x${'00'.repeat(65)}`,
    }
    await stack.store.putSecrets(unsigned)
    const envelope = await runOnChain(fn, '0x02')
    expect(sink.hits(chosen)).toBe(0)
    expect(envelope.status).toBe('SECRETS_INVALID')
    expect(textOf(envelope)).toMatch(/not signed by the function's owner/)
    expect(sink.bodies.filter(({ path }) => path === fn.path)).toHaveLength(0)
  })

  it('written as raw Redis with no signature at all: SECRETS_INVALID, nothing decrypted', async () => {
    const fn = await registerReporter('raw unsigned')
    const chosen = 'operator-chosen-token-3'
    const record = { scope: fn.scope, ciphertext: encryptedFor(fn.scope, { token: chosen }), version: 1 }
    await stack.connection.hset(functionStoreKeys('teefn').secrets(fn.scope), {
      version: '1',
      record: JSON.stringify(record),
    })
    const envelope = await runOnChain(fn, '0x03')
    expect(envelope.status).toBe('SECRETS_INVALID')
    expect(textOf(envelope)).toMatch(/not a record signed for this function scope/)
    expect(sink.hits(chosen)).toBe(0)
    expect(sink.bodies.filter(({ path }) => path === fn.path)).toHaveLength(0)
  })

  it("signed by the owner for another of its functions: the owner's secret does not reach this one", async () => {
    // Both functions have one owner, so the signature is the owner's; only the scope it covers tells them apart.
    const source = await registerReporter('owner source')
    const target = await registerReporter('owner target')
    const ownerValue = 'owner-token-for-the-source-only'
    await stack.putSecrets(source.functionId, { token: ownerValue })
    const signed = (await stack.store.getSecrets(source.scope))!
    const targetKey = functionStoreKeys('teefn').secrets(target.scope)

    // Copied as it is under the target's key, and with its scope field rewritten to the target's.
    for (const [index, record] of [signed, { ...signed, scope: target.scope }].entries()) {
      await stack.connection.hset(targetKey, { version: String(10 + index), record: JSON.stringify(record) })
      const envelope = await runOnChain(target, `0x1${index}`)
      expect(envelope.status, `variant ${index}`).toBe('SECRETS_INVALID')
      expect(textOf(envelope)).not.toContain(ownerValue)
    }
    expect(sink.bodies.filter(({ path }) => path === target.path)).toHaveLength(0)
    // The source itself still gets its secret: the owner's record is good where the owner put it.
    expect((await runOnChain(source, '0x12')).status).toBe('OK')
    expect(sink.hits(ownerValue, source.path)).toBe(1)
    expect(sink.hits(ownerValue, target.path)).toBe(0)
    expect(logs.text()).not.toContain(ownerValue)
  })
})

describe('PUT and DELETE /v1/secrets on the stack API', () => {
  it("stores only the owner's records, newest version only, and the owner's deletion leaves the function with {}", async () => {
    const fn = await registerReporter('api records')
    const { f } = stack.chains[0]!
    const ownerValue = 'owner-token-through-the-api'
    const strangerValue = 'stranger-token-through-the-api'
    const record = (signer = f.functionOwner, version = 5, secrets = { token: ownerValue }) =>
      signSecretsUpdate(signer, { scope: fn.scope, ciphertext: encryptedFor(fn.scope, secrets), version })

    // A stranger's signed record, and one whose signature recovers to no one: 403, nothing stored.
    const byStranger = await put('PUT', await record(f.stranger, 5, { token: strangerValue }))
    expect(byStranger.status).toBe(403)
    const refused = await errorOf(byStranger)
    expect(refused.code).toBe('NOT_FUNCTION_OWNER')
    expect(refused.message).toContain(f.functionOwner.address)
    expect(refused.message).toContain(f.stranger.address.toLowerCase())
    const unsigned = await put('PUT', { ...(await record()), signature: `0x${'00'.repeat(65)}` })
    expect(unsigned.status).toBe(403)
    expect((await errorOf(unsigned)).message).toContain('recovers to no address')
    expect(await stack.store.getSecrets(fn.scope)).toBeUndefined()
    expect((await fetch(`${apiUrl()}/v1/secrets?functionId=${fn.functionId}`)).status).toBe(404)

    // The owner's: stored, and read back as metadata only.
    const stored = await put('PUT', await record())
    expect(stored.status).toBe(200)
    expect(await stored.json()).toMatchObject({
      scopeId: scopeId(fn.scope),
      version: 5,
      deleted: false,
      signer: f.functionOwner.address.toLowerCase(),
    })
    const metadata = await (await fetch(`${apiUrl()}/v1/secrets?functionId=${fn.functionId}`)).json()
    expect(metadata).toMatchObject({ version: 5, signer: f.functionOwner.address.toLowerCase() })
    expect(metadata).not.toHaveProperty('ciphertext')

    // A stranger cannot replace it with a newer version either (nor burn the version), nor delete it.
    expect((await put('PUT', await record(f.stranger, 6, { token: strangerValue }))).status).toBe(403)
    const strangerDeletion = await signSecretsUpdate(f.stranger, {
      scope: fn.scope,
      ciphertext: '0x',
      version: 6,
    })
    expect((await put('DELETE', strangerDeletion)).status).toBe(403)
    // The owner's own older and equal versions: 409, the stored one stays.
    for (const version of [4, 5]) {
      const older = await put('PUT', await record(f.functionOwner, version, { token: 'owner-older-token' }))
      expect(older.status).toBe(409)
      expect((await errorOf(older)).code).toBe('VERSION_NOT_NEWER')
    }
    expect((await stack.store.getSecrets(fn.scope))?.version).toBe(5)

    expect((await runOnChain(fn, '0x20')).status).toBe('OK')
    expect(sink.hits(ownerValue, fn.path)).toBe(1)
    expect(sink.hits(strangerValue)).toBe(0)
    expect(sink.hits('owner-older-token')).toBe(0)

    // The owner's deletion: stored as a tombstone, and the function runs with no secrets.
    const deletion = await signSecretsUpdate(f.functionOwner, {
      scope: fn.scope,
      ciphertext: '0x',
      version: 6,
    })
    const deleted = await put('DELETE', deletion)
    expect(deleted.status).toBe(200)
    expect(await deleted.json()).toMatchObject({ version: 6, deleted: true })
    const afterDeletion = await runOnChain(fn, '0x21')
    expect(afterDeletion.status).toBe('OK')
    expect(JSON.parse(textOf(afterDeletion))).toEqual({ names: [] })
    expect(sink.bodies.filter(({ path }) => path === fn.path).map(({ body }) => body)).toEqual([
      JSON.stringify({ token: ownerValue }),
      '{}',
    ])
    expect(logs.text()).not.toContain(ownerValue)
  })
})

describe('teefn secrets put against the stack API', { timeout: 180_000 }, () => {
  it("stores the owner's secrets, and the next chain request of the function sees them", async () => {
    const fn = await registerReporter('cli put')
    const { f } = stack.chains[0]!
    const secret = 'owner-token-through-the-cli'
    const keyFile = join(dir, 'owner.key')
    await writeFile(keyFile, f.functionOwner.privateKey, { mode: 0o600 })
    const secretsFile = join(dir, 'secrets.json')
    await writeFile(secretsFile, JSON.stringify({ token: secret }), { mode: 0o600 })

    const run = await runTeefn([
      'secrets',
      'put',
      '--server',
      apiUrl(),
      '--chain-id',
      String(stack.chains[0]!.anvil.chainId),
      '--registry',
      String(f.registry.target),
      '--function-id',
      fn.functionId,
      '--secrets',
      `@${secretsFile}`,
      '--key',
      keyFile,
      '--allow-dev',
      '--json',
    ])
    expect(run.status, run.stderr).toBe(0)
    expect(JSON.parse(run.stdout)).toMatchObject({
      stored: true,
      scopeId: scopeId(fn.scope),
      signer: f.functionOwner.address.toLowerCase(),
      encryptedTo: stack.worker.encryption,
    })

    const envelope = await runOnChain(fn, '0x30')
    expect(envelope.status).toBe('OK')
    expect(JSON.parse(textOf(envelope))).toEqual({ names: ['token'] })
    expect(sink.hits(secret, fn.path)).toBe(1)
    // Neither the secret nor the owner's key shows in what the CLI printed or what the node logged.
    for (const text of [run.stdout + run.stderr, logs.text()]) {
      expect(text).not.toContain(secret)
      expect(text).not.toContain(f.functionOwner.privateKey.slice(2))
    }
    expect(logs.lines.length).toBeGreaterThan(0)
  })
})
