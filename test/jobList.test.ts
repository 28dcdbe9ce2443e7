import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runTeefn } from './support/runTeefn.js'
import { until } from './support/stackChecks.js'
import { startTeefnStack, type TeefnStack } from './support/startTeefnStack.js'

// Issue 13, visible deliveries: jobs can be listed (chain jobs to anyone, HTTP jobs to the operator), each with a
// short id for display, and a chain job's read shows its delivery as the chain has it.

type Listed = {
  jobId: string
  shortId: string
  state: string
  trigger: string
  functionId: string
  queuedAt: number
}
type Delivery = { state: string; attempts: number; transactionHash?: string; blockNumber?: number }

const operatorKey = 'operator-key-list'
let stack: TeefnStack
let apiUrl: string

beforeAll(async () => {
  stack = await startTeefnStack({ server: true, apiKey: operatorKey })
  apiUrl = stack.node.serverUrl!
})

afterAll(async () => {
  await stack?.close()
})

const list = async (query = '', headers: Record<string, string> = {}) => {
  const response = await fetch(`${apiUrl}/v1/jobs${query}`, { headers })
  expect(response.status, await response.clone().text()).toBe(200)
  return ((await response.json()) as { jobs: Listed[] }).jobs
}

describe('GET /v1/jobs and teefn jobs list', { timeout: 120_000 }, () => {
  it('lists chain jobs to anyone and HTTP jobs to the operator, newest first, by function and state', async () => {
    const echo = await stack.register(`export default (request) => 'listed ' + request`, 'job list: echo')
    const other = await stack.register(`export default () => 'other'`, 'job list: other')
    const sent = [
      await stack.request(echo.functionId, '0x01'),
      await stack.request(echo.functionId, '0x02'),
      await stack.request(other.functionId, '0x03'),
    ]
    const { codeHash } = await stack.store.putFunction(`export default () => 'over http'`)
    const invoked = await fetch(`${apiUrl}/v1/functions/${codeHash}/invoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ request: 'x' }),
    })
    expect(invoked.status).toBe(200)
    const chainIds = sent.map(({ requestId }) => stack.jobIdOf(requestId))
    await until('the chain jobs to complete', async () => {
      const jobs = await list('?state=completed')
      return chainIds.every((id) => jobs.some((job) => job.jobId === id))
    })

    const anyone = await list()
    expect(anyone.map((job) => job.trigger)).not.toContain('http')
    expect(anyone.slice(0, 3).map((job) => job.jobId)).toEqual([...chainIds].reverse())
    for (const [index, job] of anyone.slice(0, 3).reverse().entries()) {
      expect(job.shortId).toBe(`evm:${sent[index]!.requestId.slice(2, 12)}`)
    }
    const operator = await list('', { 'x-api-key': operatorKey })
    expect(operator.filter((job) => job.trigger === 'http')).toHaveLength(1)

    const byFunction = await list(`?function=${echo.functionId}`)
    expect(byFunction.map((job) => job.jobId).sort()).toEqual(chainIds.slice(0, 2).sort())
    expect(await list(`?function=${echo.functionId}&state=failed`)).toEqual([])
    expect((await list('?limit=1')).map((job) => job.jobId)).toEqual([chainIds[2]])
    const wrongKey = await fetch(`${apiUrl}/v1/jobs`, { headers: { 'x-api-key': 'nope' } })
    expect(wrongKey.status).toBe(401)
    const badLimit = await fetch(`${apiUrl}/v1/jobs?limit=1000`)
    expect(badLimit.status).toBe(400)

    const cli = await runTeefn(['jobs', 'list', '--server', apiUrl, '--function', echo.functionId])
    expect(cli.status, cli.stderr).toBe(0)
    const lines = cli.stdout.trim().split('\n')
    expect(lines).toHaveLength(2)
    expect(lines[0]).toMatch(new RegExp(`^evm:${sent[1]!.requestId.slice(2, 12)} +completed `))
  })

  it("shows a chain job's delivery: the transaction and block the chain has", async () => {
    const fn = await stack.register(`export default () => 'delivered'`, 'job list: delivery')
    const sent = await stack.request(fn.functionId, '0x')
    const jobId = stack.jobIdOf(sent.requestId)
    const delivery = await until('the delivery', async () => {
      const response = await fetch(`${apiUrl}/v1/jobs/${jobId}`)
      const body = (await response.json()) as { delivery?: Delivery }
      return body.delivery?.state === 'delivered' ? body.delivery : undefined
    })
    const { consumer } = stack.chains[0]!
    const receipt = await consumer.runner!.provider!.getTransactionReceipt(delivery.transactionHash!)
    expect(receipt).toMatchObject({ status: 1, blockNumber: delivery.blockNumber })
    expect(receipt!.to!.toLowerCase()).toBe(String(consumer.target).toLowerCase())

    const cli = await runTeefn(['jobs', jobId, '--server', apiUrl])
    expect(cli.stdout).toContain(
      `delivery delivered (tx ${delivery.transactionHash}, block ${delivery.blockNumber})`,
    )
  })
})
