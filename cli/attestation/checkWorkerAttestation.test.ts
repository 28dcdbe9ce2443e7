import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bytesToHex } from '../../runtime/bytes.js'
import { AttestationError } from '../../runtime/enclave/AttestationError.js'
import { attestWorker, type WorkerAttestation } from '../../runtime/enclave/attestWorker.js'
import { createDevProvider } from '../../runtime/enclave/devProvider.js'
import type { TeeProvider } from '../../runtime/enclave/TeeProvider.js'
import { dcapFixturesValidAt, loadDcapFixtures } from '../../test/support/dcapFixtures.js'
import { checkWorkerAttestation } from './checkWorkerAttestation.js'
import type { TrustPolicy } from './TrustPolicy.js'
import { WorkerAttestationError } from './WorkerAttestationError.js'

const strict: TrustPolicy = {
  allowDev: false,
  collateral: undefined,
  tcbStatuses: ['UpToDate'],
  measurement: undefined,
  pins: {},
  at: undefined,
}
const dev: TrustPolicy = { ...strict, allowDev: true }
const measurement = new TextEncoder().encode('teefn')

let dir: string
let worker: TeeProvider
let other: TeeProvider
let served: WorkerAttestation
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'teefn-check-attestation-'))
  ;[worker, other] = await Promise.all([
    createDevProvider({ keyFile: join(dir, 'worker.json') }),
    createDevProvider({ keyFile: join(dir, 'other.json') }),
  ])
  served = await attestWorker({ provider: worker, measurement })
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

const reasonOf = (run: () => unknown): string => {
  try {
    run()
  } catch (error) {
    if (error instanceof AttestationError || error instanceof WorkerAttestationError) return error.reason
    throw error
  }
  throw new Error('expected a refusal')
}

describe('checkWorkerAttestation', () => {
  it('refuses a dev attestation unless the policy allows dev', () => {
    expect(reasonOf(() => checkWorkerAttestation({ served, policy: strict }))).toBe('DEV_NOT_ALLOWED')
    const checked = checkWorkerAttestation({ served, policy: dev })
    expect(checked).toMatchObject({
      kind: 'dev',
      status: 'Dev',
      publicKeys: worker.publicKeys,
      measurement: bytesToHex(measurement),
      measurementPinned: false,
    })
  })

  it('returns only the keys the quote binds: listed keys of another worker are refused', () => {
    for (const publicKeys of [
      other.publicKeys,
      { ...worker.publicKeys, encryption: other.publicKeys.encryption },
      { ...worker.publicKeys, sr25519: other.publicKeys.sr25519 },
    ]) {
      expect(reasonOf(() => checkWorkerAttestation({ served: { ...served, publicKeys }, policy: dev }))).toBe(
        'REPORT_DATA_MISMATCH',
      )
    }
    // Anything else in the document is not bound, so not returned.
    const extra = { ...served, publicKeys: { ...worker.publicKeys, extra: '0x00' }, note: 'hello' }
    expect(checkWorkerAttestation({ served: extra, policy: dev }).publicKeys).toEqual(worker.publicKeys)
  })

  it('binds the pinned measurement, not the one the server names', () => {
    const pinned = { ...dev, measurement }
    expect(checkWorkerAttestation({ served, policy: pinned }).measurementPinned).toBe(true)
    const lied = { ...served, measurement: bytesToHex(new TextEncoder().encode('other image')) }
    // The server's claim alone does not match its quote; a pinned measurement overrides the claim.
    expect(reasonOf(() => checkWorkerAttestation({ served: lied, policy: dev }))).toBe('REPORT_DATA_MISMATCH')
    expect(checkWorkerAttestation({ served: lied, policy: pinned }).publicKeys).toEqual(worker.publicKeys)
    const otherPin = { ...dev, measurement: new TextEncoder().encode('teefn v2') }
    expect(reasonOf(() => checkWorkerAttestation({ served, policy: otherPin }))).toBe('REPORT_DATA_MISMATCH')
    // A dev attestation has no registers to pin.
    expect(
      reasonOf(() => checkWorkerAttestation({ served, policy: { ...dev, pins: { mrtd: '0x00' } } })),
    ).toBe('MEASUREMENT_MISMATCH')
  })

  it('refuses malformed documents naming the field', () => {
    const cases: [unknown, string][] = [
      [null, 'not a JSON object'],
      [{ ...served, publicKeys: undefined }, 'publicKeys is missing'],
      [{ ...served, publicKeys: { ...worker.publicKeys, encryption: 'abc' } }, 'publicKeys.encryption'],
      [
        { ...served, publicKeys: { ...worker.publicKeys, evmAddress: other.publicKeys.evmAddress } },
        'evmAddress',
      ],
      [{ ...served, quote: '0x' }, 'quote'],
      [{ ...served, measurement: undefined }, 'measurement is missing'],
    ]
    for (const [document, field] of cases) {
      let caught: unknown
      try {
        checkWorkerAttestation({ served: document, policy: dev })
      } catch (error) {
        caught = error
      }
      expect(caught).toBeInstanceOf(WorkerAttestationError)
      expect((caught as WorkerAttestationError).details).toContain(field)
    }
  })
})

describe('checkWorkerAttestation with an Intel-signed TDX quote', () => {
  it('verifies the quote against the collateral, then refuses keys the quote does not bind', () => {
    const fixtures = loadDcapFixtures()
    const genuine = { ...served, provider: 'dstack', quote: bytesToHex(fixtures.tdxQuote) }
    const at = dcapFixturesValidAt
    // The quote and collateral are genuine; its report_data binds some other worker's keys.
    expect(
      reasonOf(() =>
        checkWorkerAttestation({
          served: genuine,
          policy: { ...strict, collateral: fixtures.tdxCollateral, at },
        }),
      ),
    ).toBe('REPORT_DATA_MISMATCH')
    expect(reasonOf(() => checkWorkerAttestation({ served: genuine, policy: { ...strict, at } }))).toBe(
      'COLLATERAL_INVALID',
    )
    expect(
      reasonOf(() =>
        checkWorkerAttestation({
          served: genuine,
          policy: { ...strict, collateral: fixtures.tdxCollateral },
        }),
      ),
    ).toBe('COLLATERAL_EXPIRED')
    const sgx = { ...genuine, quote: bytesToHex(fixtures.sgxQuote) }
    expect(
      reasonOf(() =>
        checkWorkerAttestation({
          served: sgx,
          policy: { ...strict, collateral: fixtures.sgxCollateral, at },
        }),
      ),
    ).toBe('STATUS_NOT_ALLOWED')
  })
})
