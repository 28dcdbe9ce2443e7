import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Wallet } from 'ethers'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RedisServer, startRedisServer } from '../cli/dev/startRedisServer.js'
import { attestWorker, type WorkerAttestation } from '../runtime/enclave/attestWorker.js'
import { createDevProvider } from '../runtime/enclave/devProvider.js'
import { verifyEnvelope } from '../runtime/enclave/verifyEnvelope.js'
import { computeCodeHash } from '../runtime/functions/computeCodeHash.js'
import { createRedisFunctionStore } from '../runtime/functions/createRedisFunctionStore.js'
import type { FunctionStore } from '../runtime/functions/FunctionStore.js'
import { createLogger } from '../runtime/logging/createLogger.js'
import { createRedisConnection } from '../runtime/queue/createRedisConnection.js'
import { createSandboxPool, type SandboxPool } from '../runtime/sandbox/index.js'
import { startWorker, type TeeWorker } from '../runtime/worker/startWorker.js'
import { type StartServerParameters, type StartServerReturnType, startServer } from '../server/startServer.js'
import { uploadAuthorizationMessage } from '../server/uploadMessage.js'
import { runTeefn } from './support/runTeefn.js'

const apiKey = 'socket-suite-operator-key'
const ownerKey = `0x${'5a'.repeat(32)}`
const owner = new Wallet(ownerKey)

let redisServer: RedisServer
let connection: Redis
let dir: string
let pool: SandboxPool
let store: FunctionStore
let worker: TeeWorker
let attestation: WorkerAttestation
let server: StartServerReturnType
const servers: StartServerReturnType[] = []

const serve = async (overrides: Partial<StartServerParameters> = {}) => {
  const started = await startServer({
    port: 0,
    connection,
    store,
    attestation,
    apiKeys: [apiKey],
    probe: pool,
    logger: createLogger({ name: 'server', level: 'silent' }),
    ...overrides,
  })
  servers.push(started)
  return started
}

beforeAll(async () => {
  redisServer = await startRedisServer()
  connection = createRedisConnection({ url: redisServer.url })
  dir = await mkdtemp(join(tmpdir(), 'teefn-http-api-'))
  const provider = await createDevProvider({ keyFile: join(dir, 'worker-key.json') })
  pool = await createSandboxPool({ threads: 1 })
  store = createRedisFunctionStore({ redis: connection })
  worker = startWorker({ connection, pool, provider, store, registries: {} })
  attestation = await attestWorker({ provider, measurement: new Uint8Array(32) })
  server = await serve()
})

afterAll(async () => {
  for (const started of servers) await started.close()
  await worker?.close()
  await pool?.close()
  connection?.disconnect()
  await redisServer?.stop()
  await rm(dir, { recursive: true, force: true })
})

const file = async (name: string, content: string) => {
  const path = join(dir, name)
  await writeFile(path, content, { mode: 0o600 })
  return path
}

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  })

describe('the HTTP API over a real socket, with a real Redis and worker', () => {
  it('uploads with an owner signature, invokes, and shows the job, health and metrics', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    const code = 'export default (request) => request.split("").reverse().join("")'
    const codeHash = computeCodeHash(code)
    const timestamp = Math.floor(Date.now() / 1000)
    const upload = await fetch(`${server.url}/v1/functions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/javascript',
        'x-teefn-owner': owner.address,
        'x-teefn-timestamp': String(timestamp),
        'x-teefn-signature': await owner.signMessage(uploadAuthorizationMessage(codeHash, timestamp)),
      },
      body: code,
    })
    expect(upload.status).toBe(201)
    expect(await upload.json()).toMatchObject({ codeHash, owner: owner.address, created: true })

    const invoked = await post(`${server.url}/v1/functions/${codeHash}/invoke`, { request: 'socket' })
    expect(invoked.status).toBe(200)
    const body = (await invoked.json()) as {
      jobId: string
      requestId: string
      result: string
      envelope: unknown
    }
    expect(body.result).toBe('tekcos')
    const verified = await verifyEnvelope(body.envelope, {
      worker: attestation.publicKeys.evmAddress,
      requestId: body.requestId,
      codeHash,
    })
    expect(Buffer.from(verified.result).toString()).toBe('tekcos')

    const job = await (await fetch(`${server.url}/v1/jobs/${body.jobId}`)).json()
    expect(job).toMatchObject({ state: 'completed', outcome: { result: 'tekcos', envelope: body.envelope } })
    const health = await fetch(`${server.url}/healthz`)
    expect(health.status).toBe(200)
    const metrics = await (await fetch(`${server.url}/metrics`)).text()
    expect(metrics).toMatch(
      /teefn_http_requests_total\{method="POST",route="\/v1\/functions\/:codeHash\/invoke",status_code="200"\} 1/,
    )
    const openapi = (await (await fetch(`${server.url}/openapi.json`)).json()) as {
      paths: Record<string, unknown>
    }
    expect(openapi.paths['/v1/jobs/{id}']).toBeDefined()
  })

  it('answers callers still waiting with their job id when the server shuts down', async () => {
    const closing = await serve()
    const codeHash = (
      await store.putFunction(
        'export default () => { const end = Date.now() + 1000; while (Date.now() < end) {} return "late" }',
      )
    ).codeHash
    const queued = () => connection.keys('teefn:requests:http-*')
    const before = (await queued()).length
    const pending = post(`${closing.url}/v1/functions/${codeHash}/invoke`, { waitMs: 60_000 })
    // Close once the server holds the call (its job is queued).
    for (let i = 0; i < 200 && (await queued()).length === before; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    await closing.close()
    const response = await pending
    expect(response.status).toBe(202)
    const accepted = (await response.json()) as { jobId: string; status: string }
    expect(accepted.status).toBe('pending')
    // The job itself goes on and is answered by the remaining server.
    for (let i = 0; i < 200; i++) {
      const job = (await (await fetch(`${server.url}/v1/jobs/${accepted.jobId}`)).json()) as {
        state: string
        outcome: { result: string }
      }
      if (job.state === 'completed') {
        expect(job.outcome.result).toBe('late')
        return
      }
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    throw new Error('the job did not complete')
  })

  it('answers 503 while Redis is unreachable instead of hanging, and still shuts down', async () => {
    const lonelyRedis = await startRedisServer()
    const lonely = createRedisConnection({ url: lonelyRedis.url, options: { retryStrategy: () => 200 } })
    lonely.on('error', () => {})
    const started = await serve({
      connection: lonely,
      store: createRedisFunctionStore({ redis: lonely }),
      redisTimeoutMs: 300,
    })
    const codeHash = (await store.putFunction('export default () => "stored elsewhere"')).codeHash
    const uploaded = await fetch(`${started.url}/v1/functions`, {
      method: 'POST',
      headers: { 'content-type': 'application/javascript', 'x-api-key': apiKey },
      body: 'export default () => "stored elsewhere"',
    })
    expect(uploaded.status).toBe(201)
    // No worker serves this Redis: queued, not answered.
    expect((await post(`${started.url}/v1/functions/${codeHash}/invoke`, { async: true })).status).toBe(202)
    expect((await fetch(`${started.url}/healthz`)).status).toBe(503)

    await lonelyRedis.stop()
    const response = await fetch(`${started.url}/healthz`)
    expect(response.status).toBe(503)
    const health = (await response.json()) as {
      checks: { redis: { ok: boolean } }
      error: { message: string }
    }
    expect(health.checks.redis.ok).toBe(false)
    expect(health.error.message).toMatch(/^redis: /)
    for (const call of [
      post(`${started.url}/v1/functions/${codeHash}/invoke`, { async: true }),
      fetch(`${started.url}/v1/functions/${codeHash}`),
    ]) {
      const refused = await call
      expect(refused.status).toBe(503)
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('UNAVAILABLE')
    }
    servers.splice(servers.indexOf(started), 1)
    await started.close()
    lonely.disconnect()
  })
})

describe('teefn deploy -> invoke -> verify, with the built CLI', () => {
  let keyFile: string
  let codeHash: string

  beforeAll(async () => {
    keyFile = await file('owner.key', `${ownerKey}\n`)
  })

  it('bundles a source entry, signs the upload with the owner key and prints the codeHash', async () => {
    await file('greeting.ts', "export const greet = (name: string): string => 'hello, ' + name\n")
    const entry = await file(
      'entry.ts',
      [
        "import { greet } from './greeting.ts'",
        'export default async function main(request: string): Promise<string> {',
        "  console.log('greeting', request)",
        '  return greet(request)',
        '}',
        '',
      ].join('\n'),
    )
    const deployed = await runTeefn(['deploy', entry, '--server', server.url, '--key', keyFile, '--json'])
    expect(deployed.status, deployed.stderr).toBe(0)
    const report = JSON.parse(deployed.stdout)
    expect(report).toMatchObject({ created: true, owner: owner.address, bundled: true, server: server.url })
    codeHash = report.codeHash
    expect(codeHash).toMatch(/^0x[0-9a-f]{64}$/)
    expect(deployed.stdout + deployed.stderr).not.toContain(ownerKey.slice(2))

    const stored = await store.getFunction(codeHash as `0x${string}`)
    expect(stored?.owner).toBe(owner.address)
    expect(computeCodeHash(stored!.code)).toBe(codeHash)

    const again = await runTeefn(['deploy', entry, '--server', server.url, '--key', keyFile])
    expect(again.status).toBe(0)
    expect(again.stdout).toContain('already uploaded')
    expect(again.stdout).toContain(`codeHash ${codeHash}`)
    expect(again.stdout).toContain(`owner ${owner.address}`)
  })

  it('invokes it and prints the result only after verifying the envelope against the worker key', async () => {
    const json = await runTeefn(['invoke', codeHash, '--request', 'teefn', '--server', server.url, '--json'])
    expect(json.status, json.stderr).toBe(0)
    const report = JSON.parse(json.stdout)
    expect(report).toMatchObject({
      status: 'OK',
      result: 'hello, teefn',
      verified: true,
      signer: attestation.publicKeys.evmAddress,
      provider: 'dev',
      logs: [{ level: 'log', message: 'greeting teefn' }],
    })
    await verifyEnvelope(report.envelope, { worker: attestation.publicKeys.evmAddress, codeHash })

    const readable = await runTeefn(['invoke', codeHash, '--request', 'you', '--server', server.url])
    expect(readable.status).toBe(0)
    expect(readable.stdout.split('\n')).toEqual(
      expect.arrayContaining([
        '[log] greeting you',
        'hello, you',
        `verified: envelope signed by worker ${attestation.publicKeys.evmAddress} (dev attestation: not a TEE)`,
      ]),
    )

    const otherWorker = new Wallet(`0x${'77'.repeat(32)}`).address
    const wrong = await runTeefn(['invoke', codeHash, '--server', server.url, '--worker', otherWorker])
    expect(wrong.status).toBe(1)
    expect(wrong.stdout).toMatch(/^envelope rejected: WRONG_SIGNER/)
    expect(wrong.stdout).not.toContain('hello')
  })

  it('queues with --async, shows the job, and its envelope verifies with teefn verify', async () => {
    const queued = await runTeefn([
      'invoke',
      codeHash,
      '--request',
      'later',
      '--async',
      '--server',
      server.url,
      '--json',
    ])
    expect(queued.status, queued.stderr).toBe(0)
    const { jobId, status } = JSON.parse(queued.stdout)
    expect(status).toBe('queued')

    let job: { state: string; outcome?: { result: string } } = { state: 'waiting' }
    for (let i = 0; i < 100 && job.state !== 'completed'; i++) {
      const shown = await runTeefn(['jobs', jobId, '--server', server.url, '--json'])
      expect(shown.status).toBe(0)
      job = JSON.parse(shown.stdout)
    }
    expect(job).toMatchObject({ state: 'completed', outcome: { result: 'hello, later' } })

    const readable = await runTeefn(['jobs', jobId, '--server', server.url])
    expect(readable.stdout).toContain(`job ${jobId}`)
    expect(readable.stdout).toContain('state completed, attempts 1')
    expect(readable.stdout).toContain('status OK, result hello, later')

    const envelope = await runTeefn(['jobs', jobId, '--server', server.url, '--envelope'])
    const verified = await runTeefn(
      ['verify', '-', '--worker', attestation.publicKeys.evmAddress, '--code-hash', codeHash, '--json'],
      { input: envelope.stdout },
    )
    expect(verified.status, verified.stdout).toBe(0)
    expect(JSON.parse(verified.stdout)).toMatchObject({ valid: true, status: 'OK', codeHash })
  })

  it('uploads a prebuilt self-contained bundle byte for byte, and reports failing functions with exit 1', async () => {
    const bundle = await file(
      'prebuilt.js',
      'export default function main() {\n  throw new Error("upstream down")\n}\n',
    )
    const deployed = await runTeefn(['deploy', bundle, '--server', server.url, '--api-key', apiKey, '--json'])
    expect(deployed.status, deployed.stderr).toBe(0)
    const report = JSON.parse(deployed.stdout)
    expect(report).toMatchObject({ bundled: false, owner: null })
    expect(report.codeHash).toBe(computeCodeHash(await readFile(bundle)))

    const failed = await runTeefn(['invoke', report.codeHash, '--server', server.url])
    expect(failed.status).toBe(1)
    expect(failed.stdout).toMatch(/^FUNCTION_ERROR: Error: upstream down/m)
    expect(failed.stdout).toContain('verified: envelope signed by worker')
  })

  it('refuses bad usage with exit 2 and server refusals with exit 1, never echoing keys', async () => {
    const entry = await file('plain.js', 'export default () => "plain"\n')
    const garbageKey = await file('garbage.key', 'not-a-key-but-secret-text\n')
    const badKey = await runTeefn(['deploy', entry, '--server', server.url, '--key', garbageKey])
    expect(badKey.status).toBe(2)
    expect(badKey.stderr).toContain(`the owner key file ${garbageKey} does not hold a private key`)
    expect(badKey.stderr).not.toContain('secret-text')

    const noAuth = await runTeefn(['deploy', entry, '--server', server.url])
    expect(noAuth.status).toBe(2)
    expect(noAuth.stderr).toMatch(/needs the owner key \(--key <file>\) or an operator API key/)

    const wrongApiKey = await runTeefn([
      'deploy',
      entry,
      '--server',
      server.url,
      '--api-key',
      'guessed-key-123',
    ])
    expect(wrongApiKey.status).toBe(1)
    expect(wrongApiKey.stderr).toContain('the server answered 401 API_KEY_INVALID')
    expect(wrongApiKey.stderr).not.toContain('guessed-key-123')

    const unknown = await runTeefn(['invoke', computeCodeHash('nothing'), '--server', server.url])
    expect(unknown.status).toBe(1)
    expect(unknown.stderr).toContain('404 FUNCTION_NOT_FOUND')

    const missingJob = await runTeefn([
      'jobs',
      `http-0-0x${'00'.repeat(20)}-0x${'12'.repeat(32)}`,
      '--server',
      server.url,
    ])
    expect(missingJob.status).toBe(1)
    expect(missingJob.stderr).toContain('404 JOB_NOT_FOUND')

    const unreachable = await runTeefn(['invoke', codeHash, '--server', 'http://127.0.0.1:9'])
    expect(unreachable.status).toBe(1)
    expect(unreachable.stderr).toContain('cannot reach the teefn server at http://127.0.0.1:9')

    const notAHash = await runTeefn(['invoke', '0x1234', '--server', server.url])
    expect(notAHash.status).toBe(2)
  })
})
