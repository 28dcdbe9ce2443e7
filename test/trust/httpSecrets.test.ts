import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { id, type Wallet } from 'ethers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Hex } from '../../runtime/bytes.js'
import type { Envelope } from '../../runtime/enclave/envelope.js'
import { type FunctionScope, scopeId } from '../../runtime/enclave/functionScope.js'
import { signFunctionSettings } from '../../runtime/enclave/ownerRecords.js'
import { verifyEnvelope } from '../../runtime/enclave/verifyEnvelope.js'
import type { RequestJobData, RequestJobResult } from '../../runtime/queue/jobs.js'
import { type CapturedLogs, captureLogs } from '../support/captureLogs.js'
import { runTeefn } from '../support/runTeefn.js'
import { reportingFunction, type SecretSink, startSecretSink } from '../support/startSecretSink.js'
import { startTeefnStack, type TeefnStack } from '../support/startTeefnStack.js'

// Attack: an HTTP caller, anyone at all, chooses the input of a function that holds its owner's secrets and a
// deriveSecret key (a wallet, say): a chosen input could make it sign or reveal what its chain requests never
// would. So the owner decides: HTTP runs get the function's secrets and key only when the owner signed
// FunctionSettings.httpSecrets true for its scope, checked by the worker against the owner it reads on chain.
// Neither a stranger's setting, one the operator writes into Redis, nor other code under the functionId opens them.

const zeroBytes32 = `0x${'00'.repeat(32)}` as Hex

let stack: TeefnStack
let sink: SecretSink
let logs: CapturedLogs
let dir: string

beforeAll(async () => {
  sink = await startSecretSink()
  logs = captureLogs()
  dir = await mkdtemp(join(tmpdir(), 'teefn-http-secrets-'))
  stack = await startTeefnStack({ server: true, allowHosts: [`127.0.0.1:${sink.port}`], logger: logs.logger })
})
afterAll(async () => {
  await stack?.close()
  await sink?.close()
  await rm(dir, { recursive: true, force: true })
})

/** Reports what the function was given: its secrets' names, whether its token was there, its deriveSecret key. */
const observer = `export default (request, secrets) => {
  let key = null
  let keyError = null
  try {
    key = Array.from(deriveSecret('wallet'), (b) => b.toString(16).padStart(2, '0')).join('')
  } catch (error) {
    keyError = error.message
  }
  return JSON.stringify({ names: Object.keys(secrets).sort(), sawSecret: typeof secrets.token === 'string', key, keyError })
}`
type Observed = { names: string[]; sawSecret: boolean; key: string | null; keyError: string | null }
const nothing = {
  names: [],
  sawSecret: false,
  key: null,
  keyError: expect.stringMatching(/deriveSecret: this invocation has no function key/),
}

const textOf = (envelope: Envelope) => Buffer.from(envelope.result.slice(2), 'hex').toString()
const apiUrl = () => stack.node.serverUrl!
const owner = () => stack.chains[0]!.f.functionOwner
const stranger = () => stack.chains[0]!.f.stranger

const invoke = (codeHash: Hex, body: Record<string, unknown> = {}) =>
  fetch(`${apiUrl()}/v1/functions/${codeHash}/invoke`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ request: 'chosen by anyone', ...body }),
  })

/** An anonymous HTTP call, by codeHash alone or naming `functionId`: what the function observed, from a verified envelope. */
async function observeHttp(codeHash: Hex, functionId?: Hex): Promise<Observed> {
  const response = await invoke(codeHash, functionId ? { functionId } : {})
  expect(response.status).toBe(200)
  const { envelope } = (await response.json()) as { envelope: Envelope }
  await verifyEnvelope(envelope, {
    worker: stack.worker.evmAddress,
    chainId: 0,
    functionId: functionId ?? zeroBytes32,
    codeHash,
  })
  expect(envelope.status).toBe('OK')
  return JSON.parse(textOf(envelope)) as Observed
}

async function observeOnChain(functionId: Hex, payload: string): Promise<Observed> {
  const sent = await stack.request(functionId, payload)
  const envelope = await stack.envelopeOf(sent.requestId)
  expect(envelope.status).toBe('OK')
  return JSON.parse(textOf(envelope)) as Observed
}

const putSettings = async (signer: Wallet, scope: FunctionScope, httpSecrets: boolean, version: number) =>
  fetch(`${apiUrl()}/v1/settings`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(await signFunctionSettings(signer, { scope, httpSecrets, version })),
  })

describe("an anonymous HTTP caller of a function with the owner's secrets", { timeout: 180_000 }, () => {
  it('gets neither its secrets nor its deriveSecret key unless the owner signed httpSecrets true, and never by codeHash alone', async () => {
    const secret = 'owner-token-for-chain-requests'
    const fn = await stack.register(observer, 'http secrets')
    const scope = stack.scopeOf(fn.functionId)
    await stack.putSecrets(fn.functionId, { token: secret })
    // A chain request of the function: what the owner's secrets and key are for.
    const onChain = await observeOnChain(fn.functionId, '0x01')
    expect(onChain).toMatchObject({ names: ['token'], sawSecret: true, keyError: null })
    expect(onChain.key).toMatch(/^[0-9a-f]{64}$/)

    // No settings: by codeHash and by functionId, the function runs with {} and no key.
    expect(await observeHttp(fn.codeHash)).toEqual(nothing)
    expect(await observeHttp(fn.codeHash, fn.functionId)).toEqual(nothing)
    expect((await fetch(`${apiUrl()}/v1/settings?functionId=${fn.functionId}`)).status).toBe(404)

    // A stranger signs httpSecrets true: the API refuses it and stores nothing...
    const byStranger = await putSettings(stranger(), scope, true, 100)
    expect(byStranger.status).toBe(403)
    expect(((await byStranger.json()) as { error: { code: string } }).error.code).toBe('NOT_FUNCTION_OWNER')
    expect(await stack.store.getSettings(scope)).toBeUndefined()
    // ...and written into Redis by the operator, the worker does not act on it.
    await stack.store.putSettings(
      await signFunctionSettings(stranger(), { scope, httpSecrets: true, version: 100 }),
    )
    expect(await observeHttp(fn.codeHash, fn.functionId)).toEqual(nothing)

    // The owner opts in with teefn settings put: calls naming the function get its secrets and its very key.
    const keyFile = join(dir, 'owner.key')
    await writeFile(keyFile, owner().privateKey, { mode: 0o600 })
    const settingsPut = await runTeefn([
      'settings',
      'put',
      '--http-secrets',
      'true',
      '--server',
      apiUrl(),
      '--chain-id',
      scope.chainId,
      '--registry',
      String(stack.chains[0]!.f.registry.target),
      '--function-id',
      fn.functionId,
      '--key',
      keyFile,
      '--json',
    ])
    expect(settingsPut.status, settingsPut.stderr).toBe(0)
    const stored = JSON.parse(settingsPut.stdout) as { version: number }
    expect(stored).toMatchObject({
      stored: true,
      httpSecrets: true,
      scopeId: scopeId(scope),
      signer: owner().address.toLowerCase(),
    })
    expect(settingsPut.stdout + settingsPut.stderr).not.toContain(owner().privateKey.slice(2))
    expect(await observeHttp(fn.codeHash, fn.functionId)).toEqual({ ...onChain, keyError: null })
    // A call by codeHash alone names no function: still nothing.
    expect(await observeHttp(fn.codeHash)).toEqual(nothing)

    // The owner turns it off (PUT /v1/settings): gone again.
    const off = await putSettings(owner(), scope, false, stored.version + 1)
    expect(off.status).toBe(200)
    expect(await observeHttp(fn.codeHash, fn.functionId)).toEqual(nothing)
    // The operator overwrites the owner's "off" with a newer stranger-signed "on": still off.
    await stack.store.putSettings(
      await signFunctionSettings(stranger(), { scope, httpSecrets: true, version: stored.version + 2 }),
    )
    expect(await observeHttp(fn.codeHash, fn.functionId)).toEqual(nothing)
    expect(logs.text()).not.toContain(secret)
  })
})

describe('an HTTP call naming the functionId with code the registry does not name', () => {
  it('is refused by the API, and a job forged for it in Redis runs nothing with the secrets', async () => {
    const secret = 'owner-token-not-for-other-code'
    const fn = await stack.register(observer, 'http other code')
    const scope = stack.scopeOf(fn.functionId)
    await stack.putSecrets(fn.functionId, { token: secret })
    // The owner opted in, so the function's own code would get its secrets over HTTP.
    expect((await putSettings(owner(), scope, true, 1)).status).toBe(200)
    // The attacker's code sends whatever secrets it gets to the sink.
    const other = await stack.store.putFunction(reportingFunction(sink, '/other-code'))

    const refused = await invoke(other.codeHash, { functionId: fn.functionId })
    expect(refused.status).toBe(403)
    const { error } = (await refused.json()) as { error: { code: string; message: string } }
    expect(error.code).toBe('CODE_HASH_NOT_REGISTERED')
    expect(error.message).toContain(`the registry names ${fn.codeHash}`)
    const queued = await stack.requests.getJobs(['waiting', 'active', 'delayed', 'completed', 'failed'])
    expect(queued.filter((job) => job.data.codeHash === other.codeHash)).toHaveLength(0)

    // The operator queues the job the API refused: the worker reads the registry itself and signs a refusal.
    const requestId = id('http secrets: other code') as Hex
    const forged: RequestJobData = {
      trigger: 'http',
      chainId: '0',
      destination: `0x${'00'.repeat(20)}`,
      requestId,
      functionId: fn.functionId,
      codeHash: other.codeHash,
      scope,
      request: 'chosen by the operator',
      seenAt: Date.now(),
    }
    const job = await stack.requests.add('request', forged, { jobId: `http-${requestId}` })
    for (let i = 0; i < 400 && !(await job.isCompleted()) && !(await job.isFailed()); i++) await sleep(50)
    const { envelope } = (await stack.requests.getJob(job.id!))!.returnvalue as unknown as RequestJobResult
    await verifyEnvelope(envelope, { worker: stack.worker.evmAddress, functionId: fn.functionId })
    expect(sink.bodies.filter(({ path }) => path === '/other-code')).toHaveLength(0)
    expect(envelope.status).toBe('CODE_HASH_MISMATCH')
    expect(textOf(envelope)).toContain(`runs codeHash ${fn.codeHash}`)
    expect(sink.hits(secret)).toBe(0)
    expect(logs.text()).not.toContain(secret)
  })
})
