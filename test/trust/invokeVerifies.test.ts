import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { hexlify, toUtf8Bytes } from 'ethers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Hex } from '../../runtime/bytes.js'
import { createDevProvider } from '../../runtime/enclave/devProvider.js'
import type { Envelope } from '../../runtime/enclave/envelope.js'
import { signEnvelope } from '../../runtime/enclave/signEnvelope.js'
import type { TeeProvider } from '../../runtime/enclave/TeeProvider.js'
import { runTeefn } from '../support/runTeefn.js'
import { type StartHttpServerReturnType, startHttpServer } from '../support/startHttpServer.js'
import { startTeefnStack, type TeefnStack } from '../support/startTeefnStack.js'

// Attack: `teefn invoke` talks to a server the operator runs. If the CLI believed what that server says about
// its worker, the operator could list keys of his own next to the genuine quote, sign any answer with them, and
// the user would read it as the enclave's. The CLI trusts only keys the quote binds (report_data), refuses dev
// attestations unless told --allow-dev, and prints a result only from an envelope those keys signed.
// `teefn verify` likewise calls no envelope trusted without a key the user pinned or an attestation it checked.

let stack: TeefnStack
let operator: TeeProvider
let dir: string
let attestation: { publicKeys: Record<string, string> } & Record<string, unknown>
let codeHash: Hex
const lying: StartHttpServerReturnType[] = []

const echo = 'export default (request) => "echo " + request // invokeVerifies'
const forgedAnswer = 'forged by the operator'

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'teefn-invoke-verifies-'))
  // A key of the operator's own: the dev provider, as anyone can run it.
  operator = await createDevProvider({ keyFile: join(dir, 'operator.key') })
  stack = await startTeefnStack({ server: true })
  attestation = (await (await fetch(`${apiUrl()}/v1/attestation`)).json()) as typeof attestation
  codeHash = (await stack.store.putFunction(echo)).codeHash
})
afterAll(async () => {
  for (const server of lying) await server.close()
  await stack?.close()
  await rm(dir, { recursive: true, force: true })
})

const apiUrl = () => stack.node.serverUrl!
const cli = { timeout: 180_000 }

/** The HTTP jobs of `hash` the node has seen: whether a request left the CLI. */
async function jobsOf(hash: Hex) {
  const jobs = await stack.httpRequests.getJobs(['waiting', 'active', 'delayed', 'completed', 'failed'])
  return jobs.filter((job) => job.data.trigger === 'http' && job.data.codeHash === hash)
}

/** `envelope`'s fields with another result, signed by `signer`: what the holder of another key can make. */
function resign(signer: TeeProvider, envelope: Envelope, result: string): Promise<Envelope> {
  return signEnvelope(signer, {
    family: envelope.family,
    chainId: envelope.chainId,
    destination: envelope.destination,
    requestId: envelope.requestId,
    functionId: envelope.functionId,
    payloadHash: envelope.payloadHash,
    codeHash: envelope.codeHash,
    status: 'OK',
    result: toUtf8Bytes(result),
  })
}

const respondJson = (response: ServerResponse, status: number, body: unknown) => {
  response.writeHead(status, { 'content-type': 'application/json' })
  response.end(JSON.stringify(body))
}
async function bodyOf(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

/**
 * A real HTTP server on 127.0.0.1 that mimics the teefn API: it serves `served` as its attestation and passes
 * invocations on to the stack's real API, then answers with `rewrite` of what came back.
 */
async function startLyingApi(
  served: unknown,
  rewrite: (answer: { envelope: Envelope; result: string }) => Promise<object>,
): Promise<StartHttpServerReturnType> {
  const server = await startHttpServer(async (request, response) => {
    if (request.url === '/v1/attestation') return respondJson(response, 200, served)
    const answered = await fetch(`${apiUrl()}${request.url}`, {
      method: request.method,
      headers: { 'content-type': 'application/json' },
      body: request.method === 'POST' ? await bodyOf(request) : undefined,
    })
    const answer = (await answered.json()) as { envelope: Envelope; result: string }
    respondJson(response, answered.status, answered.ok ? await rewrite(answer) : answer)
  })
  lying.push(server)
  return server
}

/** Answers re-signed by the operator's key, with his result. */
const resignedByOperator = async (answer: { envelope: Envelope; result: string }) => ({
  ...answer,
  result: forgedAnswer,
  envelope: await resign(operator, answer.envelope, forgedAnswer),
})

describe('teefn invoke against the stack API (dev provider)', cli, () => {
  it('refuses the dev attestation without --allow-dev, before the request leaves, and prints the verified result with it', async () => {
    // A bundle of its own (another comment), so its jobs tell whether a request left the CLI.
    const fresh = (await stack.store.putFunction(`${echo} (dev)`)).codeHash
    const [refused, refusedJson] = await Promise.all([
      runTeefn(['invoke', fresh, '--request', 'private input', '--server', apiUrl()]),
      runTeefn(['invoke', fresh, '--request', 'private input', '--server', apiUrl(), '--json']),
    ])
    expect(refused.status).toBe(1)
    expect(refused.stdout).toMatch(
      /^attestation refused: DEV_NOT_ALLOWED: This is a dev attestation, made without a TEE\./,
    )
    expect(refused.stdout).toContain('pass --allow-dev to accept it')
    expect(refused.stdout).not.toContain('echo private input')
    expect(refusedJson.status).toBe(1)
    expect(JSON.parse(refusedJson.stdout)).toMatchObject({
      trusted: false,
      stage: 'attestation',
      reason: 'DEV_NOT_ALLOWED',
    })
    expect(await jobsOf(fresh)).toHaveLength(0)

    const allowed = await runTeefn([
      'invoke',
      fresh,
      '--request',
      'private input',
      '--server',
      apiUrl(),
      '--allow-dev',
    ])
    expect(allowed.status, allowed.stderr).toBe(0)
    const lines = allowed.stdout.split('\n')
    expect(lines[0]).toBe('echo private input')
    expect(lines).toContain(
      `verified: envelope signed by worker ${stack.worker.evmAddress} (dev attestation: not a TEE)`,
    )
    expect(await jobsOf(fresh)).toHaveLength(1)
  })
})

describe('teefn invoke --allow-dev against a lying API', cli, () => {
  it('refuses an attestation whose report data does not bind the keys it lists, and sends nothing', async () => {
    // The genuine quote next to the operator's keys, which sign his answers.
    const server = await startLyingApi(
      { ...attestation, publicKeys: operator.publicKeys },
      resignedByOperator,
    )
    const run = await runTeefn([
      'invoke',
      codeHash,
      '--request',
      'for the enclave',
      '--server',
      server.url,
      '--allow-dev',
    ])
    expect(run.status).toBe(1)
    expect(run.stdout).toMatch(/^attestation refused: REPORT_DATA_MISMATCH/)
    expect(run.stdout).not.toContain(forgedAnswer)
    expect(run.stdout).not.toContain('echo for the enclave')
    expect(server.requests.map(({ method, url }) => `${method} ${url}`)).toEqual(['GET /v1/attestation'])
  })

  it('refuses an envelope signed by other keys than the attested ones, and prints no result', async () => {
    // The genuine attestation, but the answers re-signed by the operator.
    const server = await startLyingApi(attestation, resignedByOperator)
    const [text, json] = await Promise.all([
      runTeefn(['invoke', codeHash, '--request', 'x', '--server', server.url, '--allow-dev']),
      runTeefn(['invoke', codeHash, '--request', 'x', '--server', server.url, '--allow-dev', '--json']),
    ])
    expect(text.status).toBe(1)
    expect(text.stdout).toMatch(/^envelope rejected: WRONG_SIGNER: The envelope was signed by another worker/)
    expect(text.stdout).toContain(operator.publicKeys.evmAddress)
    expect(text.stdout).not.toContain(forgedAnswer)
    expect(text.stdout).not.toContain('echo x')
    expect(json.status).toBe(1)
    expect(JSON.parse(json.stdout)).toMatchObject({ verified: false, reason: 'WRONG_SIGNER' })
    expect(json.stdout).not.toContain(hexlify(toUtf8Bytes(forgedAnswer)).slice(2))
  })

  it("prints the signed result, never the server's own text for it", async () => {
    const server = await startLyingApi(attestation, async (answer) => ({ ...answer, result: forgedAnswer }))
    const run = await runTeefn(['invoke', codeHash, '--request', 'y', '--server', server.url, '--allow-dev'])
    expect(run.status, run.stderr).toBe(0)
    expect(run.stdout.split('\n')[0]).toBe('echo y')
    expect(run.stdout).not.toContain(forgedAnswer)
  })
})

describe('teefn verify <envelope>', cli, () => {
  it('calls an envelope trusted only through a pinned key or a checked attestation', async () => {
    const { functionId } = await stack.register(echo, 'verify an envelope')
    const sent = await stack.request(functionId, hexlify(toUtf8Bytes('ETH/USD')))
    const envelope = await stack.envelopeOf(sent.requestId)
    const file = join(dir, 'envelope.json')
    await writeFile(file, JSON.stringify(envelope))
    const forgedFile = join(dir, 'forged.json')
    await writeFile(forgedFile, JSON.stringify(await resign(operator, envelope, forgedAnswer)))
    const keysLie = await startLyingApi(
      { ...attestation, publicKeys: operator.publicKeys },
      resignedByOperator,
    )

    const [bare, attested, devRefused, forged, lyingKeys] = await Promise.all([
      runTeefn(['verify', file]),
      runTeefn(['verify', file, '--attestation', apiUrl(), '--allow-dev', '--request-id', sent.requestId]),
      runTeefn(['verify', file, '--attestation', apiUrl()]),
      runTeefn(['verify', forgedFile, '--attestation', apiUrl(), '--allow-dev']),
      runTeefn(['verify', forgedFile, '--attestation', keysLie.url, '--allow-dev']),
    ])
    // Intact, but nothing says who signed it: refused.
    expect(bare.status).toBe(1)
    expect(bare.stdout).toMatch(/^untrusted: SIGNER_NOT_TRUSTED: The envelope is intact, but nothing says/)
    expect(bare.stdout).toContain('--attestation')
    // Against the server's attestation, accepted as dev: valid, and says so.
    expect(attested.status, attested.stdout + attested.stderr).toBe(0)
    expect(attested.stdout).toContain(
      `valid: evm envelope signed by ${stack.worker.evmAddress} (dev attestation: not a TEE)`,
    )
    expect(attested.stdout).toContain(`request ${sent.requestId}`)
    expect(devRefused.status).toBe(1)
    expect(devRefused.stdout).toMatch(/^attestation refused: DEV_NOT_ALLOWED/)
    expect(forged.status).toBe(1)
    expect(forged.stdout).toMatch(/^invalid: WRONG_SIGNER/)
    expect(lyingKeys.status).toBe(1)
    expect(lyingKeys.stdout).toMatch(/^attestation refused: REPORT_DATA_MISMATCH/)
  })
})
