import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { UsageError } from '../UsageError.js'
import { resolveTrustPolicy } from './trustOptions.js'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'teefn-trust-options-'))
  await mkdir(join(dir, 'pins'))
  await writeFile(join(dir, 'pins', 'collateral.json'), '{"tcb_info":"from the file"}')
  await writeFile(join(dir, 'flag-collateral.json'), '{"tcb_info":"from the flag"}')
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

const trustFile = async (name: string, content: unknown) => {
  const path = join(dir, 'pins', name)
  await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content))
  return path
}

const usageMessage = async (promise: Promise<unknown>) => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(UsageError)
  return (error as UsageError).shortMessage
}

describe('resolveTrustPolicy', () => {
  it('is strict by default: no dev, UpToDate only, nothing pinned', async () => {
    expect(await resolveTrustPolicy({})).toEqual({
      allowDev: false,
      collateral: undefined,
      tcbStatuses: ['UpToDate'],
      measurement: undefined,
      pins: {},
      at: undefined,
    })
  })

  it('reads a trust file (collateral relative to it), and flags win over it', async () => {
    const trust = await trustFile('trust.json', {
      allowDev: true,
      collateral: 'collateral.json',
      tcbStatus: ['UpToDate', 'SWHardeningNeeded'],
      measurement: 'teefn',
      mrtd: 'AB'.repeat(48),
      rtmr3: `0x${'cd'.repeat(48)}`,
    })
    const fromFile = await resolveTrustPolicy({ trust })
    expect(fromFile).toMatchObject({
      allowDev: true,
      collateral: '{"tcb_info":"from the file"}',
      tcbStatuses: ['UpToDate', 'SWHardeningNeeded'],
      measurement: new TextEncoder().encode('teefn'),
      pins: { mrtd: `0x${'ab'.repeat(48)}`, rtmr3: `0x${'cd'.repeat(48)}` },
    })
    const overridden = await resolveTrustPolicy({
      trust,
      collateral: join(dir, 'flag-collateral.json'),
      tcbStatus: 'OutOfDate',
      measurement: 'teefn v2',
      mrtd: `0x${'ef'.repeat(48)}`,
      at: '2025-07-01T00:00:00Z',
    })
    expect(overridden).toMatchObject({
      collateral: '{"tcb_info":"from the flag"}',
      tcbStatuses: ['OutOfDate'],
      measurement: new TextEncoder().encode('teefn v2'),
      pins: { mrtd: `0x${'ef'.repeat(48)}`, rtmr3: `0x${'cd'.repeat(48)}` },
      at: new Date('2025-07-01T00:00:00Z'),
    })
  })

  it('refuses what it cannot use with a usage error naming it', async () => {
    // Thunks: a rejected promise must not wait unobserved while the next file is written.
    const cases: [() => Promise<unknown>, string][] = [
      [
        () => resolveTrustPolicy({ tcbStatus: 'UpToDate,Revoked' }),
        '--tcb-status Revoked is not a TCB status',
      ],
      [() => resolveTrustPolicy({ mrtd: 'xyz' }), '--mrtd must be hex'],
      [() => resolveTrustPolicy({ at: 'yesterday' }), '--at yesterday is not an ISO time'],
      [
        () => resolveTrustPolicy({ collateral: join(dir, 'missing.json') }),
        'cannot read the collateral file',
      ],
      [
        async () => resolveTrustPolicy({ trust: await trustFile('typo.json', { allowdev: true }) }),
        'unknown field allowdev',
      ],
      [
        async () => resolveTrustPolicy({ trust: await trustFile('bad.json', { allowDev: 'yes' }) }),
        'allowDev in the trust file',
      ],
      [async () => resolveTrustPolicy({ trust: await trustFile('text.json', 'allowDev') }), 'is not JSON'],
      [async () => resolveTrustPolicy({ trust: await trustFile('pin.json', { rtmr1: 'zz' }) }), 'rtmr1 in'],
    ]
    for (const [run, message] of cases) expect(await usageMessage(run())).toContain(message)
  })
})
