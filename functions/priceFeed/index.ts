/**
 * Price feed: asks several sources for a price, takes the median of those that answered, and returns it
 * ABI-encoded as a uint256 with `decimals` decimals (what `PriceOracle` decodes on-chain).
 *
 * The request is JSON, or 0x-hex of JSON bytes when it comes from a contract:
 * `{ "sources": [{ "url": "https://...", "path": "data.price" }], "decimals": 8 }`.
 * At least half of the sources (rounded up) must answer, or the function fails rather than report a
 * price few sources agree on.
 */
import { requestText } from '../lib/requestText.js'
import type { Main } from '../types.js'

type PriceSource = { url: string; path: string }
type PriceRequest = { sources: PriceSource[]; decimals?: number }

const main: Main = async (request) => {
  const { sources, decimals = 8 } = parseRequest(request)
  const settled = await Promise.allSettled(sources.map(readPrice))
  const prices: number[] = []
  settled.forEach((outcome, index) => {
    if (outcome.status === 'fulfilled') prices.push(outcome.value)
    else console.warn(`source ${index} failed: ${(outcome.reason as Error).message}`)
  })
  const quorum = Math.ceil(sources.length / 2)
  if (prices.length < quorum) {
    throw new Error(`only ${prices.length} of ${sources.length} sources answered; ${quorum} are needed`)
  }
  const price = median(prices)
  console.log(`median of ${prices.length} prices: ${price}`)
  return encodeUint256(toFixedPoint(price, decimals))
}

export default main

function parseRequest(request: string): PriceRequest {
  const parsed = JSON.parse(requestText(request)) as PriceRequest
  if (!Array.isArray(parsed.sources) || parsed.sources.length === 0) {
    throw new Error('the request must list at least one source: {"sources":[{"url":"...","path":"price"}]}')
  }
  return parsed
}

async function readPrice({ url, path }: PriceSource): Promise<number> {
  const response = await fetch(url, { headers: { accept: 'application/json' } })
  if (!response.ok) throw new Error(`HTTP ${response.status} from ${url}`)
  let value: unknown = await response.json()
  for (const key of path.split('.')) value = (value as Record<string, unknown>)?.[key]
  const price = typeof value === 'string' ? Number(value) : value
  if (typeof price !== 'number' || !Number.isFinite(price) || price <= 0) {
    throw new Error(`no positive number at "${path}" in the answer of ${url}`)
  }
  return price
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

/** The price as an integer with `decimals` decimals, exactly as its decimal string reads (no float drift). */
function toFixedPoint(price: number, decimals: number): bigint {
  const [whole = '0', fraction = ''] = price.toFixed(decimals).split('.')
  return BigInt(whole + fraction.padEnd(decimals, '0'))
}

function encodeUint256(value: bigint): string {
  return `0x${value.toString(16).padStart(64, '0')}`
}
