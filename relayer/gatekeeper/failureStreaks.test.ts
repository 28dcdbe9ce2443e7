import { describe, expect, it } from 'vitest'
import { FailureStreaks } from './failureStreaks.js'
import type { AdmittedWorkerVerdict } from './judgeAdmittedWorker.js'

const worker = `0x${'ab'.repeat(20)}`
const keep: AdmittedWorkerVerdict = { keep: true, measurement: `0x${'01'.repeat(32)}` }
const unreachable: AdmittedWorkerVerdict = {
  keep: false,
  definite: false,
  code: 'QUOTE_UNREACHABLE',
  reason: 'HTTP 502',
}
const unpinned: AdmittedWorkerVerdict = {
  keep: false,
  definite: true,
  code: 'MEASUREMENT_UNPINNED',
  reason: '',
}

describe('FailureStreaks', () => {
  it('removes after `limit` failures in a row, not after interrupted ones', () => {
    const streaks = new FailureStreaks(3)
    expect(streaks.record(worker, unreachable)).toEqual({ streak: 1, remove: false })
    expect(streaks.record(worker.toUpperCase().replace('0X', '0x'), unreachable)).toEqual({
      streak: 2,
      remove: false,
    })
    expect(streaks.record(worker, keep)).toEqual({ streak: 0, remove: false })
    expect(streaks.record(worker, unreachable).remove).toBe(false)
    expect(streaks.record(worker, unreachable).remove).toBe(false)
    expect(streaks.record(worker, unreachable)).toEqual({ streak: 3, remove: true })
    streaks.forget(worker)
    expect(streaks.record(worker, unreachable).streak).toBe(1)
  })

  it('removes at once on a definite failure', () => {
    expect(new FailureStreaks(3).record(worker, unpinned)).toEqual({ streak: 1, remove: true })
  })
})
