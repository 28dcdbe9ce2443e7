import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import Fastify from 'fastify'
import { type Browser, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bytesToHex } from '../runtime/bytes.js'
import { resultHashOf } from '../runtime/enclave/envelope.js'
import { until } from './support/stackChecks.js'
import { startTeefnStack, type TeefnStack } from './support/startTeefnStack.js'

// Issue 13, a web dashboard: `teefn node` serves /ui, which shows jobs (with delivery and envelope verification),
// the worker's attestation and admission, and queue depths and latencies, from the API alone. Driven in Debian's
// headless Chromium against a real stack (anvil, redis-server, the node).

const chromiumPath = '/usr/bin/chromium'
const operatorKey = 'operator-key-ui'
const artifacts = join(process.cwd(), 'test-artifacts', 'ui')

type Delivery = { state: string; transactionHash?: string; blockNumber?: number }

// The only skip: without a Chromium binary there is no browser to drive (install it: apt-get install chromium).
describe.skipIf(!existsSync(chromiumPath))('the dashboard at /ui', { timeout: 180_000 }, () => {
  let stack: TeefnStack
  let apiUrl: string
  let browser: Browser

  beforeAll(async () => {
    stack = await startTeefnStack({ server: true, apiKey: operatorKey })
    apiUrl = stack.node.serverUrl!
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    })
    await mkdir(artifacts, { recursive: true })
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    await stack?.close()
  })

  const deliveryOf = async (jobId: string) => {
    const body = (await (await fetch(`${apiUrl}/v1/jobs/${jobId}`)).json()) as { delivery?: Delivery }
    return body.delivery?.state === 'delivered' ? body.delivery : undefined
  }

  const rowOf = (page: Page, jobId: string) => page.locator(`#jobs tr[data-job-id="${jobId}"]`)

  it('shows jobs, deliveries, verified and tampered envelopes, the worker and the queues; HTTP jobs only with the key', async () => {
    const fn = await stack.register(`export default (request) => 'dashboard ' + request`, 'ui: echo')
    const sent = [await stack.request(fn.functionId, '0x01'), await stack.request(fn.functionId, '0x02')]
    const [honestId, tamperedId] = sent.map(({ requestId }) => stack.jobIdOf(requestId)) as [string, string]
    const { codeHash } = await stack.store.putFunction(`export default () => 'over http'`)
    const invoked = await fetch(`${apiUrl}/v1/functions/${codeHash}/invoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ request: 'x' }),
    })
    expect(invoked.status).toBe(200)
    const httpJobId = ((await invoked.json()) as { jobId: string }).jobId
    const delivery = await until('the first delivery', () => deliveryOf(honestId), 60_000)
    await until('the second delivery', () => deliveryOf(tamperedId), 60_000)

    // Whoever controls Redis can change what the API serves: here the second job's stored result is replaced and
    // its result hash recomputed, so only the worker's signature can tell. The page must say so.
    const stored = await stack.requests.getJob(tamperedId)
    const forged = new TextEncoder().encode('forged')
    const tampered = {
      ...stored!.returnvalue,
      envelope: {
        ...stored!.returnvalue.envelope,
        result: bytesToHex(forged),
        resultHash: bytesToHex(resultHashOf(forged)),
      },
    }
    await stack.connection.hset(stack.requests.toKey(tamperedId), 'returnvalue', JSON.stringify(tampered))

    const page = await browser.newPage()
    const requested: string[] = []
    const problems: string[] = []
    page.on('request', (request) => requested.push(request.url()))
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text())
    })
    page.on('pageerror', (error) => problems.push(error.message))
    const response = await page.goto(`${apiUrl}/ui`)
    expect(response!.status()).toBe(200)
    expect(response!.headers()['content-security-policy']).toContain("script-src 'self'")

    const honest = rowOf(page, honestId)
    await honest.locator('.job-envelope').getByText('verified', { exact: true }).waitFor({ timeout: 30_000 })
    expect(await honest.locator('.job-short-id').textContent()).toBe(`evm:${sent[0]!.requestId.slice(2, 12)}`)
    expect(await honest.locator('.job-state').textContent()).toBe('completed')
    expect(await honest.locator('.job-delivery').textContent()).toBe('delivered')
    await expect
      .poll(() => honest.locator('.job-transaction').textContent(), { timeout: 10_000 })
      .toContain(delivery.transactionHash!)
    const forgedCell = rowOf(page, tamperedId).locator('.job-envelope')
    await forgedCell.getByText(/^not verified/).waitFor()
    expect(await forgedCell.textContent()).toContain("not the envelope's worker")

    expect(await page.locator('#worker-address').textContent()).toBe(stack.worker.evmAddress)
    expect(await page.locator('#worker-provider').textContent()).toContain('dev')
    expect(await page.locator('#worker-measurement').textContent()).toMatch(/^0x[0-9a-f]+$/)
    const admission = page.locator('#admissions tr[data-chain-id="31337"]')
    expect(await admission.locator('.admission').textContent()).toBe('admitted')
    const [attestationHash, expiresAt] = await stack.chains[0]!.f.registry.workerInfo(stack.worker.evmAddress)
    expect(await admission.locator('.admission-expires').textContent()).toContain(
      new Date(Number(expiresAt) * 1000).toISOString(),
    )
    expect(await admission.locator('.admission-attestation code').getAttribute('title')).toBe(attestationHash)
    expect(await page.locator('#queues tr[data-lane="chain"] .count-completed').textContent()).toMatch(
      /^[1-9]/,
    )
    const chart = page.locator('#queue-chart')
    expect(Number(await chart.getAttribute('data-points'))).toBeGreaterThan(0)
    expect(await chart.locator('polyline').count()).toBe(2)
    expect(await chart.locator('circle').count()).toBeGreaterThanOrEqual(2)
    const latency = page.locator('#latency-chart')
    expect(Number(await latency.getAttribute('data-points'))).toBeGreaterThanOrEqual(2)
    expect(await latency.locator('g[data-run-ms] rect').count()).toBeGreaterThanOrEqual(4)
    expect(await page.locator(`#functions tr[data-code-hash]`).count()).toBeGreaterThan(0)

    // Read-only without the key: no HTTP job.
    expect(await page.locator('#jobs tr[data-trigger="http"]').count()).toBe(0)
    const before = join(artifacts, 'dashboard-read-only.png')
    await page.screenshot({ path: before, fullPage: true })

    await page.fill('#operator-key', operatorKey)
    await page.click('#operator-save')
    const httpRow = rowOf(page, httpJobId)
    await httpRow.waitFor({ timeout: 30_000 })
    expect(await httpRow.getAttribute('data-trigger')).toBe('http')
    await httpRow.locator('.job-envelope').getByText('verified', { exact: true }).waitFor()
    expect(await page.evaluate("sessionStorage.getItem('teefn.operatorKey')")).toBe(operatorKey)
    const after = join(artifacts, 'dashboard-operator.png')
    await page.screenshot({ path: after, fullPage: true })

    await page.click('#operator-clear')
    await until('the HTTP job to be hidden again', async () =>
      (await page.locator('#jobs tr[data-trigger="http"]').count()) === 0 ? true : undefined,
    )

    process.stdout.write(`dashboard screenshots (Chromium ${browser.version()}): ${before} ${after}\n`)
    expect(problems).toEqual([])
    expect(requested.length).toBeGreaterThan(5)
    for (const url of requested) expect(new URL(url).hostname).toBe('127.0.0.1')
    await page.close()
  })
})

describe('the built dashboard', () => {
  it('is served from dist/ as the built `teefn node` serves it, the same module the sources bundle', async () => {
    const built = join(process.cwd(), 'dist', 'server', 'plugins', 'ui.js')
    const { uiPlugin } = (await import(built)) as typeof import('../server/plugins/ui.js')
    const fromSources = (await import('../server/plugins/ui.js')).uiPlugin
    const serve = async (plugin: typeof uiPlugin, url: string) => {
      const app = Fastify()
      await app.register(plugin)
      const response = await app.inject({ url })
      await app.close()
      return response
    }
    for (const url of ['/ui', '/ui/dashboard.css', '/ui/dashboard.js']) {
      const [fromDist, fromSource] = await Promise.all([serve(uiPlugin, url), serve(fromSources, url)])
      expect(fromDist.statusCode, url).toBe(200)
      expect(fromDist.headers['content-security-policy']).toContain("script-src 'self'")
      expect(fromDist.body).toBe(fromSource.body)
    }
    const page = await serve(uiPlugin, '/ui')
    expect(page.body).toContain('<script type="module" src="/ui/dashboard.js"></script>')
    expect(page.body).not.toMatch(/<script>|<script [^>]*>[^<]/)
    expect((await serve(uiPlugin, '/ui/dashboard.js')).body).not.toMatch(/\bimport\s*\(|^import\s/m)
  })
})
