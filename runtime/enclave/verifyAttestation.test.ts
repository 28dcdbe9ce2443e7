import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Quote } from '@phala/dcap-qvl'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DcapFixtures, dcapFixturesValidAt, loadDcapFixtures } from '../../test/support/dcapFixtures.js'
import { bytesToHex } from '../bytes.js'
import { AttestationError } from './AttestationError.js'
import { attestWorker } from './attestWorker.js'
import { createDevProvider } from './devProvider.js'
import type { TeeProvider } from './TeeProvider.js'
import { verifyAttestation } from './verifyAttestation.js'

function rejection(run: () => unknown): AttestationError {
  try {
    run()
  } catch (error) {
    expect(error).toBeInstanceOf(AttestationError)
    return error as AttestationError
  }
  throw new Error('expected an AttestationError, nothing was thrown')
}

describe('verifyAttestation with Intel-signed samples', () => {
  let fixtures: DcapFixtures
  let tdxReportData: Uint8Array
  beforeAll(() => {
    fixtures = loadDcapFixtures()
    tdxReportData = Uint8Array.from(
      (Quote.parse(fixtures.tdxQuote).report.asTd10() ?? { reportData: [] }).reportData,
    )
  })
  const at = { now: dcapFixturesValidAt }

  it('verifies the TDX sample as UpToDate at 2025-07-01 and returns its measurements', () => {
    const result = verifyAttestation(fixtures.tdxQuote, fixtures.tdxCollateral, {
      ...at,
      expectedReportData: tdxReportData,
    })
    expect(result).toMatchObject({
      kind: 'tdx',
      status: 'UpToDate',
      advisoryIds: [],
      reportDataChecked: true,
    })
    expect(result.reportData).toBe(bytesToHex(tdxReportData))
    expect(result.binding.keysHash).toBe(bytesToHex(tdxReportData.subarray(0, 32)))
    expect(result.measurements.mrtd).toMatch(/^0x[0-9a-f]{96}$/)
    expect(Object.keys(result.measurements)).toEqual(
      expect.arrayContaining(['mrtd', 'rtmr0', 'rtmr1', 'rtmr2', 'rtmr3']),
    )
    // Pinning the real values passes; hex case and a missing 0x do not matter.
    const { mrtd, rtmr3 } = result.measurements
    expect(() =>
      verifyAttestation(fixtures.tdxQuote, fixtures.tdxCollateral, {
        ...at,
        expectedReportData: tdxReportData,
        measurements: {
          mrtd: mrtd!.toUpperCase().replace('0X', ''),
          rtmr3: [`0x${'00'.repeat(48)}`, rtmr3!],
        },
      }),
    ).not.toThrow()
  })

  it('rejects at the real clock: the collateral has expired', () => {
    const error = rejection(() =>
      verifyAttestation(fixtures.tdxQuote, fixtures.tdxCollateral, { expectedReportData: tdxReportData }),
    )
    expect(error.reason).toBe('COLLATERAL_EXPIRED')
    expect(error.message).toMatch(/expired/i)
  })

  it('rejects a flipped report byte: the signature no longer verifies', () => {
    const flipped = fixtures.tdxQuote.slice()
    flipped[48 + 100]! ^= 0x01 // inside the TD report body (header is 48 bytes)
    expect(
      rejection(() => verifyAttestation(flipped, fixtures.tdxCollateral, { ...at, expectedReportData: null }))
        .reason,
    ).toBe('SIGNATURE_INVALID')
    const reportDataFlipped = fixtures.tdxQuote.slice()
    reportDataFlipped[48 + 520]! ^= 0x80 // the first report_data byte
    expect(
      rejection(() =>
        verifyAttestation(reportDataFlipped, fixtures.tdxCollateral, { ...at, expectedReportData: null }),
      ).reason,
    ).toBe('SIGNATURE_INVALID')
  })

  it('rejects tampered collateral', () => {
    const collateral = JSON.parse(fixtures.tdxCollateral)
    const tcbInfo = JSON.parse(collateral.tcb_info)
    // An attacker "upgrades" every TCB level to UpToDate: the collateral's signature must catch it.
    for (const level of tcbInfo.tcbLevels) level.tcbStatus = 'UpToDate'
    collateral.tcb_info = JSON.stringify(tcbInfo)
    const error = rejection(() =>
      verifyAttestation(fixtures.tdxQuote, collateral, { ...at, expectedReportData: tdxReportData }),
    )
    expect(error.reason).toBe('COLLATERAL_INVALID')
    expect(error.details).toContain('tcb_info')

    const incomplete = { ...JSON.parse(fixtures.tdxCollateral), qe_identity_signature: undefined }
    delete incomplete.qe_identity_signature
    expect(
      rejection(() => verifyAttestation(fixtures.tdxQuote, incomplete, { ...at, expectedReportData: null }))
        .reason,
    ).toBe('COLLATERAL_INVALID')
    expect(
      rejection(() =>
        verifyAttestation(fixtures.tdxQuote, fixtures.sgxCollateral, { ...at, expectedReportData: null }),
      ).reason,
    ).toBe('COLLATERAL_INVALID')
  })

  it('rejects a wrong expected report data', () => {
    const wrong = tdxReportData.slice()
    wrong[63]! ^= 1
    const error = rejection(() =>
      verifyAttestation(fixtures.tdxQuote, fixtures.tdxCollateral, { ...at, expectedReportData: wrong }),
    )
    expect(error.reason).toBe('REPORT_DATA_MISMATCH')
    expect(error.details).toContain(bytesToHex(tdxReportData))
  })

  it('rejects a pinned measurement that differs, or one the quote type lacks', () => {
    const pinned = rejection(() =>
      verifyAttestation(fixtures.tdxQuote, fixtures.tdxCollateral, {
        ...at,
        expectedReportData: tdxReportData,
        measurements: { rtmr0: `0x${'11'.repeat(48)}` },
      }),
    )
    expect(pinned.reason).toBe('MEASUREMENT_MISMATCH')
    expect(pinned.shortMessage).toContain('rtmr0')
    expect(
      rejection(() =>
        verifyAttestation(fixtures.tdxQuote, fixtures.tdxCollateral, {
          ...at,
          expectedReportData: tdxReportData,
          measurements: { mrenclave: `0x${'11'.repeat(32)}` },
        }),
      ).reason,
    ).toBe('MEASUREMENT_MISMATCH')
  })

  it('applies the status allowlist (SGX sample: ConfigurationAndSWHardeningNeeded)', () => {
    const error = rejection(() =>
      verifyAttestation(fixtures.sgxQuote, fixtures.sgxCollateral, { ...at, expectedReportData: null }),
    )
    expect(error.reason).toBe('STATUS_NOT_ALLOWED')
    expect(error.details).toContain('ConfigurationAndSWHardeningNeeded')
    const allowed = verifyAttestation(fixtures.sgxQuote, fixtures.sgxCollateral, {
      ...at,
      expectedReportData: null,
      allowedStatuses: ['UpToDate', 'ConfigurationAndSWHardeningNeeded'],
    })
    expect(allowed).toMatchObject({
      kind: 'sgx',
      status: 'ConfigurationAndSWHardeningNeeded',
      advisoryIds: ['INTEL-SA-00289', 'INTEL-SA-00615'],
      reportDataChecked: false,
    })
    expect(
      verifyAttestation(fixtures.sgxQuote, fixtures.sgxCollateral, {
        ...at,
        expectedReportData: null,
        allowedStatuses: ['ConfigurationAndSWHardeningNeeded'],
        measurements: { mrenclave: allowed.measurements.mrenclave! },
      }).measurements.mrsigner,
    ).toBe(allowed.measurements.mrsigner)
  })

  it('rejects truncated quote bytes as malformed', () => {
    expect(
      rejection(() =>
        verifyAttestation(fixtures.tdxQuote.subarray(0, 200), fixtures.tdxCollateral, {
          ...at,
          expectedReportData: null,
        }),
      ).reason,
    ).toBe('QUOTE_MALFORMED')
  })
})

describe('verifyAttestation of dev attestations', () => {
  let dir: string
  let provider: TeeProvider
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'teefn-attest-'))
    provider = await createDevProvider({ keyFile: join(dir, 'worker.json') })
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('refuses dev attestations unless the verifier opts in', async () => {
    const attestation = await attestWorker({ provider, measurement: '0x1234' })
    const error = rejection(() =>
      verifyAttestation(attestation.quote, null, { expectedReportData: attestation.reportData }),
    )
    expect(error.reason).toBe('DEV_NOT_ALLOWED')
    const result = verifyAttestation(attestation.quote, null, {
      expectedReportData: { publicKeys: provider.publicKeys, measurement: '0x1234' },
      allowDev: true,
    })
    expect(result).toMatchObject({
      kind: 'dev',
      status: 'Dev',
      boundKeys: provider.publicKeys,
      reportData: attestation.reportData,
    })
  })

  it('checks a dev attestation binds the expected keys and measurement', async () => {
    const attestation = await attestWorker({ provider, measurement: '0x1234' })
    const other = await createDevProvider({ keyFile: join(dir, 'other.json') })
    expect(
      rejection(() =>
        verifyAttestation(attestation.quote, null, {
          expectedReportData: { publicKeys: other.publicKeys, measurement: '0x1234' },
          allowDev: true,
        }),
      ).reason,
    ).toBe('REPORT_DATA_MISMATCH')
    expect(
      rejection(() =>
        verifyAttestation(attestation.quote, null, {
          expectedReportData: { publicKeys: provider.publicKeys, measurement: '0x1235' },
          allowDev: true,
        }),
      ).reason,
    ).toBe('REPORT_DATA_MISMATCH')
    expect(
      rejection(() =>
        verifyAttestation(attestation.quote, null, {
          expectedReportData: attestation.reportData,
          allowDev: true,
          measurements: { mrtd: '0x00' },
        }),
      ).reason,
    ).toBe('MEASUREMENT_MISMATCH')
  })
})
