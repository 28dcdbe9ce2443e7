// Runs src/index.ts in teefn's sandbox, as a worker runs it (`teefn run --json`), against a price API served
// on 127.0.0.1 by the test itself: no network, and the same fetch policy a worker applies.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { createServer } from 'node:http'
import { dirname, join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

const project = fileURLToPath(new URL('..', import.meta.url))
const teefn = join(dirname(fileURLToPath(import.meta.resolve('teefn/package.json'))), 'bin', 'teefn.js')

/** Runs the function once with `request`; resolves with the report `teefn run --json` prints. */
function runFunction(request, allowHost) {
  const args = [teefn, 'run', 'src/index.ts', '--request', request, '--allow-host', allowHost, '--json']
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { cwd: project }, (error, stdout, stderr) => {
      // Exit status 1 is a function that failed: its report says why.
      if (error && error.code !== 1) reject(new Error(`teefn run failed: ${stderr || error.message}`))
      else resolve(JSON.parse(stdout))
    })
  })
}

/** Serves `answer` (status and body) on a free port of 127.0.0.1 for the test's duration. */
async function priceApi(t, status, body) {
  const server = createServer((_request, response) => {
    response.writeHead(status, { 'content-type': 'application/json' })
    response.end(JSON.stringify(body))
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => server.close())
  const host = `127.0.0.1:${server.address().port}`
  return { url: `http://${host}/price`, host }
}

const uint256 = (value) => `0x${value.toString(16).padStart(64, '0')}`

test('returns the price as a uint256 with 8 decimals', async (t) => {
  const api = await priceApi(t, 200, { price: 3000.5 })
  const report = await runFunction(api.url, api.host)
  assert.equal(report.ok, true, report.error?.message)
  assert.equal(report.result, uint256(300_050_000_000n))
  assert.equal(report.stats.fetches, 1)
})

test('reads the URL from a contract request (0x-hex of its bytes)', async (t) => {
  const api = await priceApi(t, 200, { price: 1 })
  const report = await runFunction(`0x${Buffer.from(api.url).toString('hex')}`, api.host)
  assert.equal(report.result, uint256(100_000_000n))
})

test('fails, naming the line in src/index.ts, when the API answers an error', async (t) => {
  const api = await priceApi(t, 503, { error: 'busy' })
  const report = await runFunction(api.url, api.host)
  assert.equal(report.ok, false)
  assert.equal(report.error.code, 'FUNCTION_ERROR')
  assert.match(report.error.message, /answered 503/)
  assert.match(report.error.message, /src\/index\.ts:\d+:\d+/)
})
