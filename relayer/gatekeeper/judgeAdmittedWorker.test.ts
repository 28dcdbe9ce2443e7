import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sha256 } from '@noble/hashes/sha2.js'
import { ZeroHash } from 'ethers'
import { beforeAll, describe, expect, it } from 'vitest'
import { bytesToHex, type Hex, utf8 } from '../../runtime/bytes.js'
import { attestWorker, type WorkerAttestation } from '../../runtime/enclave/attestWorker.js'
import { createDevProvider } from '../../runtime/enclave/devProvider.js'
import { judgeAdmittedWorker } from './judgeAdmittedWorker.js'
import type { GatekeeperPolicy } from './judgeCandidate.js'

let served: WorkerAttestation
let rebuilt: WorkerAttestation
const measurement = bytesToHex(sha256(utf8('teefn recheck runtime')))
const otherMeasurement = bytesToHex(sha256(utf8('teefn other runtime')))

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'teefn-recheck-'))
  const provider = await createDevProvider({ keyFile: join(dir, 'dev.key') })
  served = await attestWorker({ provider, measurement: utf8('teefn recheck runtime') })
  // The same key, serving a quote of another build.
  rebuilt = await attestWorker({ provider, measurement: utf8('teefn other runtime') })
})

function policy(pinned: Hex[], allowDev = true): GatekeeperPolicy {
  const set = new Set(pinned.map((m) => m.toLowerCase()))
  return {
    tcbStatuses: ['UpToDate'],
    allowDev,
    collateral: undefined,
    isPinned: async (m) => set.has(m.toLowerCase()),
  }
}

const judge = (
  p: GatekeeperPolicy,
  fetchServed: () => Promise<unknown> = async () => served,
  admittedMeasurement: string = measurement,
) =>
  judgeAdmittedWorker({ worker: served.publicKeys.evmAddress, admittedMeasurement, fetchServed, policy: p })

describe('judgeAdmittedWorker', () => {
  it('keeps a worker whose quote still passes, and binds the measurement it was admitted with', async () => {
    expect(await judge(policy([measurement]))).toEqual({ keep: true, measurement })
  })

  it('removes at once when the admitted measurement is unpinned, without fetching', async () => {
    let fetched = false
    const verdict = await judge(policy([otherMeasurement]), async () => {
      fetched = true
      return served
    })
    expect(verdict).toMatchObject({ keep: false, definite: true, code: 'MEASUREMENT_UNPINNED' })
    expect(fetched).toBe(false)
  })

  it('removes at once when the served quote binds another measurement, pinned or not', async () => {
    expect(await judge(policy([measurement, otherMeasurement]), async () => rebuilt)).toMatchObject({
      keep: false,
      definite: true,
      code: 'MEASUREMENT_CHANGED',
    })
    expect(await judge(policy([measurement]), async () => rebuilt)).toMatchObject({
      keep: false,
      definite: true,
      code: 'MEASUREMENT_MISMATCH',
    })
  })

  it('counts an unreachable quote, a malformed one, or a policy refusal as a failure that is not definite', async () => {
    const unreachable = await judge(policy([measurement]), async () => {
      throw new Error('HTTP 502')
    })
    expect(unreachable).toMatchObject({ keep: false, definite: false, code: 'QUOTE_UNREACHABLE' })
    expect(await judge(policy([measurement]), async () => ({ quote: 'nope' }))).toMatchObject({
      definite: false,
      code: 'ATTESTATION_MALFORMED',
    })
    expect(await judge(policy([measurement], false))).toMatchObject({
      keep: false,
      definite: false,
      code: 'DEV_NOT_ALLOWED',
    })
    const otherKeys = { ...served, publicKeys: { ...served.publicKeys, sr25519: `0x${'33'.repeat(32)}` } }
    expect(await judge(policy([measurement]), async () => otherKeys)).toMatchObject({
      definite: false,
      code: 'REPORT_DATA_MISMATCH',
    })
  })

  it('judges an admin-admitted worker (no measurement recorded) on its quote alone', async () => {
    expect(await judge(policy([otherMeasurement]), async () => rebuilt, ZeroHash)).toEqual({
      keep: true,
      measurement: otherMeasurement,
    })
  })
})
