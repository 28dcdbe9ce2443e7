import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sha256 } from '@noble/hashes/sha2.js'
import { beforeAll, describe, expect, it } from 'vitest'
import { bytesToHex, type Hex, utf8 } from '../../runtime/bytes.js'
import { attestationHash } from '../../runtime/enclave/attestationHash.js'
import { attestWorker, type WorkerAttestation } from '../../runtime/enclave/attestWorker.js'
import { createDevProvider } from '../../runtime/enclave/devProvider.js'
import { dcapFixturesValidAt, loadDcapFixtures } from '../../test/support/dcapFixtures.js'
import { type GatekeeperPolicy, judgeCandidate, verifyCandidateQuote } from './judgeCandidate.js'
import { measurementIdOf } from './measurementIdOf.js'

const fixtures = loadDcapFixtures()

function policy(overrides: Partial<GatekeeperPolicy> & { pinned?: Hex[] }): GatekeeperPolicy {
  const pinned = new Set((overrides.pinned ?? []).map((m) => m.toLowerCase()))
  return {
    tcbStatuses: ['UpToDate'],
    allowDev: false,
    collateral: fixtures.tdxCollateral,
    now: dcapFixturesValidAt,
    isPinned: async (measurement) => pinned.has(measurement.toLowerCase()),
    ...overrides,
  }
}

describe('verifyCandidateQuote, on a real TDX quote', () => {
  let tdxMeasurement: Hex
  beforeAll(async () => {
    // The id of the sample's registers, as a registry would pin it.
    const seen = await verifyCandidateQuote(fixtures.tdxQuote, policy({ isPinned: async () => true }))
    tdxMeasurement = seen.measurement
  })

  it('accepts an allowed TCB status and a pinned measurement', async () => {
    const verdict = await verifyCandidateQuote(fixtures.tdxQuote, policy({ pinned: [tdxMeasurement] }))
    expect(verdict).toMatchObject({
      admit: true,
      kind: 'tdx',
      status: 'UpToDate',
      measurement: tdxMeasurement,
    })
    expect(tdxMeasurement).toMatch(/^0x[0-9a-f]{64}$/)
  })

  it('refuses a measurement the registry does not pin', async () => {
    await expect(verifyCandidateQuote(fixtures.tdxQuote, policy({ pinned: [] }))).rejects.toMatchObject({
      code: 'MEASUREMENT_MISMATCH',
    })
  })

  it('refuses a TCB status off the allowlist (SGX sample: ConfigurationAndSWHardeningNeeded)', async () => {
    const sgx = policy({ collateral: fixtures.sgxCollateral, isPinned: async () => true })
    await expect(verifyCandidateQuote(fixtures.sgxQuote, sgx)).rejects.toMatchObject({
      code: 'STATUS_NOT_ALLOWED',
    })
    const allowed = await verifyCandidateQuote(fixtures.sgxQuote, {
      ...sgx,
      tcbStatuses: ['ConfigurationAndSWHardeningNeeded'],
    })
    expect(allowed).toMatchObject({ admit: true, kind: 'sgx', status: 'ConfigurationAndSWHardeningNeeded' })
  })

  it('refuses collateral that has expired at verification time', async () => {
    const late = policy({ pinned: [tdxMeasurement], now: new Date('2030-01-01T00:00:00Z') })
    await expect(verifyCandidateQuote(fixtures.tdxQuote, late)).rejects.toMatchObject({
      code: 'COLLATERAL_EXPIRED',
    })
  })
})

describe('judgeCandidate', () => {
  let served: WorkerAttestation
  let devMeasurement: Hex
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'teefn-gatekeeper-'))
    const provider = await createDevProvider({ keyFile: join(dir, 'dev.key') })
    served = await attestWorker({ provider, measurement: utf8('teefn test runtime') })
    devMeasurement = bytesToHex(sha256(utf8('teefn test runtime')))
  })
  const dev = () => policy({ allowDev: true, collateral: undefined, pinned: [devMeasurement] })
  const ask = (
    p: GatekeeperPolicy,
    changes: { worker?: string; quoteHash?: string; served?: unknown } = {},
  ) =>
    judgeCandidate({
      served: changes.served ?? served,
      worker: changes.worker ?? served.publicKeys.evmAddress,
      quoteHash: changes.quoteHash ?? attestationHash(served.quote),
      policy: p,
    })

  it('admits a dev attestation only with allowDev; its measurement id is sha256(tee.measurement)', async () => {
    expect(await ask(dev())).toEqual({ admit: true, measurement: devMeasurement, kind: 'dev', status: 'Dev' })
    expect(
      measurementIdOf({
        kind: 'dev',
        measurements: {},
        binding: { keysHash: '0x', measurementHash: devMeasurement },
      }),
    ).toBe(devMeasurement)
    expect(await ask({ ...dev(), allowDev: false })).toMatchObject({ admit: false, code: 'DEV_NOT_ALLOWED' })
  })

  it('refuses another quote than the one requested, another worker, other keys, an unpinned measurement', async () => {
    expect(await ask(dev(), { quoteHash: `0x${'11'.repeat(32)}` })).toMatchObject({
      code: 'QUOTE_HASH_MISMATCH',
    })
    expect(await ask(dev(), { worker: `0x${'22'.repeat(20)}` })).toMatchObject({ code: 'WORKER_MISMATCH' })
    const otherKeys = { ...served, publicKeys: { ...served.publicKeys, sr25519: `0x${'33'.repeat(32)}` } }
    expect(await ask(dev(), { served: otherKeys })).toMatchObject({
      admit: false,
      code: 'REPORT_DATA_MISMATCH',
    })
    expect(await ask({ ...dev(), isPinned: async () => false })).toMatchObject({
      code: 'MEASUREMENT_MISMATCH',
    })
    expect(await ask(dev(), { served: { quote: 'nope' } })).toMatchObject({ code: 'ATTESTATION_MALFORMED' })
  })

  it('refuses a genuine TDX quote that binds other keys than the candidate serves', async () => {
    const tdx = { ...served, quote: bytesToHex(fixtures.tdxQuote) }
    const verdict = await ask(policy({ isPinned: async () => true }), {
      served: tdx,
      quoteHash: attestationHash(fixtures.tdxQuote),
    })
    expect(verdict).toMatchObject({ admit: false, code: 'REPORT_DATA_MISMATCH' })
  })
})
