import { spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Quote } from '@phala/dcap-qvl'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bytesToHex, type Hex, utf8 } from '../runtime/bytes.js'
import { attestWorker } from '../runtime/enclave/attestWorker.js'
import { decryptSecrets } from '../runtime/enclave/decryptSecrets.js'
import { createDevProvider } from '../runtime/enclave/devProvider.js'
import { type Envelope, errorResultBytes, payloadHashOf } from '../runtime/enclave/envelope.js'
import { type FunctionScope, scopeId } from '../runtime/enclave/functionScope.js'
import { signEnvelope } from '../runtime/enclave/signEnvelope.js'
import type { TeeProvider } from '../runtime/enclave/TeeProvider.js'
import { dcapFixturesDir, loadDcapFixtures } from './support/dcapFixtures.js'
import { startHttpServer } from './support/startHttpServer.js'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')

type RunResult = { code: number | null; stdout: string; stderr: string }

/** Runs the built binary, as users do (`npm run build` happens in the global setup). */
function teefn(args: string[], input?: string): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [join(root, 'bin/teefn.js'), ...args], {
      cwd: root,
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
    })
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    child.on('error', reject)
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }))
    child.stdin.end(input ?? '')
  })
}

/** `--json` prints exactly one JSON object. */
function json(result: RunResult): Record<string, unknown> {
  const value = JSON.parse(result.stdout)
  expect(typeof value === 'object' && value !== null && !Array.isArray(value)).toBe(true)
  return value
}

const consumer = '0x5FbDB2315678afecb367f032d93F642f64180aa3' as Hex
const functionId = `0x${'f1'.repeat(32)}` as Hex
const requestId = `0x${'e1'.repeat(32)}` as Hex
const payloadHash = payloadHashOf(utf8('{"city":"Lisbon"}'))

let dir: string
let worker: TeeProvider
let otherWorker: TeeProvider
let evmEnvelope: Envelope
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'teefn-cli-enclave-'))
  ;[worker, otherWorker] = await Promise.all([
    createDevProvider({ keyFile: join(dir, 'worker.json') }),
    createDevProvider({ keyFile: join(dir, 'other.json') }),
  ])
  evmEnvelope = await signEnvelope(worker, {
    family: 'evm',
    chainId: 31337,
    destination: consumer,
    requestId,
    functionId,
    payloadHash,
    codeHash: `0x${'c0'.repeat(32)}`,
    status: 'OK',
    result: utf8('{"temperature":21.5}'),
  })
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function envelopeFile(name: string, envelope: unknown): Promise<string> {
  const file = join(dir, name)
  await writeFile(file, JSON.stringify(envelope, null, 2))
  return file
}

/** Each CLI run is a fresh Node process; on a shared two-core machine a test of several of them takes a while. */
describe('teefn verify', { timeout: 120_000 }, () => {
  it('exits 0 and prints the signer of a valid envelope', async () => {
    const file = await envelopeFile('ok.json', evmEnvelope)
    const [text, asJson, pinned, fromStdin] = await Promise.all([
      teefn(['verify', file, '--worker', worker.publicKeys.evmAddress]),
      teefn(['verify', file, '--json', '--worker', worker.publicKeys.evmAddress, '--chain-id', '31337']),
      teefn([
        'verify',
        file,
        '--worker',
        worker.publicKeys.secp256k1,
        '--destination',
        consumer,
        '--request-id',
        requestId,
        '--payload-hash',
        payloadHash,
      ]),
      teefn(['verify', '-', '--json', '--worker', worker.publicKeys.evmAddress], JSON.stringify(evmEnvelope)),
    ])
    expect(text.code).toBe(0)
    expect(text.stdout).toContain(
      `valid: evm envelope signed by ${worker.publicKeys.evmAddress} (the key --worker pins)`,
    )
    expect(text.stdout).toContain(`payload hash ${payloadHash}`)
    expect(asJson.code).toBe(0)
    expect(json(asJson)).toMatchObject({
      valid: true,
      version: 2,
      signer: worker.publicKeys.evmAddress,
      chainId: '31337',
      payloadHash,
      status: 'OK',
      resultBytes: 20,
    })
    expect(pinned.code).toBe(0)
    expect(fromStdin.code).toBe(0)
    expect(json(fromStdin).signer).toBe(worker.publicKeys.evmAddress)
  })

  it('verifies failure envelopes and substrate envelopes', async () => {
    const failed = await signEnvelope(worker, {
      family: 'evm',
      chainId: 0,
      destination: '0x0000000000000000000000000000000000000000',
      requestId,
      functionId,
      payloadHash: payloadHashOf(utf8('')),
      codeHash: `0x${'c0'.repeat(32)}`,
      status: 'FUNCTION_ERROR',
      result: errorResultBytes('Error: upstream returned 503'),
    })
    const substrate = await signEnvelope(worker, {
      family: 'substrate',
      chainId: `0x${'7a'.repeat(32)}`,
      destination: `0x${'44'.repeat(32)}`,
      requestId,
      functionId,
      payloadHash,
      codeHash: `0x${'c0'.repeat(32)}`,
      status: 'OK',
      result: utf8('42'),
    })
    const [failedRun, substrateRun, substrateWrongWorker] = await Promise.all([
      teefn([
        'verify',
        await envelopeFile('failed.json', failed),
        '--json',
        '--worker',
        worker.publicKeys.evmAddress,
      ]),
      teefn([
        'verify',
        await envelopeFile('substrate.json', substrate),
        '--json',
        '--worker',
        worker.publicKeys.sr25519,
      ]),
      teefn([
        'verify',
        await envelopeFile('substrate2.json', substrate),
        '--json',
        '--worker',
        otherWorker.publicKeys.sr25519,
      ]),
    ])
    expect(failedRun.code).toBe(0)
    expect(json(failedRun)).toMatchObject({ valid: true, status: 'FUNCTION_ERROR', chainId: '0' })
    expect(substrateRun.code).toBe(0)
    expect(json(substrateRun)).toMatchObject({
      valid: true,
      family: 'substrate',
      signer: worker.publicKeys.sr25519,
    })
    expect(substrateWrongWorker.code).toBe(1)
    expect(json(substrateWrongWorker)).toMatchObject({ valid: false, reason: 'WRONG_SIGNER' })
  })

  it('refuses to call an intact envelope trusted without --worker or --attestation, naming both', async () => {
    const file = await envelopeFile('unpinned.json', evmEnvelope)
    const [text, asJson] = await Promise.all([teefn(['verify', file]), teefn(['verify', file, '--json'])])
    expect(text.code).toBe(1)
    expect(text.stdout).toMatch(
      /^untrusted: SIGNER_NOT_TRUSTED: The envelope is intact, but nothing says its signer/,
    )
    expect(text.stdout).toContain(`signed by ${worker.publicKeys.evmAddress}`)
    expect(text.stdout).toContain('--worker <key you verified> or --attestation <file|server url>')
    expect(text.stdout).not.toMatch(/^valid/m)
    expect(asJson.code).toBe(1)
    expect(json(asJson)).toMatchObject({
      valid: false,
      reason: 'SIGNER_NOT_TRUSTED',
      signer: worker.publicKeys.evmAddress,
    })
  })

  it('trusts the key an attestation binds (a file or a server), only under the trust flags', async () => {
    const measurement = new TextEncoder().encode('teefn')
    const [attested, otherAttested] = await Promise.all([
      attestWorker({ provider: worker, measurement }),
      attestWorker({ provider: otherWorker, measurement }),
    ])
    const served = { ...attested, provider: attested.kind }
    const attestationFile = await envelopeFile('attestation.json', served)
    const otherFile = await envelopeFile('other-attestation.json', { ...otherAttested, provider: 'dev' })
    // The genuine quote next to another worker's keys.
    const lyingFile = await envelopeFile('lying-attestation.json', {
      ...served,
      publicKeys: otherWorker.publicKeys,
    })
    const trustFile = await envelopeFile('trust.json', { allowDev: true, measurement: 'teefn' })
    const file = await envelopeFile('attested.json', evmEnvelope)
    const substrate = await signEnvelope(worker, {
      family: 'substrate',
      chainId: `0x${'7a'.repeat(32)}`,
      destination: `0x${'44'.repeat(32)}`,
      requestId,
      functionId,
      payloadHash,
      codeHash: `0x${'c0'.repeat(32)}`,
      status: 'OK',
      result: utf8('42'),
    })
    const substrateFile = await envelopeFile('attested-substrate.json', substrate)
    const server = await startHttpServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' })
      response.end(JSON.stringify(served))
    })
    try {
      const runs = await Promise.all([
        teefn(['verify', file, '--attestation', attestationFile, '--json']),
        teefn(['verify', file, '--attestation', attestationFile, '--allow-dev', '--json']),
        teefn(['verify', file, '--attestation', attestationFile, '--trust', trustFile]),
        teefn(['verify', file, '--attestation', server.url, '--allow-dev', '--json']),
        teefn(['verify', substrateFile, '--attestation', attestationFile, '--allow-dev', '--json']),
        teefn(['verify', file, '--attestation', otherFile, '--allow-dev', '--json']),
        teefn(['verify', file, '--attestation', lyingFile, '--allow-dev', '--json']),
        teefn([
          'verify',
          file,
          '--attestation',
          otherFile,
          '--worker',
          worker.publicKeys.evmAddress,
          '--allow-dev',
          '--json',
        ]),
        teefn([
          'verify',
          file,
          '--attestation',
          attestationFile,
          '--allow-dev',
          '--measurement',
          'v2',
          '--json',
        ]),
        teefn(['verify', file, '--attestation', attestationFile, '--allow-dev', '--mrtd', '00', '--json']),
      ])
      const [refusedDev, allowed, viaTrustFile, viaServer, substrateAttested] = runs
      expect(refusedDev!.code).toBe(1)
      expect(json(refusedDev!)).toMatchObject({
        trusted: false,
        stage: 'attestation',
        reason: 'DEV_NOT_ALLOWED',
      })
      expect(allowed!.code).toBe(0)
      expect(json(allowed!)).toMatchObject({
        valid: true,
        signer: worker.publicKeys.evmAddress,
        trust: 'attestation',
        attestation: { kind: 'dev', measurementPinned: false, publicKeys: worker.publicKeys },
      })
      expect(viaTrustFile!.code).toBe(0)
      expect(viaTrustFile!.stdout).toContain(
        `valid: evm envelope signed by ${worker.publicKeys.evmAddress} (dev attestation: not a TEE)`,
      )
      expect(viaServer!.code).toBe(0)
      expect(server.requests.map(({ url }) => url)).toEqual(['/v1/attestation'])
      expect(substrateAttested!.code).toBe(0)
      expect(json(substrateAttested!)).toMatchObject({ valid: true, signer: worker.publicKeys.sr25519 })
      const refusals: [number, string][] = [
        [5, 'WRONG_SIGNER'],
        [6, 'REPORT_DATA_MISMATCH'],
        [7, 'WRONG_SIGNER'],
        [8, 'REPORT_DATA_MISMATCH'],
        [9, 'MEASUREMENT_MISMATCH'],
      ]
      for (const [index, reason] of refusals) {
        expect({ index, code: runs[index]!.code }).toEqual({ index, code: 1 })
        expect(json(runs[index]!).reason).toBe(reason)
      }
      expect(json(runs[7]!).details).toContain(`the attestation binds ${otherWorker.publicKeys.evmAddress}`)
    } finally {
      await server.close()
    }
    const notJsonFile = join(dir, 'attestation.txt')
    await writeFile(notJsonFile, 'provider: dev')
    const usage = await Promise.all([
      teefn(['verify', file, '--attestation', join(dir, 'no-attestation.json'), '--allow-dev']),
      teefn(['verify', file, '--attestation', notJsonFile, '--allow-dev']),
      teefn(['verify', file, '--attestation', attestationFile, '--tcb-status', 'Fine']),
    ])
    for (const run of usage) expect(run.code).toBe(2)
    expect(usage[0]!.stderr).toContain('cannot read the attestation file')
    expect(usage[1]!.stderr).toContain('is not JSON')
  })

  it('exits 1 with the reason: wrong signer, altered result, other chain, contract or request', async () => {
    const otherRequest = `0x${'e2'.repeat(32)}`
    const file = await envelopeFile('checked.json', evmEnvelope)
    const cases: [string[], string][] = [
      [['verify', file, '--worker', otherWorker.publicKeys.evmAddress], 'WRONG_SIGNER'],
      [
        [
          'verify',
          await envelopeFile('altered.json', {
            ...evmEnvelope,
            result: bytesToHex(utf8('{"temperature":99}')),
          }),
        ],
        'RESULT_ALTERED',
      ],
      [['verify', file, '--chain-id', '1'], 'WRONG_CHAIN'],
      [['verify', file, '--destination', '0x000000000000000000000000000000000000dEaD'], 'WRONG_DESTINATION'],
      [['verify', file, '--request-id', otherRequest], 'WRONG_REQUEST'],
      [
        ['verify', await envelopeFile('forged-chain.json', { ...evmEnvelope, chainId: '1' })],
        'SIGNATURE_INVALID',
      ],
      [
        ['verify', await envelopeFile('forged-request.json', { ...evmEnvelope, requestId: otherRequest })],
        'SIGNATURE_INVALID',
      ],
      [
        ['verify', await envelopeFile('malformed.json', { ...evmEnvelope, signature: '0x12' })],
        'ENVELOPE_MALFORMED',
      ],
    ]
    const runs = await Promise.all(cases.flatMap(([args]) => [teefn(args), teefn([...args, '--json'])]))
    cases.forEach(([args, reason], index) => {
      const text = runs[index * 2]!
      const asJson = runs[index * 2 + 1]!
      expect({ args, code: text.code }).toEqual({ args, code: 1 })
      expect(text.stdout).toContain(`invalid: ${reason}`)
      expect(asJson.code).toBe(1)
      expect(json(asJson)).toMatchObject({ valid: false, reason })
    })
  })

  it('exits 1 for another payload, a rewritten payload hash and a version 1 envelope', async () => {
    const otherPayloadHash = payloadHashOf(utf8('{"city":"Porto"}'))
    const file = await envelopeFile('payload.json', evmEnvelope)
    const cases: [string[], string][] = [
      [['verify', file, '--payload-hash', otherPayloadHash], 'WRONG_PAYLOAD'],
      [
        [
          'verify',
          await envelopeFile('forged-payload.json', { ...evmEnvelope, payloadHash: otherPayloadHash }),
        ],
        'SIGNATURE_INVALID',
      ],
      [
        ['verify', await envelopeFile('v1.json', { ...evmEnvelope, version: 1, payloadHash: undefined })],
        'ENVELOPE_MALFORMED',
      ],
    ]
    const runs = await Promise.all(cases.map(([args]) => teefn([...args, '--json'])))
    cases.forEach(([args, reason], index) => {
      expect({ args, code: runs[index]!.code }).toEqual({ args, code: 1 })
      expect(json(runs[index]!)).toMatchObject({ valid: false, reason })
    })
    expect(json(runs[2]!).message).toContain('version 1 is no longer accepted')
  })

  it('exits 2 for an unreadable file, non-JSON, a bad --worker or a missing argument', async () => {
    const notJson = join(dir, 'not.json')
    await writeFile(notJson, 'hello')
    const file = await envelopeFile('usage.json', evmEnvelope)
    const runs = await Promise.all([
      teefn(['verify', join(dir, 'missing.json')]),
      teefn(['verify', notJson]),
      teefn(['verify', file, '--worker', '0x1234']),
      teefn(['verify']),
      teefn(['verify', file, '--chain-id', 'mainnet']),
      teefn(['verify', file, '--request-id', '0x12']),
      teefn(['verify', file, '--payload-hash', '0x12']),
      teefn([
        'verify',
        '--substrate',
        'ws://127.0.0.1:1',
        '--block',
        '1',
        '--extrinsic',
        '0',
        '--payload-hash',
        payloadHash,
      ]),
    ])
    for (const run of runs) expect(run.code).toBe(2)
    expect(runs[0]!.stderr).toContain('missing.json')
    expect(runs[1]!.stderr).toContain('is not JSON')
    expect(runs[2]!.stderr).toContain('--worker')
    expect(runs[6]!.stderr).toContain('--payload-hash must be bytes32')
    expect(runs[7]!.stderr).toContain('--payload-hash applies to an envelope file')
  })
})

describe('teefn secrets encrypt', () => {
  const secrets = { OPENWEATHER_KEY: 'ow-2b9f6c1e8d7a', SIGNING_SEED: 'seed phrase stays secret' }
  const registry = '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512'
  const scope: FunctionScope = {
    family: 'evm',
    chainId: '31337',
    registry: registry.toLowerCase() as Hex,
    functionId,
  }
  const scopeFlags = ['--chain-id', '31337', '--registry', registry, '--function-id', functionId]

  it('encrypts to the worker key for one scope; only that worker opens it, only for that scope', async () => {
    const secretsFile = join(dir, 'secrets.json')
    await writeFile(secretsFile, JSON.stringify(secrets))
    const base = ['secrets', 'encrypt', '--worker-key', worker.publicKeys.encryption, ...scopeFlags]
    const genesis = `0x${'7a'.repeat(32)}` as Hex
    const substrateScope: FunctionScope = {
      family: 'substrate',
      chainId: genesis,
      registry: '0x',
      functionId,
    }
    const [inline, fromFile, asJson, substrate] = await Promise.all([
      teefn([...base, '--secrets', JSON.stringify(secrets)]),
      teefn([...base, '--secrets', secretsFile]),
      teefn([...base, '--secrets', secretsFile, '--json']),
      teefn([
        'secrets',
        'encrypt',
        '--worker-key',
        worker.publicKeys.encryption,
        '--family',
        'substrate',
        '--chain-id',
        genesis,
        '--function-id',
        functionId,
        '--secrets',
        secretsFile,
      ]),
    ])
    for (const run of [inline, fromFile, asJson, substrate]) {
      expect(run.code).toBe(0)
      for (const value of Object.values(secrets)) {
        expect(run.stdout + run.stderr).not.toContain(value)
        expect(run.stdout).not.toContain(Buffer.from(value).toString('hex'))
      }
    }
    const ciphertext = inline.stdout.trim() as Hex
    expect(ciphertext).toMatch(/^0x02[0-9a-f]+$/)
    expect(await decryptSecrets({ provider: worker, ciphertext, scope })).toEqual(secrets)
    expect(
      await decryptSecrets({ provider: worker, ciphertext: fromFile.stdout.trim() as Hex, scope }),
    ).toEqual(secrets)
    const output = json(asJson)
    expect(output).toMatchObject({
      scope,
      scopeId: scopeId(scope),
      workerKey: worker.publicKeys.encryption,
      format: 'teefn/secrets/v2',
    })
    expect(await decryptSecrets({ provider: worker, ciphertext: output.ciphertext as Hex, scope })).toEqual(
      secrets,
    )
    const substrateCiphertext = substrate.stdout.trim() as Hex
    expect(
      await decryptSecrets({ provider: worker, ciphertext: substrateCiphertext, scope: substrateScope }),
    ).toEqual(secrets)

    for (const other of [
      { ...scope, functionId: `0x${'f2'.repeat(32)}` as Hex },
      { ...scope, chainId: '1' },
      { ...scope, registry: consumer.toLowerCase() as Hex },
      substrateScope,
    ]) {
      await expect(decryptSecrets({ provider: worker, ciphertext, scope: other })).rejects.toMatchObject({
        code: 'SECRETS_INVALID',
      })
    }
    await expect(decryptSecrets({ provider: otherWorker, ciphertext, scope })).rejects.toMatchObject({
      code: 'SECRETS_INVALID',
    })
  })

  it('exits 2 on bad input, without repeating the secrets', async () => {
    const base = ['secrets', 'encrypt', '--worker-key', worker.publicKeys.encryption, ...scopeFlags]
    const broken = '{"OPENWEATHER_KEY": ow-2b9f6c1e8d7a}'
    const runs = await Promise.all([
      teefn([...base, '--secrets', broken]),
      teefn([...base, '--secrets', JSON.stringify({ OPENWEATHER_KEY: 5 })]),
      teefn(['secrets', 'encrypt', '--worker-key', '0x12', ...scopeFlags, '--secrets', '{}']),
      teefn([...base, '--secrets', join(dir, 'no-such-secrets.json')]),
      teefn(['secrets', 'encrypt', ...scopeFlags, '--secrets', '{}']),
    ])
    for (const run of runs) {
      expect(run.code).toBe(2)
      expect(run.stdout).toBe('')
      expect(run.stderr).not.toContain('ow-2b9f6c1e8d7a')
    }
    expect(runs[0]!.stderr).toContain('not valid JSON')
    expect(runs[1]!.stderr).toContain('"OPENWEATHER_KEY" is number')
  })

  it('exits 2 naming the scope flag that is missing or malformed', async () => {
    const withScope = (flags: string[]) =>
      teefn(['secrets', 'encrypt', '--worker-key', worker.publicKeys.encryption, ...flags, '--secrets', '{}'])
    const cases: [string[], string][] = [
      [
        ['--chain-id', '31337', '--registry', registry, '--function-id', 'weather'],
        '--function-id must be bytes32',
      ],
      [
        ['--chain-id', 'mainnet', '--registry', registry, '--function-id', functionId],
        '--chain-id must be a positive decimal chain id',
      ],
      [['--chain-id', '31337', '--function-id', functionId], '--registry is required'],
      [
        ['--chain-id', '31337', '--registry', '0x1234', '--function-id', functionId],
        '--registry must be the 20-byte registry address',
      ],
      [
        ['--family', 'substrate', '--chain-id', '31337', '--function-id', functionId],
        '--chain-id must be the 32-byte genesis hash',
      ],
      [
        ['--family', 'solana', '--chain-id', '1', '--registry', registry, '--function-id', functionId],
        '--family must be "evm" or "substrate"',
      ],
      // The old flag is gone: a scope has to be named.
      [['--function', functionId], '--chain-id'],
    ]
    const runs = await Promise.all(cases.map(([flags]) => withScope(flags)))
    cases.forEach(([flags, message], index) => {
      expect({ flags, code: runs[index]!.code, stdout: runs[index]!.stdout }).toEqual({
        flags,
        code: 2,
        stdout: '',
      })
      expect(runs[index]!.stderr).toContain(message)
    })
  })
})

describe('teefn attest verify (dev attestations)', () => {
  it('refuses a dev attestation unless --allow-dev, and checks its report data', async () => {
    const attestation = await attestWorker({ provider: worker, measurement: '0xbeef' })
    const quoteFile = join(dir, 'dev.quote')
    await writeFile(quoteFile, attestation.quote)
    const [refused, allowed, mismatch] = await Promise.all([
      teefn(['attest', 'verify', '--quote', quoteFile, '--json']),
      teefn([
        'attest',
        'verify',
        '--quote',
        quoteFile,
        '--allow-dev',
        '--report-data',
        attestation.reportData,
        '--json',
      ]),
      teefn([
        'attest',
        'verify',
        '--quote',
        quoteFile,
        '--allow-dev',
        '--report-data',
        `0x${'00'.repeat(64)}`,
        '--json',
      ]),
    ])
    expect(refused.code).toBe(1)
    expect(json(refused)).toMatchObject({ valid: false, reason: 'DEV_NOT_ALLOWED' })
    expect(allowed.code).toBe(0)
    expect(json(allowed)).toMatchObject({ valid: true, kind: 'dev', status: 'Dev', reportDataChecked: true })
    expect(mismatch.code).toBe(1)
    expect(json(mismatch)).toMatchObject({ valid: false, reason: 'REPORT_DATA_MISMATCH' })
  })
})

describe('teefn attest verify with Intel-signed samples', () => {
  const quote = join(dcapFixturesDir, 'tdx_quote')
  const collateral = join(dcapFixturesDir, 'tdx_quote_collateral.json')
  const at = ['--at', '2025-07-01T00:00:00Z']

  it('verifies the TDX sample at 2025-07-01, raw or hex, with its report data and pins', async () => {
    const fixtures = loadDcapFixtures()
    const td = Quote.parse(fixtures.tdxQuote).report.asTd10()!
    const reportData = bytesToHex(Uint8Array.from(td.reportData))
    const hexQuote = join(dir, 'tdx_quote.hex')
    await writeFile(hexQuote, `${bytesToHex(fixtures.tdxQuote)}\n`)
    const [text, asJson, fromHex] = await Promise.all([
      teefn(['attest', 'verify', '--quote', quote, '--collateral', collateral, ...at]),
      teefn([
        'attest',
        'verify',
        '--quote',
        quote,
        '--collateral',
        collateral,
        ...at,
        '--report-data',
        reportData,
        '--mrtd',
        bytesToHex(Uint8Array.from(td.mrTd)),
        '--json',
      ]),
      teefn(['attest', 'verify', '--quote', hexQuote, '--collateral', collateral, ...at, '--json']),
    ])
    expect(text.code).toBe(0)
    expect(text.stdout).toContain('verified: TDX quote, TCB status UpToDate')
    expect(asJson.code).toBe(0)
    expect(json(asJson)).toMatchObject({
      valid: true,
      kind: 'tdx',
      status: 'UpToDate',
      reportData,
      reportDataChecked: true,
    })
    expect(fromHex.code).toBe(0)
  })

  it('exits 1 with the reason for each rejection', async () => {
    const fixtures = loadDcapFixtures()
    const flipped = fixtures.tdxQuote.slice()
    flipped[48 + 200]! ^= 0x01
    const flippedFile = join(dir, 'flipped_quote')
    await writeFile(flippedFile, flipped)
    const tampered = JSON.parse(fixtures.tdxCollateral)
    tampered.qe_identity = tampered.qe_identity.replace('"tcbStatus":"UpToDate"', '"tcbStatus":"OutOfDate"')
    const tamperedFile = join(dir, 'tampered_collateral.json')
    await writeFile(tamperedFile, JSON.stringify(tampered))
    const sgx = [
      '--quote',
      join(dcapFixturesDir, 'sgx_quote'),
      '--collateral',
      join(dcapFixturesDir, 'sgx_quote_collateral.json'),
    ]
    const cases: [string[], string][] = [
      [['--quote', quote, '--collateral', collateral], 'COLLATERAL_EXPIRED'],
      [['--quote', flippedFile, '--collateral', collateral, ...at], 'SIGNATURE_INVALID'],
      [['--quote', quote, '--collateral', tamperedFile, ...at], 'COLLATERAL_INVALID'],
      [
        ['--quote', quote, '--collateral', collateral, ...at, '--report-data', `0x${'00'.repeat(64)}`],
        'REPORT_DATA_MISMATCH',
      ],
      [
        ['--quote', quote, '--collateral', collateral, ...at, '--rtmr1', `0x${'00'.repeat(48)}`],
        'MEASUREMENT_MISMATCH',
      ],
      [[...sgx, ...at], 'STATUS_NOT_ALLOWED'],
    ]
    const runs = await Promise.all(cases.map(([args]) => teefn(['attest', 'verify', ...args, '--json'])))
    cases.forEach(([args, reason], index) => {
      expect({ args, code: runs[index]!.code }).toEqual({ args, code: 1 })
      expect(json(runs[index]!)).toMatchObject({ valid: false, reason })
    })
    const allowed = await teefn([
      'attest',
      'verify',
      ...sgx,
      ...at,
      '--allow-status',
      'UpToDate',
      'ConfigurationAndSWHardeningNeeded',
      '--json',
    ])
    expect(allowed.code).toBe(0)
    expect(json(allowed)).toMatchObject({ kind: 'sgx', advisoryIds: ['INTEL-SA-00289', 'INTEL-SA-00615'] })
  })

  it('teefn verify --attestation runs the DCAP checks with --collateral, --at and --tcb-status', async () => {
    const fixtures = loadDcapFixtures()
    const tdx = await envelopeFile('tdx-attestation.json', {
      ...(await attestWorker({ provider: worker, measurement: utf8('teefn') })),
      provider: 'dstack',
      quote: bytesToHex(fixtures.tdxQuote),
    })
    const file = await envelopeFile('tdx-envelope.json', evmEnvelope)
    const base = ['verify', file, '--attestation', tdx, '--json']
    const cases: [string[], string][] = [
      [[], 'COLLATERAL_INVALID'],
      [['--collateral', collateral], 'COLLATERAL_EXPIRED'],
      [['--collateral', collateral, ...at, '--tcb-status', 'OutOfDate'], 'STATUS_NOT_ALLOWED'],
      // A genuine quote, but it binds another worker's keys than the ones listed next to it.
      [['--collateral', collateral, ...at], 'REPORT_DATA_MISMATCH'],
    ]
    const runs = await Promise.all(cases.map(([flags]) => teefn([...base, ...flags])))
    cases.forEach(([flags, reason], index) => {
      expect({ flags, code: runs[index]!.code }).toEqual({ flags, code: 1 })
      expect(json(runs[index]!)).toMatchObject({ trusted: false, reason })
    })
  })

  it('exits 2 on usage errors', async () => {
    const runs = await Promise.all([
      teefn(['attest', 'verify', '--quote', quote, '--collateral', collateral, '--at', 'yesterday']),
      teefn(['attest', 'verify', '--quote', quote]),
      teefn(['attest', 'verify', '--quote', quote, '--collateral', join(dir, 'none.json')]),
      teefn(['attest', 'verify', '--quote', quote, '--collateral', collateral, '--allow-status', 'Fine']),
      teefn(['attest', 'verify', '--quote', quote, '--collateral', collateral, '--report-data', '0x12']),
    ])
    for (const run of runs) expect(run.code).toBe(2)
    expect(runs[1]!.stderr).toContain('--collateral is required')
  })
})
