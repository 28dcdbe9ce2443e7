import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import type { IncomingMessage } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Worker as BullWorker } from 'bullmq'
import { id, Wallet } from 'ethers'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AnvilInstance } from '../dev/startAnvil.js'
import { type RedisServer, startRedisServer } from '../dev/startRedisServer.js'
import type { Hex } from '../runtime/bytes.js'
import { createEvmChainReader, type EvmChainReader } from '../runtime/chain/evm/createEvmChainReader.js'
import { attestWorker, type WorkerAttestation } from '../runtime/enclave/attestWorker.js'
import { decryptSecrets } from '../runtime/enclave/decryptSecrets.js'
import { createDevProvider } from '../runtime/enclave/devProvider.js'
import type { Envelope } from '../runtime/enclave/envelope.js'
import { scopeId } from '../runtime/enclave/functionScope.js'
import { signEnvelope } from '../runtime/enclave/signEnvelope.js'
import type { TeeProvider } from '../runtime/enclave/TeeProvider.js'
import { verifyEnvelope } from '../runtime/enclave/verifyEnvelope.js'
import { createLogger } from '../runtime/logging/createLogger.js'
import { createRedisConnection } from '../runtime/queue/createRedisConnection.js'
import { requestJobId } from '../runtime/queue/jobIds.js'
import { openRequestQueue, queueKey, queueNameOf } from '../runtime/queue/queues.js'
import { createSandboxPool, type SandboxPool } from '../runtime/sandbox/index.js'
import { computeCodeHash } from '../runtime/store/computeCodeHash.js'
import { createRedisFunctionStore } from '../runtime/store/createRedisFunctionStore.js'
import type { FunctionStore } from '../runtime/store/FunctionStore.js'
import { startWorker, type TeeWorker } from '../runtime/worker/startWorker.js'
import { type StartServerParameters, type StartServerReturnType, startServer } from '../server/startServer.js'
import { jobReadMessage, uploadAuthorizationMessage } from '../server/uploadMessage.js'
import { runTeefn } from './support/runTeefn.js'
import { startHttpServer } from './support/startHttpServer.js'
import { mined, type TeefnContractsFixture } from './support/teefnContracts.js'
import { useTeefnChain } from './support/useTeefnChain.js'

const apiKey = 'socket-suite-operator-key'
const ownerKey = `0x${'5a'.repeat(32)}`
const owner = new Wallet(ownerKey)

let anvil: AnvilInstance
let f: TeefnContractsFixture
let reader: EvmChainReader
let registry: Hex
let redisServer: RedisServer
let connection: Redis
let dir: string
let provider: TeeProvider
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
    chains: { evm: [reader] },
    apiKeys: [apiKey],
    probe: pool,
    logger: createLogger({ name: 'server', level: 'silent' }),
    ...overrides,
  })
  servers.push(started)
  return started
}

useTeefnChain({}, (chain) => {
  ;({ anvil, f } = chain)
})

beforeAll(async () => {
  registry = (await f.registry.getAddress()) as Hex
  // The worker's own kind of reader: the API and the worker read the registry through the same quorum.
  reader = createEvmChainReader({
    chainId: anvil.chainId,
    registry,
    rpcUrls: [anvil.rpcUrl],
    quorum: 1,
    confirmations: 0,
  })
  redisServer = await startRedisServer()
  connection = createRedisConnection({ url: redisServer.url })
  dir = await mkdtemp(join(tmpdir(), 'teefn-http-api-'))
  provider = await createDevProvider({ keyFile: join(dir, 'worker-key.json') })
  pool = await createSandboxPool({ threads: 1 })
  store = createRedisFunctionStore({ redis: connection })
  worker = startWorker({ connection, pool, provider, store, chains: { evm: [reader] } })
  attestation = await attestWorker({ provider, measurement: new TextEncoder().encode('teefn') })
  server = await serve()
})

afterAll(async () => {
  for (const started of servers) await started.close()
  await worker?.close()
  reader?.close()
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
        'x-teefn-signature': await owner.signMessage(
          uploadAuthorizationMessage(codeHash, timestamp, server.url),
        ),
      },
      body: code,
    })
    expect(upload.status).toBe(201)
    expect(await upload.json()).toMatchObject({ codeHash, owner: owner.address, created: true })

    const invoked = await post(`${server.url}/v1/functions/${codeHash}/invoke`, { request: 'socket' })
    expect(invoked.status).toBe(200)
    const body = (await invoked.json()) as {
      jobId: string
      jobToken: string
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

    const job = await (
      await fetch(`${server.url}/v1/jobs/${body.jobId}`, { headers: { 'x-teefn-job-token': body.jobToken } })
    ).json()
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
    const queued = () => connection.keys(queueKey('http-requests', 'http-*'))
    const before = (await queued()).length
    const pending = post(`${closing.url}/v1/functions/${codeHash}/invoke`, { waitMs: 60_000 })
    // Close once the server holds the call (its job is queued).
    for (let i = 0; i < 200 && (await queued()).length === before; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    await closing.close()
    const response = await pending
    expect(response.status).toBe(202)
    const accepted = (await response.json()) as { jobId: string; jobToken: string; status: string }
    expect(accepted.status).toBe('pending')
    // The job itself goes on and is answered by the remaining server.
    for (let i = 0; i < 200; i++) {
      const job = (await (
        await fetch(`${server.url}/v1/jobs/${accepted.jobId}`, {
          headers: { 'x-teefn-job-token': accepted.jobToken },
        })
      ).json()) as {
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

/** Each CLI run is a fresh Node process; on a shared two-core machine a test of several of them takes a while. */
const cliTimeout = { timeout: 180_000 }

describe('teefn deploy -> invoke -> verify, with the built CLI', cliTimeout, () => {
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
    const json = await runTeefn([
      'invoke',
      codeHash,
      '--request',
      'teefn',
      '--server',
      server.url,
      '--allow-dev',
      '--json',
    ])
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

    const readable = await runTeefn([
      'invoke',
      codeHash,
      '--request',
      'you',
      '--server',
      server.url,
      '--allow-dev',
    ])
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

  it('refuses the dev attestation without --allow-dev, before the request leaves, naming the flag', async () => {
    const queued = () => connection.keys(queueKey('http-requests', 'http-*'))
    const before = (await queued()).length
    const [text, json] = await Promise.all([
      runTeefn(['invoke', codeHash, '--request', 'private input', '--server', server.url]),
      runTeefn(['invoke', codeHash, '--server', server.url, '--json']),
    ])
    expect(text.status, text.stderr).toBe(1)
    expect(text.stdout).toMatch(
      /^attestation refused: DEV_NOT_ALLOWED: This is a dev attestation, made without a TEE\./,
    )
    expect(text.stdout).toContain('pass --allow-dev to accept it')
    expect(text.stdout).not.toContain('hello')
    expect(json.status).toBe(1)
    expect(JSON.parse(json.stdout)).toMatchObject({
      trusted: false,
      stage: 'attestation',
      reason: 'DEV_NOT_ALLOWED',
    })
    // Nothing was sent to the worker it does not trust.
    expect((await queued()).length).toBe(before)
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
      '--allow-dev',
      '--json',
    ])
    expect(queued.status, queued.stderr).toBe(0)
    const { jobId, jobToken, status } = JSON.parse(queued.stdout)
    expect(status).toBe('queued')
    expect(jobToken).toMatch(/^[A-Za-z0-9_-]{43}$/)

    let job: { state: string; outcome?: { result: string } } = { state: 'waiting' }
    for (let i = 0; i < 100 && job.state !== 'completed'; i++) {
      const shown = await runTeefn(['jobs', jobId, '--server', server.url, '--token', jobToken, '--json'])
      expect(shown.status).toBe(0)
      job = JSON.parse(shown.stdout)
    }
    expect(job).toMatchObject({ state: 'completed', access: 'full', outcome: { result: 'hello, later' } })

    // Without the token: its state only, never its result.
    const anonymous = await runTeefn(['jobs', jobId, '--server', server.url, '--json'])
    expect(JSON.parse(anonymous.stdout)).toMatchObject({ state: 'completed', access: 'public' })
    expect(anonymous.stdout).not.toContain('hello, later')

    const readable = await runTeefn(['jobs', jobId, '--server', server.url, '--token', jobToken])
    expect(readable.stdout).toContain(`job ${jobId}`)
    expect(readable.stdout).toContain('state completed, attempts 1')
    expect(readable.stdout).toContain('status OK, result hello, later')

    const envelope = await runTeefn([
      'jobs',
      jobId,
      '--server',
      server.url,
      '--token',
      jobToken,
      '--envelope',
    ])
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

    const failed = await runTeefn(['invoke', report.codeHash, '--server', server.url, '--allow-dev'])
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

    const unknown = await runTeefn([
      'invoke',
      computeCodeHash('nothing'),
      '--server',
      server.url,
      '--allow-dev',
    ])
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

/** The body of a request to a test server, as JSON. */
async function jsonBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  return JSON.parse(Buffer.concat(chunks).toString('utf8'))
}

const respondJson = (response: import('node:http').ServerResponse, status: number, body: unknown) => {
  response.writeHead(status, { 'content-type': 'application/json' })
  response.end(JSON.stringify(body))
}

describe('HTTP invocations that name a registry function (functionId, chainId)', () => {
  it('run as the function only on a served chain whose registry names this code, with the scope in the job', async () => {
    const code = 'export default (request, secrets, context) => "as " + context.functionId'
    const codeHash = (await store.putFunction(code)).codeHash
    const otherHash = (await store.putFunction('export default () => "other code"')).codeHash
    const functionId = id('teefn http-api: scoped invocation') as Hex
    await mined(f.registry.connect(f.functionOwner).registerFunction(functionId, codeHash))
    const scope = {
      family: 'evm',
      chainId: String(anvil.chainId),
      registry: registry.toLowerCase(),
      functionId,
    }

    for (const chainId of [anvil.chainId, String(anvil.chainId), undefined]) {
      const response = await post(`${server.url}/v1/functions/${codeHash}/invoke`, {
        functionId,
        ...(chainId === undefined ? {} : { chainId }),
      })
      expect(response.status, String(chainId)).toBe(200)
      const body = (await response.json()) as { jobId: string; result: string; envelope: Envelope }
      expect(body.result).toBe(`as ${functionId}`)
      expect(body.envelope.functionId).toBe(functionId)
      const data = JSON.parse((await connection.hget(queueKey('http-requests', body.jobId), 'data'))!)
      expect(data).toMatchObject({ trigger: 'http', functionId, scope })
    }

    const refusals: [object, number, string, string][] = [
      [{ functionId, chainId: 1 }, 400, 'CHAIN_NOT_SERVED', 'does not read EVM chain 1'],
      [{ functionId, chainId: '31338' }, 400, 'CHAIN_NOT_SERVED', 'does not read EVM chain 31338'],
      [{ functionId: id('not registered') }, 403, 'CODE_HASH_NOT_REGISTERED', 'the registry names no code'],
    ]
    for (const [payload, status, code, message] of refusals) {
      const response = await post(`${server.url}/v1/functions/${codeHash}/invoke`, payload)
      expect(response.status).toBe(status)
      expect(((await response.json()) as { error: object }).error).toMatchObject({
        code,
        message: expect.stringContaining(message),
      })
    }
    const otherCode = await post(`${server.url}/v1/functions/${otherHash}/invoke`, { functionId })
    expect(otherCode.status).toBe(403)
    expect(((await otherCode.json()) as { error: { message: string } }).error.message).toContain(
      `the registry names ${codeHash}`,
    )
  })
})

describe(
  'teefn secrets put and settings put: an HTTP invocation sees the secrets only when the owner opts in',
  cliTimeout,
  () => {
    const secretValue = 'sk-live-e2e-4d2a9b71'
    let ownerKeyFile: string
    let strangerKeyFile: string
    let codeHash: Hex
    let scopeArgs: string[]
    let scope: { family: 'evm'; chainId: string; registry: Hex; functionId: Hex }

    beforeAll(async () => {
      ownerKeyFile = await file('function-owner.key', `${f.functionOwner.privateKey}\n`)
      strangerKeyFile = await file('stranger.key', f.stranger.privateKey)
      codeHash = (
        await store.putFunction(
          'export default (request, secrets) => secrets.API_KEY === undefined ? "no secrets" : "key " + secrets.API_KEY',
        )
      ).codeHash
      // The fixture's price function now runs this code; its owner is f.functionOwner.
      await mined(f.registry.connect(f.functionOwner).upgradeFunction(f.functionId, codeHash))
      scope = {
        family: 'evm',
        chainId: String(anvil.chainId),
        registry: registry.toLowerCase() as Hex,
        functionId: f.functionId.toLowerCase() as Hex,
      }
      scopeArgs = ['--chain-id', scope.chainId, '--registry', registry, '--function-id', f.functionId]
    })

    const invokeAsFunction = async () => {
      const run = await runTeefn([
        'invoke',
        codeHash,
        '--function-id',
        f.functionId,
        '--chain-id',
        scope.chainId,
        '--server',
        server.url,
        '--allow-dev',
        '--json',
      ])
      expect(run.status, run.stdout + run.stderr).toBe(0)
      const report = JSON.parse(run.stdout)
      expect(report).toMatchObject({ verified: true, signer: attestation.publicKeys.evmAddress })
      expect(report.envelope.functionId).toBe(scope.functionId)
      return report.result as string
    }

    it('stores secrets encrypted to the attested key and signed by the owner; refuses strangers and unattested workers', async () => {
      const secrets = JSON.stringify({ API_KEY: secretValue })
      const put = (...more: string[]) =>
        runTeefn(['secrets', 'put', '--server', server.url, ...scopeArgs, '--secrets', secrets, ...more])

      const unattested = await put('--key', ownerKeyFile, '--version', '10')
      expect(unattested.status).toBe(1)
      expect(unattested.stdout).toMatch(/^attestation refused: DEV_NOT_ALLOWED/)
      const byStranger = await put('--key', strangerKeyFile, '--version', '10', '--allow-dev')
      expect(byStranger.status).toBe(1)
      expect(byStranger.stderr).toContain('the server answered 403 NOT_FUNCTION_OWNER')
      expect(byStranger.stderr).toContain(f.functionOwner.address)
      expect(await store.getSecrets(scope)).toBeUndefined()

      const stored = await put('--key', ownerKeyFile, '--version', '10', '--allow-dev', '--json')
      expect(stored.status, stored.stderr).toBe(0)
      const report = JSON.parse(stored.stdout)
      expect(report).toMatchObject({
        stored: true,
        scopeId: scopeId(scope),
        version: 10,
        deleted: false,
        signer: f.functionOwner.address.toLowerCase(),
        encryptedTo: attestation.publicKeys.encryption,
        attestation: { kind: 'dev', measurementPinned: false },
      })
      const record = await store.getSecrets(scope)
      expect(record?.version).toBe(10)
      expect(await decryptSecrets({ provider, ciphertext: record!.ciphertext, scope })).toEqual({
        API_KEY: secretValue,
      })
      for (const run of [unattested, byStranger, stored]) {
        expect(run.stdout + run.stderr).not.toContain(secretValue)
        expect(run.stdout + run.stderr).not.toContain(f.functionOwner.privateKey.slice(2))
        expect(run.stdout + run.stderr).not.toContain(f.stranger.privateKey.slice(2))
      }

      // From a file and an environment variable, in text: the scopeId and the version.
      const secretsFile = await file('secrets.json', secrets)
      // runTeefn's child inherits this process's environment.
      process.env.TEEFN_TEST_OWNER_KEY = f.functionOwner.privateKey
      const fromFile = await runTeefn([
        'secrets',
        'put',
        '--server',
        server.url,
        ...scopeArgs,
        '--secrets',
        `@${secretsFile}`,
        '--private-key-env',
        'TEEFN_TEST_OWNER_KEY',
        '--version',
        '11',
        '--allow-dev',
        '--measurement',
        'teefn',
      ])
      delete process.env.TEEFN_TEST_OWNER_KEY
      expect(fromFile.status, fromFile.stderr).toBe(0)
      expect(fromFile.stdout).toContain(`scopeId ${scopeId(scope)}`)
      expect(fromFile.stdout).toContain(
        `version 11, signed by owner ${f.functionOwner.address.toLowerCase()}`,
      )
      expect(fromFile.stdout).toContain('(dev attestation: not a TEE)')
      const replay = await put('--key', ownerKeyFile, '--version', '10', '--allow-dev')
      expect(replay.status).toBe(1)
      expect(replay.stderr).toContain('409 VERSION_NOT_NEWER')
      expect((await store.getSecrets(scope))?.version).toBe(11)
    })

    it('runs without them until settings put --http-secrets true, and without them again after false or a deletion', async () => {
      const settings = (httpSecrets: string, version: string) =>
        runTeefn([
          'settings',
          'put',
          '--http-secrets',
          httpSecrets,
          '--server',
          server.url,
          ...scopeArgs,
          '--key',
          ownerKeyFile,
          '--version',
          version,
        ])
      expect(await invokeAsFunction()).toBe('no secrets')

      const on = await settings('true', '1')
      expect(on.status, on.stderr).toBe(0)
      expect(on.stdout).toContain('stored: settings of function')
      expect(on.stdout).toContain('httpSecrets true')
      expect(await invokeAsFunction()).toBe(`key ${secretValue}`)

      expect((await settings('false', '2')).status).toBe(0)
      expect(await invokeAsFunction()).toBe('no secrets')

      expect((await settings('true', '3')).status).toBe(0)
      const deleted = await runTeefn([
        'secrets',
        'delete',
        '--server',
        server.url,
        ...scopeArgs,
        '--key',
        ownerKeyFile,
        '--version',
        '12',
        '--json',
      ])
      expect(deleted.status, deleted.stderr).toBe(0)
      expect(JSON.parse(deleted.stdout)).toMatchObject({
        deleted: true,
        version: 12,
        scopeId: scopeId(scope),
      })
      expect(await invokeAsFunction()).toBe('no secrets')
    })

    it('refuses bad usage with exit 2 and a one-line reason', async () => {
      const runs = await Promise.all([
        runTeefn(['secrets', 'put', '--server', server.url, ...scopeArgs, '--secrets', '{}']),
        runTeefn([
          'secrets',
          'put',
          ...scopeArgs,
          '--secrets',
          '{}',
          '--key',
          ownerKeyFile,
          '--version',
          '1.5',
        ]),
        runTeefn([
          'secrets',
          'put',
          ...scopeArgs,
          '--secrets',
          '{"A": 1}',
          '--key',
          ownerKeyFile,
          '--allow-dev',
        ]),
        runTeefn(['settings', 'put', ...scopeArgs, '--http-secrets', 'yes', '--key', ownerKeyFile]),
        runTeefn(['secrets', 'delete', ...scopeArgs, '--key', ownerKeyFile, '--private-key-env', 'X']),
        runTeefn([
          'secrets',
          'put',
          ...scopeArgs,
          '--secrets',
          '{}',
          '--key',
          ownerKeyFile,
          '--tcb-status',
          'Fine',
        ]),
        runTeefn(['invoke', codeHash, '--chain-id', '31337']),
      ])
      const reasons = [
        "the owner's key is needed: --key <file> or --private-key-env <NAME>",
        '--version must be a positive whole number',
        '"A" is number',
        '--http-secrets must be true or false',
        'pass --key or --private-key-env, not both',
        '--tcb-status Fine is not a TCB status',
        '--chain-id needs --function-id',
      ]
      runs.forEach((run, index) => {
        expect({ index, status: run.status }).toEqual({ index, status: 2 })
        expect(run.stderr).toContain(reasons[index])
        expect(run.stderr.trim().split('\n')).toHaveLength(1)
      })
    })
  },
)

describe('finding 8: job reads show anonymous callers no results, logs or failures', cliTimeout, () => {
  type Shown = {
    access: string
    state: string
    envelope?: Envelope
    outcome?: { result: string; logs: { message: string }[] }
    failedReason?: string
  }
  const jobUrl = (base: string, jobId: string) => `${base}/v1/jobs/${jobId}`
  const read = async (base: string, jobId: string, headers: Record<string, string> = {}) => {
    const response = await fetch(jobUrl(base, jobId), { headers })
    return {
      status: response.status,
      text: await response.clone().text(),
      body: (await response.json()) as Shown,
    }
  }
  const ownerSigned = async (signer: Wallet, jobId: string, origin: string) => {
    const timestamp = Math.floor(Date.now() / 1000)
    return {
      'x-teefn-owner': signer.address,
      'x-teefn-timestamp': String(timestamp),
      'x-teefn-signature': await signer.signMessage(jobReadMessage(jobId, timestamp, origin)),
    }
  }

  it('shows an HTTP job in full only to the caller holding its job token (or the operator)', async () => {
    const codeHash = (
      await store.putFunction(
        'export default (request) => { console.log("private log"); return "private " + request }',
      )
    ).codeHash
    const invoked = (await (
      await post(`${server.url}/v1/functions/${codeHash}/invoke`, { request: 'answer' })
    ).json()) as {
      jobId: string
      jobToken: string
    }
    const anonymous = await read(server.url, invoked.jobId)
    expect(anonymous.status).toBe(200)
    expect(anonymous.body).toMatchObject({ state: 'completed', access: 'public' })
    expect(anonymous.body.outcome).toBeUndefined()
    expect(anonymous.body.envelope).toBeUndefined()
    expect(anonymous.text).not.toContain('private')

    const byToken = await read(server.url, invoked.jobId, { 'x-teefn-job-token': invoked.jobToken })
    expect(byToken.body).toMatchObject({ access: 'full', outcome: { result: 'private answer' } })
    expect(byToken.body.outcome!.logs).toEqual([{ level: 'log', message: 'private log' }])
    const byOperator = await read(server.url, invoked.jobId, { 'x-api-key': apiKey })
    expect(byOperator.body.access).toBe('full')
    const wrongToken = await read(server.url, invoked.jobId, { 'x-teefn-job-token': 'guessed' })
    expect(wrongToken.status).toBe(403)
    expect(wrongToken.text).toContain('JOB_TOKEN_INVALID')
  })

  it("shows a chain job's envelope to anyone, and its logs and (redacted) failure only to the function's owner", async () => {
    // A Redis of its own, where this test's BullMQ worker plays the node's: one chain job completes with logs,
    // one fails on an internal RPC host (ids are derivable from RequestSent, so anyone can ask for them).
    const isolated = await startRedisServer()
    const redis = createRedisConnection({ url: isolated.url })
    const consumer = (await f.oracle.getAddress()).toLowerCase() as Hex
    const jobFor = (byte: string) => ({
      trigger: 'evm' as const,
      chainId: String(anvil.chainId),
      destination: consumer,
      requestId: `0x${byte.repeat(32)}` as Hex,
      functionId: f.functionId as Hex,
      request: '0x',
      seenAt: Date.now(),
    })
    const [done, broken] = [jobFor('d1'), jobFor('e2')]
    const envelope = await signEnvelope(provider, {
      family: 'evm',
      chainId: anvil.chainId,
      destination: consumer,
      requestId: done.requestId,
      functionId: done.functionId,
      payloadHash: `0x${'00'.repeat(32)}`,
      codeHash: `0x${'ab'.repeat(32)}`,
      status: 'OK',
      result: new TextEncoder().encode('public answer'),
    })
    const nodeWorker = new BullWorker(
      queueNameOf('requests'),
      async (job) => {
        if (job.data.requestId === broken.requestId) {
          throw new Error(
            'request to http://rpc.internal.corp:8545/key failed, reason: connect ECONNREFUSED 10.0.0.7:8545',
          )
        }
        return {
          status: 'OK',
          envelope,
          logs: [{ level: 'log', message: 'owner-only log' }],
          stats: { durationMs: 1, fetches: 0 },
          delivered: true,
        }
      },
      { connection: redis.duplicate({ maxRetriesPerRequest: null }), prefix: 'teefn' },
    )
    const queue = openRequestQueue(redis)
    const ids = [requestJobId(done), requestJobId(broken)]
    try {
      await queue.add('request', done, { jobId: ids[0], attempts: 1 })
      await queue.add('request', broken, { jobId: ids[1], attempts: 1 })
      const chainServer = await serve({ connection: redis, store: createRedisFunctionStore({ redis }) })
      for (
        let i = 0;
        i < 200 &&
        (await redis.zcard(queueKey('requests', 'failed'))) +
          (await redis.zcard(queueKey('requests', 'completed'))) <
          2;
        i++
      ) {
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      const [doneId, brokenId] = ids as [string, string]

      const publicDone = await read(chainServer.url, doneId)
      expect(publicDone.body).toMatchObject({ state: 'completed', access: 'public', envelope })
      expect(publicDone.body.outcome).toBeUndefined()
      expect(publicDone.text).not.toContain('owner-only log')
      const publicBroken = await read(chainServer.url, brokenId)
      expect(publicBroken.body).toMatchObject({ state: 'failed', access: 'public' })
      expect(publicBroken.body.failedReason).toBeUndefined()
      expect(publicBroken.text).not.toMatch(/rpc\.internal|10\.0\.0\.7/)

      const asOwner = await read(
        chainServer.url,
        brokenId,
        await ownerSigned(f.functionOwner, brokenId, chainServer.url),
      )
      expect(asOwner.status).toBe(200)
      expect(asOwner.body.access).toBe('full')
      expect(asOwner.body.failedReason).toBe('request to [host] failed, reason: connect ECONNREFUSED [host]')
      const ownerDone = await read(
        chainServer.url,
        doneId,
        await ownerSigned(f.functionOwner, doneId, chainServer.url),
      )
      expect(ownerDone.body.outcome?.logs).toEqual([{ level: 'log', message: 'owner-only log' }])

      const asStranger = await read(
        chainServer.url,
        brokenId,
        await ownerSigned(f.stranger, brokenId, chainServer.url),
      )
      expect(asStranger.status).toBe(403)
      expect(asStranger.text).toContain('NOT_FUNCTION_OWNER')
      const forAnotherNode = await read(
        chainServer.url,
        brokenId,
        await ownerSigned(f.functionOwner, brokenId, 'https://other-node.example'),
      )
      expect(forAnotherNode.status).toBe(401)
      expect(forAnotherNode.text).toContain('SIGNATURE_INVALID')

      // The CLI signs the read with the owner key.
      const keyFile = await file('job-owner.key', `${f.functionOwner.privateKey}\n`)
      const shown = await runTeefn([
        'jobs',
        brokenId,
        '--server',
        chainServer.url,
        '--key',
        keyFile,
        '--json',
      ])
      expect(shown.status, shown.stderr).toBe(0)
      expect(JSON.parse(shown.stdout)).toMatchObject({
        access: 'full',
        failedReason: expect.stringContaining('[host]'),
      })
    } finally {
      await nodeWorker.close()
      await queue.close()
      redis.disconnect()
      await isolated.stop()
    }
  })
})

describe('the CLI against a lying server (a real HTTP server on 127.0.0.1)', cliTimeout, () => {
  let other: TeeProvider

  beforeAll(async () => {
    other = await createDevProvider({ keyFile: join(dir, 'other-worker.json') })
  })

  it('refuses an attestation whose report_data does not bind the keys it lists, before sending anything', async () => {
    // The genuine quote, next to keys of the operator's choosing.
    const lying = await startHttpServer((request, response) => {
      if (request.url === '/v1/attestation') {
        respondJson(response, 200, { ...attestation, provider: 'dev', publicKeys: other.publicKeys })
        return
      }
      respondJson(response, 500, { error: { code: 'INTERNAL_ERROR', message: 'should not be asked' } })
    })
    try {
      const codeHash = computeCodeHash('export default () => "never run"')
      const [invoked, put, verified] = await Promise.all([
        runTeefn(['invoke', codeHash, '--server', lying.url, '--allow-dev', '--json']),
        runTeefn([
          'secrets',
          'put',
          '--server',
          lying.url,
          '--chain-id',
          '31337',
          '--registry',
          registry,
          '--function-id',
          f.functionId,
          '--secrets',
          '{"API_KEY":"never sent"}',
          '--key',
          await file('lying-owner.key', f.functionOwner.privateKey),
          '--allow-dev',
        ]),
        runTeefn(['verify', '-', '--attestation', lying.url, '--allow-dev', '--json'], {
          input: JSON.stringify(await signedBy(other)),
        }),
      ])
      expect(invoked.status).toBe(1)
      expect(JSON.parse(invoked.stdout)).toMatchObject({ trusted: false, reason: 'REPORT_DATA_MISMATCH' })
      expect(put.status).toBe(1)
      expect(put.stdout).toMatch(/^attestation refused: REPORT_DATA_MISMATCH/)
      expect(verified.status).toBe(1)
      expect(JSON.parse(verified.stdout)).toMatchObject({ trusted: false, reason: 'REPORT_DATA_MISMATCH' })
      // Only the attestation was asked for: no request, no secrets left the CLI.
      expect(lying.requests.map(({ method, url }) => `${method} ${url}`)).toEqual([
        'GET /v1/attestation',
        'GET /v1/attestation',
        'GET /v1/attestation',
      ])
    } finally {
      await lying.close()
    }
  })

  it('refuses an envelope signed by another key than the attested one', async () => {
    const codeHash = (await store.putFunction('export default (request) => "honest " + request')).codeHash
    // An honest attestation, but the answer is re-signed with a key of the operator's.
    const lying = await startHttpServer(async (request, response) => {
      if (request.url === '/v1/attestation') {
        respondJson(response, 200, await (await fetch(`${server.url}/v1/attestation`)).json())
        return
      }
      const answered = await post(`${server.url}${request.url}`, await jsonBody(request))
      const body = (await answered.json()) as { envelope: Envelope; result: string }
      const forged = await resign(other, body.envelope, 'forged answer')
      respondJson(response, answered.status, { ...body, result: 'forged answer', envelope: forged })
    })
    try {
      const run = await runTeefn(['invoke', codeHash, '--request', 'x', '--server', lying.url, '--allow-dev'])
      expect(run.status).toBe(1)
      expect(run.stdout).toMatch(
        /^envelope rejected: WRONG_SIGNER: The envelope was signed by another worker/,
      )
      expect(run.stdout).toContain(other.publicKeys.evmAddress)
      expect(run.stdout).not.toContain('forged answer')
      // The same envelope, saved, is refused by teefn verify against the attestation.
      const job = await runTeefn([
        'invoke',
        codeHash,
        '--request',
        'x',
        '--server',
        lying.url,
        '--worker',
        other.publicKeys.evmAddress,
        '--json',
      ])
      const envelope = JSON.parse(job.stdout).envelope
      const verified = await runTeefn(['verify', '-', '--attestation', server.url, '--allow-dev', '--json'], {
        input: JSON.stringify(envelope),
      })
      expect(verified.status).toBe(1)
      expect(JSON.parse(verified.stdout)).toMatchObject({ valid: false, reason: 'WRONG_SIGNER' })
    } finally {
      await lying.close()
    }
  })
})

/** An HTTP envelope signed by `signer`. */
function signedBy(signer: TeeProvider): Promise<Envelope> {
  return signEnvelope(signer, {
    family: 'evm',
    chainId: 0,
    destination: `0x${'00'.repeat(20)}`,
    requestId: `0x${'ab'.repeat(32)}`,
    functionId: `0x${'00'.repeat(32)}`,
    payloadHash: `0x${'cd'.repeat(32)}`,
    codeHash: `0x${'ef'.repeat(32)}`,
    status: 'OK',
    result: new TextEncoder().encode('signed by someone'),
  })
}

/** `envelope`'s fields with another result, signed by `signer`: what an operator holding another key could do. */
function resign(signer: TeeProvider, envelope: Envelope, result: string): Promise<Envelope> {
  return signEnvelope(signer, {
    family: 'evm',
    chainId: 0,
    destination: envelope.destination,
    requestId: envelope.requestId,
    functionId: envelope.functionId,
    payloadHash: envelope.payloadHash,
    codeHash: envelope.codeHash,
    status: 'OK',
    result: new TextEncoder().encode(result),
  })
}
