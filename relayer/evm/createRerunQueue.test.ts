import type { Redis } from 'ioredis'
import { describe, expect, it } from 'vitest'
import type { RequestJobData } from '../../runtime/queue/jobs.js'
import { openRequestQueue } from '../../runtime/queue/queues.js'
import { useRedisServer } from '../../test/support/useRedisServer.js'
import { createRerunQueue, rerunReasonOf } from './createRerunQueue.js'
import { DeliveryRejectedError } from './DeliveryRejectedError.js'

let connection: Redis
useRedisServer({ isolate: true }, (redis) => ({ connection } = redis))

const request: RequestJobData = {
  trigger: 'evm',
  chainId: '31337',
  destination: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
  requestId: `0x${'0e'.repeat(32)}`,
  functionId: `0x${'0f'.repeat(32)}`,
  request: '0x',
  seenAt: 1,
}
const refusal = (reason: 'CodeHashMismatch' | 'WorkerNotActive' | 'PayloadMismatch') =>
  new DeliveryRejectedError({ reason, requestId: request.requestId, destination: request.destination })

describe('createRerunQueue', () => {
  it('queues the next run of a request on the request queue, once however often it is asked', async () => {
    const reruns = createRerunQueue(connection)
    const requests = openRequestQueue(connection)
    try {
      expect(await reruns.add(request)).toBe(1)
      expect(await reruns.add(request)).toBe(1)
      const jobs = await requests.getJobs(['waiting'])
      expect(jobs.map((job) => job.id)).toEqual([
        `evm-31337-${request.destination.toLowerCase()}-${request.requestId}-r1`,
      ])
      expect(jobs[0]!.data).toMatchObject({ ...request, run: 1, seenAt: expect.any(Number) })
      expect(jobs[0]!.data.seenAt).toBeGreaterThan(1)
      expect(await reruns.add(jobs[0]!.data)).toBe(2)
    } finally {
      await reruns.close()
      await requests.close()
    }
  })
})

describe('rerunReasonOf', () => {
  it('reruns a refusal a new run fixes, while runs are left', () => {
    expect(rerunReasonOf(refusal('CodeHashMismatch'), undefined, 5)).toBe('CodeHashMismatch')
    expect(rerunReasonOf(refusal('WorkerNotActive'), 4, 5)).toBe('WorkerNotActive')
    expect(rerunReasonOf(refusal('WorkerNotActive'), 5, 5)).toBeUndefined()
    expect(rerunReasonOf(refusal('PayloadMismatch'), 0, 5)).toBeUndefined()
    expect(rerunReasonOf(new Error('node down'), 0, 5)).toBeUndefined()
  })
})
