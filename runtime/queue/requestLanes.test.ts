import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { useRedisServer } from '../../test/support/useRedisServer.js'
import { requestJobId } from './jobIds.js'
import { resolveRetention } from './jobOptions.js'
import type { RequestJobData } from './jobs.js'
import { applyRetention, queueKey } from './queues.js'
import {
  closeRequestQueues,
  getRequestJob,
  openRequestQueues,
  type RequestQueues,
  requestLaneOf,
} from './requestLanes.js'

let connection: Redis
let queues: RequestQueues
useRedisServer({ isolate: true }, (redis) => ({ connection } = redis))
beforeAll(() => {
  queues = openRequestQueues(connection)
})
afterAll(async () => {
  await closeRequestQueues(queues)
})

const requestOf = (trigger: RequestJobData['trigger'], n: number): RequestJobData => ({
  trigger,
  chainId: trigger === 'http' ? '0' : '31337',
  destination: `0x${'00'.repeat(20)}`,
  requestId: `0x${n.toString(16).padStart(64, '0')}`,
  functionId: `0x${'00'.repeat(32)}`,
  request: '',
  seenAt: n,
})

describe('request lanes', () => {
  it('puts HTTP invocations in their lane and every chain in the chain lane', () => {
    expect(requestLaneOf({ trigger: 'http' })).toBe('http')
    expect(requestLaneOf({ trigger: 'evm' })).toBe('chain')
    expect(requestLaneOf({ trigger: 'substrate' })).toBe('chain')
  })

  it('keeps each lane in its own queue, under the keys the queue module names', async () => {
    const http = requestOf('http', 1)
    const chain = requestOf('evm', 2)
    await queues.http.add('request', http, { jobId: requestJobId(http) })
    await queues.chain.add('request', chain, { jobId: requestJobId(chain) })
    expect(await connection.exists(queueKey('http-requests', requestJobId(http)))).toBe(1)
    expect(await connection.exists(queueKey('requests', requestJobId(chain)))).toBe(1)
    expect(await connection.exists(queueKey('requests', requestJobId(http)))).toBe(0)
    expect(queueKey('http-requests', 'events')).toBe('teefn:http-requests:events')
  })

  it('reads a job by its id in either lane, and an HTTP job queued before the lanes in the chain lane', async () => {
    const http = requestOf('http', 3)
    const chain = requestOf('substrate', 4)
    const legacy = requestOf('http', 5)
    await queues.http.add('request', http, { jobId: requestJobId(http) })
    await queues.chain.add('request', chain, { jobId: requestJobId(chain) })
    await queues.chain.add('request', legacy, { jobId: requestJobId(legacy) })
    expect((await getRequestJob(queues, requestJobId(http)))?.data.requestId).toBe(http.requestId)
    expect((await getRequestJob(queues, requestJobId(chain)))?.data.requestId).toBe(chain.requestId)
    expect((await getRequestJob(queues, requestJobId(legacy)))?.data.requestId).toBe(legacy.requestId)
    expect(await getRequestJob(queues, requestJobId(requestOf('http', 6)))).toBeUndefined()
  })

  it('bounds the event streams of both lanes by the retention', async () => {
    await applyRetention(connection, resolveRetention({ eventsMaxLen: 300 }))
    expect(await connection.hget(queueKey('requests', 'meta'), 'opts.maxLenEvents')).toBe('300')
    expect(await connection.hget(queueKey('http-requests', 'meta'), 'opts.maxLenEvents')).toBe('300')
  })
})
