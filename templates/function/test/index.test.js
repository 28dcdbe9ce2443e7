// Runs src/index.ts in teefn's sandbox, as a worker runs it, with its fetches answered by HTTP mocks instead of the
// network, under the same fetch limits a worker applies. `teefn run --mock <file>` does the same from a JSON file.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { runFunction } from 'teefn/testing'

const entry = fileURLToPath(new URL('../src/index.ts', import.meta.url))
const priceUrl = 'https://api.example.com/price'

/** Runs the function once with `request` while the price API answers `status` and `json`; resolves with its report. */
function runFunctionWithApi(request, status, json) {
  return runFunction({ entry, request, mocks: [{ request: { url: priceUrl }, response: { status, json } }] })
}

const uint256 = (value) => `0x${value.toString(16).padStart(64, '0')}`

test('returns the price as a uint256 with 8 decimals', async () => {
  const report = await runFunctionWithApi(priceUrl, 200, { price: 3000.5 })
  assert.equal(report.ok, true, report.error?.message)
  assert.equal(report.result, uint256(300_050_000_000n))
  assert.equal(report.stats.fetches, 1)
})

test('reads the URL from a contract request (0x-hex of its bytes)', async () => {
  const report = await runFunctionWithApi(`0x${Buffer.from(priceUrl).toString('hex')}`, 200, { price: 1 })
  assert.equal(report.result, uint256(100_000_000n))
})

test('fails, naming the line in src/index.ts, when the API answers an error', async () => {
  const report = await runFunctionWithApi(priceUrl, 503, { error: 'busy' })
  assert.equal(report.ok, false)
  assert.equal(report.error.code, 'FUNCTION_ERROR')
  assert.match(report.error.message, /answered 503/)
  assert.match(report.error.message, /src\/index\.ts:\d+:\d+/)
})
