import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { Wallet } from 'ethers'
import type { Redis } from 'ioredis'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RedisServer, startRedisServer } from '../dev/startRedisServer.js'
import type { Hex } from '../runtime/bytes.js'
import { attestWorker, type WorkerAttestation } from '../runtime/enclave/attestWorker.js'
import { createDevProvider } from '../runtime/enclave/devProvider.js'
import type { TeeProvider } from '../runtime/enclave/TeeProvider.js'
import { verifyAttestation } from '../runtime/enclave/verifyAttestation.js'
import { verifyEnvelope } from '../runtime/enclave/verifyEnvelope.js'
import { redactedLogPaths } from '../runtime/logging/createLogger.js'
import { createMetrics, type TeefnMetrics } from '../runtime/metrics/createMetrics.js'
import { createRedisConnection } from '../runtime/queue/createRedisConnection.js'
import { openRequestQueue, queueKey } from '../runtime/queue/queues.js'
import { createSandboxPool, type SandboxPool } from '../runtime/sandbox/index.js'
import { computeCodeHash } from '../runtime/store/computeCodeHash.js'
import { createRedisFunctionStore } from '../runtime/store/createRedisFunctionStore.js'
import type { FunctionStore } from '../runtime/store/FunctionStore.js'
import { maxBundleBytes } from '../runtime/store/limits.js'
import { startWorker, type TeeWorker } from '../runtime/worker/startWorker.js'
import { type BuildServerParameters, buildServer, type TeefnServer } from './buildServer.js'
import { uploadAuthorizationMessage } from './uploadMessage.js'

const apiKey = 'test-operator-key-9f3a'
const publicUrl = 'https://node-a.example'
const owner = new Wallet(`0x${'42'.repeat(32)}`)
const stranger = new Wallet(`0x${'43'.repeat(32)}`)
const zeroAddress = `0x${'00'.repeat(20)}`

let redisServer: RedisServer
let connection: Redis
let dir: string
let provider: TeeProvider
let pool: SandboxPool
let store: FunctionStore
let metrics: TeefnMetrics
let worker: TeeWorker
let attestation: WorkerAttestation
let app: TeefnServer
const logLines: string[] = []
const extraApps: TeefnServer[] = []

/** A pino logger like `createLogger`'s (same redaction), writing into `logLines`. */
const capturingLogger = () =>
  pino(
    { level: 'info', redact: { paths: redactedLogPaths, censor: '[redacted]' } },
    new Writable({
      write(chunk, _encoding, done) {
        logLines.push(String(chunk))
        done()
      },
    }),
  )

const build = async (overrides: Partial<BuildServerParameters> = {}) => {
  const built = await buildServer({
    connection,
    store,
    attestation,
    metrics,
    logger: capturingLogger(),
    apiKeys: [apiKey],
    probe: pool,
    publicUrl,
    ...overrides,
  })
  extraApps.push(built)
  return built
}

beforeAll(async () => {
  redisServer = await startRedisServer()
  connection = createRedisConnection({ url: redisServer.url })
  dir = await mkdtemp(join(tmpdir(), 'teefn-server-'))
  provider = await createDevProvider({ keyFile: join(dir, 'worker-key.json') })
  pool = await createSandboxPool({ threads: 1 })
  store = createRedisFunctionStore({ redis: connection })
  metrics = createMetrics()
  // No chain here: calls with a functionId and owner records are tested on anvil (plugins/*.test.ts, test/http-api).
  worker = startWorker({ connection, pool, provider, store, chains: {}, metrics })
  attestation = await attestWorker({ provider, measurement: `0x${'ab'.repeat(32)}` })
  app = await build()
})

afterAll(async () => {
  for (const built of extraApps) await built.close()
  await worker?.close()
  await pool?.close()
  connection?.disconnect()
  await redisServer?.stop()
  await rm(dir, { recursive: true, force: true })
})

type SignOptions = { wallet?: Wallet; timestamp?: number; claimed?: string }
const signedHeaders = async (
  code: string,
  { wallet = owner, timestamp = Math.floor(Date.now() / 1000), claimed }: SignOptions = {},
) => ({
  'x-teefn-owner': claimed ?? wallet.address,
  'x-teefn-timestamp': String(timestamp),
  'x-teefn-signature': await wallet.signMessage(
    uploadAuthorizationMessage(computeCodeHash(code), timestamp, publicUrl),
  ),
})

const uploadJson = async (code: string, headers: Record<string, string>, target = app) =>
  target.inject({ method: 'POST', url: '/v1/functions', payload: { code }, headers })

const uploadRaw = async (
  body: string | Buffer,
  headers: Record<string, string>,
  type = 'application/javascript',
) =>
  app.inject({
    method: 'POST',
    url: '/v1/functions',
    payload: body,
    headers: { ...headers, 'content-type': type },
  })

const errorOf = (response: { json: () => unknown }) =>
  (response.json() as { error: { code: string; message: string } }).error

/** Uploads with the API key and returns the codeHash. */
const deployed = async (code: string): Promise<Hex> => {
  const response = await uploadJson(code, { 'x-api-key': apiKey })
  expect(response.statusCode, response.body).toBeLessThan(300)
  return response.json().codeHash
}

const invoke = (codeHash: string, payload: object = {}, query = '', target = app) =>
  target.inject({ method: 'POST', url: `/v1/functions/${codeHash}/invoke${query}`, payload })

/** Polls a job with the operator key (which sees it in full) until it has finished. */
async function finishedJob(jobId: string) {
  for (let attempt = 0; attempt < 400; attempt++) {
    const response = await app.inject({
      method: 'GET',
      url: `/v1/jobs/${jobId}`,
      headers: { 'x-api-key': apiKey },
    })
    const body = response.json()
    if (body.state === 'completed' || body.state === 'failed') return body
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`job ${jobId} did not finish`)
}

describe('POST /v1/functions', () => {
  it('stores a bundle signed by its owner under its codeHash, once, and records the owner', async () => {
    const code = 'export default function main(request) { return "signed:" + request }'
    const first = await uploadJson(code, await signedHeaders(code))
    expect(first.statusCode).toBe(201)
    expect(first.json()).toMatchObject({
      codeHash: computeCodeHash(code),
      bytes: Buffer.byteLength(code),
      owner: owner.address,
      created: true,
    })
    const again = await uploadJson(code, await signedHeaders(code, { wallet: stranger }))
    expect(again.statusCode).toBe(200)
    // Content addressing: the first upload's owner stays.
    expect(again.json()).toMatchObject({ created: false, owner: owner.address })
    expect((await store.getFunction(computeCodeHash(code)))?.code).toBe(code)
  })

  it('takes the raw bundle bytes (application/javascript) with an operator API key', async () => {
    const code = 'export default (request) => "raw " + request + " é"'
    const response = await uploadRaw(Buffer.from(code), {
      'x-api-key': apiKey,
      'x-teefn-owner': owner.address,
    })
    expect(response.statusCode).toBe(201)
    expect(response.json()).toMatchObject({ codeHash: computeCodeHash(code), owner: owner.address })
  })

  type Refusal = {
    name: string
    send: () => Promise<{ statusCode: number; json: () => unknown }>
    code: string
    status: number
    message: RegExp
    stored?: string
  }
  const signedJson = (code: string, options?: SignOptions) => async () =>
    uploadJson(code, await signedHeaders(code, options))
  const refusals: Refusal[] = [
    {
      name: 'no signature and no API key',
      send: () => uploadJson('export default () => 1', {}),
      status: 401,
      code: 'UNAUTHORIZED',
      message: /needs the owner's signature/,
      stored: 'export default () => 1',
    },
    {
      name: 'a stale signature',
      send: signedJson('export default () => 2', { timestamp: Math.floor(Date.now() / 1000) - 3600 }),
      status: 401,
      code: 'SIGNATURE_EXPIRED',
      message: /stale/,
      stored: 'export default () => 2',
    },
    {
      name: 'a signature from the future',
      send: signedJson('export default () => 3', { timestamp: Math.floor(Date.now() / 1000) + 3600 }),
      status: 401,
      code: 'SIGNATURE_EXPIRED',
      message: /in the future/,
      stored: 'export default () => 3',
    },
    {
      name: "another key's signature",
      send: signedJson('export default () => 4', { wallet: stranger, claimed: owner.address }),
      status: 401,
      code: 'SIGNATURE_INVALID',
      message: new RegExp(`does not come from ${owner.address}`),
      stored: 'export default () => 4',
    },
    {
      name: 'a wrong API key',
      send: () => uploadJson('export default () => 5', { 'x-api-key': 'not-the-key' }),
      status: 401,
      code: 'API_KEY_INVALID',
      message: /not one this server accepts/,
      stored: 'export default () => 5',
    },
    {
      name: 'a malformed signature header',
      send: () =>
        uploadJson('export default () => 6', {
          'x-teefn-owner': owner.address,
          'x-teefn-timestamp': '1',
          'x-teefn-signature': '0x1234',
        }),
      status: 400,
      code: 'VALIDATION_FAILED',
      message: /headers\/x-teefn-signature must match pattern/,
    },
    {
      name: 'a bundle over 1 MiB',
      send: () =>
        uploadRaw(`export default () => 1\n//${'x'.repeat(maxBundleBytes)}`, { 'x-api-key': apiKey }),
      status: 413,
      code: 'BUNDLE_TOO_LARGE',
      message: /the limit is 1048576/,
      stored: `export default () => 1\n//${'x'.repeat(maxBundleBytes)}`,
    },
    {
      name: 'a body over the upload limit',
      send: () => uploadRaw(`//${'x'.repeat(2 * maxBundleBytes)}`, { 'x-api-key': apiKey }),
      status: 413,
      code: 'BODY_TOO_LARGE',
      message: /Request body is too large/,
    },
    {
      name: 'a syntax error',
      send: signedJson('export default function main( {'),
      status: 400,
      code: 'BUNDLE_SYNTAX_ERROR',
      message: /does not parse: .* at line 1, column/,
      stored: 'export default function main( {',
    },
    {
      name: 'not an ES module',
      send: signedJson('module.exports = (request) => request'),
      status: 400,
      code: 'BUNDLE_NOT_ES_MODULE',
      message: /CommonJS/,
      stored: 'module.exports = (request) => request',
    },
    {
      name: 'unbundled imports',
      send: signedJson('import lodash from "lodash"\nexport default () => lodash'),
      status: 400,
      code: 'BUNDLE_HAS_IMPORTS',
      message: /imports "lodash"/,
      stored: 'import lodash from "lodash"\nexport default () => lodash',
    },
    {
      name: 'no default export',
      send: signedJson('export function main() {}'),
      status: 400,
      code: 'BUNDLE_NO_DEFAULT_EXPORT',
      message: /no default export \(it exports main\)/,
      stored: 'export function main() {}',
    },
    {
      name: 'a default export that is not a function',
      send: signedJson('export default "main"'),
      status: 400,
      code: 'BUNDLE_NO_MAIN',
      message: /the default export is a string, not a function/,
      stored: 'export default "main"',
    },
    {
      name: 'bytes that are not UTF-8',
      send: () => uploadRaw(Buffer.from([0x65, 0x78, 0xff, 0xfe]), { 'x-api-key': apiKey }),
      status: 400,
      code: 'BUNDLE_NOT_UTF8',
      message: /not valid UTF-8/,
    },
    {
      name: 'an unsupported content type',
      send: () => uploadRaw('export default () => 7', { 'x-api-key': apiKey }, 'text/plain'),
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
      message: /application\/json .* or raw as application\/javascript/,
      stored: 'export default () => 7',
    },
    {
      name: 'an unknown JSON field',
      send: () =>
        app.inject({
          method: 'POST',
          url: '/v1/functions',
          payload: { code: 'export default () => 8', owner: 'me' },
          headers: { 'x-api-key': apiKey },
        }),
      status: 400,
      code: 'VALIDATION_FAILED',
      message: /body must NOT have additional properties/,
      stored: 'export default () => 8',
    },
  ]
  for (const refusal of refusals) {
    it(`refuses ${refusal.name} (${refusal.status} ${refusal.code}) and stores nothing`, async () => {
      const response = await refusal.send()
      expect(response.statusCode, JSON.stringify(response.json())).toBe(refusal.status)
      const error = errorOf(response)
      expect(error.code).toBe(refusal.code)
      expect(error.message).toMatch(refusal.message)
      if (refusal.stored !== undefined) {
        expect(await store.getFunction(computeCodeHash(refusal.stored))).toBeUndefined()
      }
    })
  }

  it('refuses owners outside the allowed list with 403', async () => {
    const strict = await build({ upload: { allowedOwners: [stranger.address] } })
    const code = 'export default () => "allowed?"'
    const response = await uploadJson(code, await signedHeaders(code), strict)
    expect(response.statusCode).toBe(403)
    expect(errorOf(response)).toEqual({
      code: 'OWNER_NOT_ALLOWED',
      message: `${owner.address} may not upload functions to this server. The node's operator lists who may upload (server.upload.allowedOwners).`,
    })
    expect(await store.getFunction(computeCodeHash(code))).toBeUndefined()
  })
})

describe('GET /v1/functions/:codeHash', () => {
  it('answers the metadata, and the bundle when asked', async () => {
    const code = 'export default () => "meta"'
    const codeHash = await deployed(code)
    const meta = await app.inject({ method: 'GET', url: `/v1/functions/${codeHash}` })
    expect(meta.statusCode).toBe(200)
    expect(meta.json()).toEqual({ codeHash, bytes: code.length, uploadedAt: expect.any(Number) })
    const withCode = await app.inject({
      method: 'GET',
      url: `/v1/functions/${codeHash.toUpperCase().replace('0X', '0x')}?code=true`,
    })
    expect(withCode.json()).toMatchObject({ codeHash, code })
  })

  it('answers 404 for an unknown codeHash and 400 for a malformed one', async () => {
    const unknown = computeCodeHash('never uploaded')
    const missing = await app.inject({ method: 'GET', url: `/v1/functions/${unknown}` })
    expect(missing.statusCode).toBe(404)
    expect(errorOf(missing)).toMatchObject({
      code: 'FUNCTION_NOT_FOUND',
      message: expect.stringContaining(unknown),
    })
    const malformed = await app.inject({ method: 'GET', url: '/v1/functions/0x1234' })
    expect(malformed.statusCode).toBe(400)
    expect(errorOf(malformed).message).toMatch(/params\/codeHash must match pattern/)
    const badQuery = await app.inject({ method: 'GET', url: `/v1/functions/${unknown}?code=maybe` })
    expect(errorOf(badQuery).message).toMatch(/querystring\/code must be equal to one of the allowed values/)
  })
})

describe('POST /v1/functions/:codeHash/invoke', () => {
  it('runs the function in the worker and answers the result with an envelope signed by the enclave key', async () => {
    const code =
      'export default (request, secrets, context) => { console.info("via", context.trigger); return "echo:" + request }'
    const codeHash = await deployed(code)
    const response = await invoke(codeHash, { request: 'hello' })
    expect(response.statusCode).toBe(200)
    const body = response.json()
    expect(body).toMatchObject({
      status: 'OK',
      result: 'echo:hello',
      resultEncoding: 'utf8',
      resultHex: `0x${Buffer.from('echo:hello').toString('hex')}`,
      logs: [{ level: 'info', message: 'via http' }],
      logsTruncated: false,
      stats: { fetches: 0 },
    })
    expect(body.jobId).toBe(`http-0-${zeroAddress}-${body.requestId}`)
    const verified = await verifyEnvelope(body.envelope, {
      worker: attestation.publicKeys.evmAddress,
      chainId: 0,
      destination: zeroAddress,
      requestId: body.requestId,
      functionId: `0x${'00'.repeat(32)}`,
      codeHash,
    })
    expect(Buffer.from(verified.result).toString()).toBe('echo:hello')
  })

  it('answers a failing function with 200 and its signed failure status', async () => {
    const codeHash = await deployed('export default () => { throw new TypeError("bad input") }')
    const body = (await invoke(codeHash, { request: 'x' })).json()
    expect(body.status).toBe('FUNCTION_ERROR')
    expect(body.result).toMatch(/^TypeError: bad input/)
    expect(
      (await verifyEnvelope(body.envelope, { worker: attestation.publicKeys.evmAddress })).envelope.status,
    ).toBe('FUNCTION_ERROR')
  })

  it('shows bytes results as hex, and honours per-call limits', async () => {
    const bytes = await invoke(await deployed('export default () => new Uint8Array([0, 1, 255])'))
    expect(bytes.json()).toMatchObject({ result: '0x0001ff', resultEncoding: 'hex', resultHex: '0x0001ff' })
    const spin = await deployed('export default () => { for (;;) {} }')
    const limited = await invoke(spin, { limits: { timeoutMs: 200 } })
    expect(limited.json()).toMatchObject({ status: 'TIMEOUT' })
  })

  it('answers 202 with the job id at once when asked, by body or query', async () => {
    const codeHash = await deployed('export default (request) => "later:" + request')
    for (const [payload, query] of [
      [{ request: 'a', async: true }, ''],
      [{ request: 'b' }, '?async=true'],
    ] as const) {
      const response = await invoke(codeHash, payload, query)
      expect(response.statusCode).toBe(202)
      const accepted = response.json()
      expect(accepted).toMatchObject({ status: 'queued', links: { job: `/v1/jobs/${accepted.jobId}` } })
      const job = await finishedJob(accepted.jobId)
      expect(job.outcome).toMatchObject({ status: 'OK', result: `later:${payload.request}` })
    }
  })

  it('answers 202 with the job id when the result takes longer than the wait', async () => {
    const codeHash = await deployed(
      'export default () => { const end = Date.now() + 1500; while (Date.now() < end) {} return "slow" }',
    )
    const response = await invoke(codeHash, { waitMs: 50 })
    expect(response.statusCode).toBe(202)
    const accepted = response.json()
    expect(accepted).toMatchObject({
      status: 'pending',
      message: expect.stringContaining('no result within 50 ms'),
    })
    expect((await finishedJob(accepted.jobId)).outcome.result).toBe('slow')
  })

  it('refuses unknown functions with 404 and queues nothing', async () => {
    const before = await countJobs()
    const response = await invoke(computeCodeHash('not uploaded'), { request: 'x' })
    expect(response.statusCode).toBe(404)
    expect(errorOf(response).code).toBe('FUNCTION_NOT_FOUND')
    expect(await countJobs()).toBe(before)
  })

  it('refuses malformed calls with 400 naming the field', async () => {
    const codeHash = await deployed('export default () => "valid"')
    const cases: [object, RegExp, string?][] = [
      [{ request: 42 }, /body\/request must be string/],
      [{ request: 'x', extra: true }, /body must NOT have additional properties/],
      [{ waitMs: 0 }, /body\/waitMs must be >= 1/],
      [{ waitMs: 10_000_000 }, /body\/waitMs must be at most 120000/],
      [{ limits: { timeoutMs: 0 } }, /body\/limits\/timeoutMs must be >= 1/],
      [{ limits: { timeoutMs: 600_000 } }, /timeoutMs: asked 600000, maximum 15000/, 'LIMIT_TOO_HIGH'],
      [{ request: 'x'.repeat(64 * 1024 + 1) }, /body\/request must NOT have more than 65536 characters/],
    ]
    for (const [payload, message, code = 'VALIDATION_FAILED'] of cases) {
      const response = await invoke(codeHash, payload)
      expect(response.statusCode, JSON.stringify(payload).slice(0, 80)).toBe(400)
      expect(errorOf(response)).toMatchObject({ code, message: expect.stringMatching(message) })
    }
    const tooLarge = await invoke(codeHash, { request: 'x'.repeat(300 * 1024) })
    expect(tooLarge.statusCode).toBe(413)
    expect(errorOf(tooLarge).code).toBe('BODY_TOO_LARGE')
  })

  it('refuses a functionId or a chainId when the server reads no chain, and queues nothing', async () => {
    const codeHash = await deployed('export default (r, s, context) => "as " + context.functionId')
    const before = await countJobs()
    const functionId = `0x${'f1'.repeat(32)}`
    const refused = await invoke(codeHash, { functionId, chainId: 31337 })
    expect(refused.statusCode).toBe(400)
    expect(errorOf(refused)).toMatchObject({
      code: 'CHAIN_NOT_SERVED',
      message: expect.stringContaining('reads no EVM chain'),
    })
    const orphanChain = await invoke(codeHash, { chainId: '31337' })
    expect(orphanChain.statusCode).toBe(400)
    expect(errorOf(orphanChain).message).toContain('body/chainId names the chain of body/functionId')
    const badChain = await invoke(codeHash, { functionId, chainId: '031337' })
    expect(errorOf(badChain).code).toBe('VALIDATION_FAILED')
    expect(await countJobs()).toBe(before)
    // The zero functionId is an anonymous call.
    const anonymous = (await invoke(codeHash, { functionId: `0x${'00'.repeat(32)}` })).json()
    expect(anonymous.status).toBe('OK')
    expect(anonymous.envelope.functionId).toBe(`0x${'00'.repeat(32)}`)
  })
})

describe('GET /v1/jobs/:id', () => {
  it('shows state, timings, bounded logs and the envelope of a finished job to its caller', async () => {
    const codeHash = await deployed(
      'export default () => { for (let i = 0; i < 300; i++) console.log("line", i); return "done" }',
    )
    const invoked = (await invoke(codeHash, { request: 'r' })).json()
    expect(invoked.jobToken).toMatch(/^[A-Za-z0-9_-]{43}$/)
    const response = await app.inject({
      method: 'GET',
      url: `/v1/jobs/${invoked.jobId}`,
      headers: { 'x-teefn-job-token': invoked.jobToken },
    })
    expect(response.statusCode).toBe(200)
    const job = response.json()
    expect(job).toMatchObject({
      jobId: invoked.jobId,
      state: 'completed',
      access: 'full',
      trigger: 'http',
      chainId: '0',
      requestId: invoked.requestId,
      codeHash,
      attempts: 1,
      outcome: { status: 'OK', result: 'done', logsTruncated: true },
    })
    expect(job.outcome.logs).toHaveLength(200)
    expect(job.outcome.envelope).toEqual(invoked.envelope)
    expect(job.timings.finishedAt).toBeGreaterThanOrEqual(job.timings.startedAt)
    expect(job.timings.startedAt).toBeGreaterThanOrEqual(job.timings.queuedAt)
    expect(job.timings.runMs).toBe(job.timings.finishedAt - job.timings.startedAt)
  })

  it('shows why a job failed, first line only', async () => {
    // A chain request this worker serves no registry for: the worker throws, and with one attempt it fails.
    const requestId = `0x${'0e'.repeat(32)}`
    const jobId = `evm-1-0x${'11'.repeat(20)}-${requestId}`
    const queue = openRequestQueue(connection)
    await queue.add(
      'request',
      {
        trigger: 'evm',
        chainId: '1',
        destination: `0x${'11'.repeat(20)}`,
        requestId: requestId as Hex,
        functionId: `0x${'22'.repeat(32)}`,
        request: '0x',
        seenAt: Date.now(),
      },
      { jobId, attempts: 1 },
    )
    await queue.close()
    const job = await finishedJob(jobId)
    expect(job).toMatchObject({ state: 'failed', trigger: 'evm', chainId: '1', attempts: 1, access: 'full' })
    expect(job.failedReason).toMatch(/^This worker does not serve EVM chain 1\./)
    expect(job.outcome).toBeUndefined()
  })

  it('answers 404 for an unknown job and 400 for a malformed id', async () => {
    const unknown = await app.inject({
      method: 'GET',
      url: `/v1/jobs/http-0-${zeroAddress}-0x${'99'.repeat(32)}`,
    })
    expect(unknown.statusCode).toBe(404)
    expect(errorOf(unknown).code).toBe('JOB_NOT_FOUND')
    const malformed = await app.inject({ method: 'GET', url: '/v1/jobs/teefn:requests:1' })
    expect(malformed.statusCode).toBe(400)
    expect(errorOf(malformed).message).toMatch(/params\/id must match pattern/)
  })
})

describe('GET /v1/attestation', () => {
  it("answers the worker's public keys, provider and a quote binding them, and nothing else", async () => {
    const response = await app.inject({ method: 'GET', url: '/v1/attestation' })
    expect(response.statusCode).toBe(200)
    const body = response.json()
    expect(Object.keys(body).sort()).toEqual(['measurement', 'provider', 'publicKeys', 'quote', 'reportData'])
    expect(body).toMatchObject({
      provider: 'dev',
      publicKeys: provider.publicKeys,
      measurement: `0x${'ab'.repeat(32)}`,
    })
    const verified = verifyAttestation(body.quote, null, {
      allowDev: true,
      expectedReportData: { publicKeys: body.publicKeys, measurement: body.measurement },
    })
    expect(verified).toMatchObject({ kind: 'dev', reportData: body.reportData, reportDataChecked: true })
    // The sealed root key never leaves the worker, not even encrypted.
    const sealed = JSON.parse(await readFile(join(dir, 'worker-key.json'), 'utf8')) as { ciphertext: string }
    expect(sealed.ciphertext.length).toBeGreaterThan(32)
    expect(response.body).not.toContain(sealed.ciphertext)
  })
})

describe('GET /healthz', () => {
  it('answers 200 when Redis, the queue and a worker are there', async () => {
    const response = await app.inject({ method: 'GET', url: '/healthz' })
    expect(response.statusCode).toBe(200)
    expect(response.json()).toMatchObject({
      status: 'ok',
      checks: {
        redis: { ok: true },
        // Both lanes: the chain lane's counts, and the HTTP lane's under http_.
        queue: { ok: true, counts: { failed: expect.any(Number), http_failed: expect.any(Number) } },
        worker: {
          ok: true,
          detail: expect.stringMatching(/^[1-9]\d* chain and [1-9]\d* HTTP worker connections/),
        },
      },
    })
  })

  it('answers 503 naming the lane whose queue is paused', async () => {
    const http = openRequestQueue(connection, { lane: 'http' })
    try {
      await http.pause()
      const response = await app.inject({ method: 'GET', url: '/healthz' })
      expect(response.statusCode).toBe(503)
      expect(response.json()).toMatchObject({
        checks: { queue: { ok: false } },
        error: { message: 'queue: the http request queue is paused' },
      })
    } finally {
      await http.resume()
      await http.close()
    }
  })

  it('answers 503 naming the failing check when the worker is not running', async () => {
    const unhealthy = await build({ workerCheck: () => ({ ok: false, detail: 'the worker is stopped' }) })
    const response = await unhealthy.inject({ method: 'GET', url: '/healthz' })
    expect(response.statusCode).toBe(503)
    expect(response.json()).toMatchObject({
      status: 'unhealthy',
      checks: { redis: { ok: true }, worker: { ok: false } },
      error: { code: 'UNHEALTHY', message: 'worker: the worker is stopped' },
    })
  })
})

describe('GET /metrics', () => {
  it('answers Prometheus text with invocations, durations, queue depths and HTTP requests', async () => {
    await invoke(await deployed('export default () => "counted"'))
    const response = await app.inject({ method: 'GET', url: '/metrics' })
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0.0.4/)
    const text = response.body
    const ok = Number(/teefn_invocations_total\{trigger="http",status="OK"\} (\d+)/.exec(text)?.[1])
    expect(ok).toBeGreaterThan(0)
    expect(text).toMatch(/teefn_invocations_total\{trigger="http",status="FUNCTION_ERROR"\} [1-9]/)
    expect(text).toMatch(/teefn_invocation_duration_seconds_count\{trigger="http"\} [1-9]/)
    expect(text).toContain('teefn_queue_jobs{queue="requests",state="waiting"}')
    expect(text).toContain('teefn_queue_jobs{queue="http-requests",state="waiting"}')
    expect(text).toMatch(
      /teefn_http_requests_total\{method="POST",route="\/v1\/functions\/:codeHash\/invoke",status_code="200"\} [1-9]/,
    )
    expect(text).toMatch(
      /teefn_http_requests_total\{method="POST",route="\/v1\/functions",status_code="401"\} [1-9]/,
    )
  })

  it('with a metrics token, answers only the scraper that sends it as a bearer token', async () => {
    const token = 'scrape-token-that-stays-secret'
    const guarded = await build({ metricsToken: token })
    const scrape = (authorization?: string) =>
      guarded.inject({ method: 'GET', url: '/metrics', headers: authorization ? { authorization } : {} })

    const missing = await scrape()
    expect(missing.statusCode).toBe(401)
    expect(missing.headers['www-authenticate']).toMatch(/^Bearer /)
    expect(missing.json().error.code).toBe('METRICS_TOKEN_MISSING')
    const wrong = await scrape('Bearer not-the-token')
    expect(wrong.statusCode).toBe(401)
    expect(wrong.json().error.code).toBe('METRICS_TOKEN_INVALID')
    expect(wrong.body).not.toContain(token)
    expect((await scrape(`Basic ${token}`)).statusCode).toBe(401)

    const allowed = await scrape(`Bearer ${token}`)
    expect(allowed.statusCode).toBe(200)
    expect(allowed.body).toContain('teefn_invocations_total')
    expect(logLines.join('\n')).not.toContain(token)
  })
})

describe('GET /v1/overview and the dashboard at /ui', () => {
  it("gives both lanes' counts, the HTTP lane's latencies only with the operator key, and no chain here", async () => {
    const { codeHash } = await store.putFunction(`export default () => 'overview'`)
    const invoked = await app.inject({
      method: 'POST',
      url: `/v1/functions/${codeHash}/invoke`,
      payload: { request: '' },
    })
    expect(invoked.statusCode).toBe(200)
    const anyone = (await app.inject({ url: '/v1/overview' })).json()
    expect(anyone.lanes.http.counts.completed).toBeGreaterThan(0)
    expect(anyone.lanes.http.latency).toBeUndefined()
    expect(anyone.lanes.chain.latency).toMatchObject({ jobs: 0, recent: [] })
    expect(anyone.workers).toEqual([])
    const operator = (await app.inject({ url: '/v1/overview', headers: { 'x-api-key': apiKey } })).json()
    expect(operator.lanes.http.latency.jobs).toBeGreaterThan(0)
    expect(operator.lanes.http.latency.runMs.max).toBeGreaterThanOrEqual(
      operator.lanes.http.latency.runMs.p50,
    )
    const wrong = await app.inject({ url: '/v1/overview', headers: { 'x-api-key': 'nope' } })
    expect(wrong.statusCode).toBe(401)
    expect(wrong.json().error.code).toBe('API_KEY_INVALID')
  })

  it('serves the page, its module and stylesheet under a CSP that allows only its own origin', async () => {
    const page = await app.inject({ url: '/ui' })
    expect(page.statusCode).toBe(200)
    expect(page.headers['content-type']).toContain('text/html')
    expect(page.headers['content-security-policy']).toContain("script-src 'self'")
    expect(page.headers['content-security-policy']).toContain("default-src 'none'")
    const module = await app.inject({ url: '/ui/dashboard.js' })
    expect(module.headers['content-type']).toContain('text/javascript')
    expect(module.body).toContain('x-api-key')
    expect((await app.inject({ url: '/ui/dashboard.css' })).headers['content-type']).toContain('text/css')
    expect((await app.inject({ url: '/ui/nope.js' })).json().error.code).toBe('NOT_FOUND')
  })
})

describe('GET /openapi.json', () => {
  it('documents every route with its schemas and both upload authorizations', async () => {
    const response = await app.inject({ method: 'GET', url: '/openapi.json' })
    expect(response.statusCode).toBe(200)
    const document = response.json()
    expect(document.openapi).toBe('3.1.0')
    expect(Object.keys(document.paths).sort()).toEqual([
      '/healthz',
      '/metrics',
      '/v1/attestation',
      '/v1/envelopes',
      '/v1/functions',
      '/v1/functions/{codeHash}',
      '/v1/functions/{codeHash}/invoke',
      '/v1/jobs',
      '/v1/jobs/{id}',
      '/v1/overview',
      '/v1/secrets',
      '/v1/settings',
    ])
    expect(Object.keys(document.components.securitySchemes)).toEqual(
      expect.arrayContaining(['apiKey', 'ownerSignature']),
    )
    const upload = document.paths['/v1/functions'].post
    expect(Object.keys(upload.requestBody.content)).toEqual(
      expect.arrayContaining(['application/json', 'application/javascript']),
    )
    expect(upload.description).toContain('teefn upload <codeHash, lowercase 0x-hex> at <timestamp>')
    expect(upload.responses['413']).toBeDefined()
    const invokeRoute = document.paths['/v1/functions/{codeHash}/invoke'].post
    expect(invokeRoute.requestBody.content['application/json'].schema.properties.request.maxLength).toBe(
      65536,
    )
    expect(invokeRoute.responses['202']).toBeDefined()
    expect(Object.keys(document.paths['/v1/secrets']).sort()).toEqual(['delete', 'get', 'put'])
    // The error catalogue: every code with its status, in the description and the error schema.
    expect(document.info.description).toContain('| 409 | `VERSION_NOT_NEWER` |')
    expect(document.info.description).toContain('| 403 | `NOT_FUNCTION_OWNER` |')
    expect(document.info.description).toContain('| 403 | `CODE_HASH_NOT_REGISTERED` |')
    const secretsPut = document.paths['/v1/secrets'].put
    const errorSchema = secretsPut.responses['403'].content['application/json'].schema
    expect(JSON.stringify(errorSchema)).toContain('NOT_FUNCTION_OWNER')
    expect(secretsPut.requestBody.content['application/json'].schema.required).toEqual(
      expect.arrayContaining(['scope', 'ciphertext', 'version', 'signature']),
    )
  })
})

describe('errors, limits and CORS', () => {
  it('answers unknown routes and malformed JSON in the error shape', async () => {
    const unknown = await app.inject({ method: 'GET', url: '/v2/nothing?x=1' })
    expect(unknown.statusCode).toBe(404)
    expect(unknown.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'no route GET /v2/nothing' } })
    const broken = await app.inject({
      method: 'POST',
      url: `/v1/functions/${computeCodeHash('x')}/invoke`,
      payload: '{"request":',
      headers: { 'content-type': 'application/json' },
    })
    expect(broken.statusCode).toBe(400)
    expect(Object.keys(broken.json().error)).toEqual(['code', 'message'])
  })

  it('limits requests per caller: per IP, and per valid API key in a bucket of its own', async () => {
    const limited = await build({ rateLimit: { max: 2, apiKeyMax: 3 } })
    const get = (headers: Record<string, string> = {}) =>
      limited.inject({ method: 'GET', url: '/v1/attestation', headers })
    expect((await get()).statusCode).toBe(200)
    // A made-up key is no way around the IP's limit.
    expect((await get({ 'x-api-key': 'invented' })).statusCode).toBe(200)
    const refused = await get()
    expect(refused.statusCode).toBe(429)
    expect(errorOf(refused)).toMatchObject({
      code: 'RATE_LIMITED',
      message: expect.stringMatching(/retry in/),
    })
    expect(refused.headers['retry-after']).toBeDefined()
    for (let i = 0; i < 3; i++) expect((await get({ 'x-api-key': apiKey })).statusCode).toBe(200)
    expect((await get({ 'x-api-key': apiKey })).statusCode).toBe(429)
    // Health and metrics are never rate limited.
    expect((await limited.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(200)
  })

  it('sends no CORS headers unless origins are configured', async () => {
    const origin = 'https://app.example'
    const plain = await app.inject({ method: 'GET', url: '/v1/attestation', headers: { origin } })
    expect(plain.headers['access-control-allow-origin']).toBeUndefined()
    const withCors = await build({ cors: { origins: [origin] } })
    const allowed = await withCors.inject({ method: 'GET', url: '/v1/attestation', headers: { origin } })
    expect(allowed.headers['access-control-allow-origin']).toBe(origin)
    const other = await withCors.inject({
      method: 'GET',
      url: '/v1/attestation',
      headers: { origin: 'https://evil.example' },
    })
    expect(other.headers['access-control-allow-origin']).toBeUndefined()
  })

  it('keeps API keys out of logs and answers', async () => {
    const secretKey = 'wrong-key-that-must-not-leak'
    const response = await uploadJson('export default () => "k"', { 'x-api-key': secretKey })
    expect(response.body).not.toContain(secretKey)
    await uploadJson('export default () => "k2"', { 'x-api-key': apiKey })
    expect(logLines.length).toBeGreaterThan(0)
    const logs = logLines.join('')
    expect(logs).not.toContain(secretKey)
    expect(logs).not.toContain(apiKey)
    expect(logs).toContain('function uploaded')
  })
})

async function countJobs(): Promise<number> {
  const keys = await connection.keys(queueKey('http-requests', 'http-*'))
  return keys.length
}
