import type { Main } from 'teefn/function'

/**
 * Reads a price from a JSON API and returns it ABI-encoded as a uint256 with 8 decimals, which the consumer
 * contract (contracts/PriceConsumer.sol) decodes. The request is the API's URL, answered with
 * `{ "price": 3000.5 }`: as text from `teefn run` and HTTP callers, as 0x-hex of its bytes from a contract.
 */
const main: Main = async (request, _secrets, context) => {
  const url = requestText(request)
  const response = await fetch(url)
  if (!response.ok) throw new Error(`${url} answered ${response.status}`)
  const { price } = (await response.json()) as { price?: unknown }
  if (typeof price !== 'number' || !Number.isFinite(price) || price < 0) {
    throw new Error(`${url} answered no price`)
  }
  console.log(`request ${context.requestId}: ${price}`)
  return `0x${BigInt(Math.round(price * 1e8))
    .toString(16)
    .padStart(64, '0')}`
}

export default main

/** The request as text: a contract's payload arrives as 0x-hex of its bytes. */
function requestText(request: string): string {
  if (!/^0x([0-9a-fA-F]{2})*$/.test(request)) return request
  const bytes = new Uint8Array((request.length - 2) / 2)
  for (let index = 0; index < bytes.length; index++) {
    bytes[index] = Number.parseInt(request.slice(2 + index * 2, 4 + index * 2), 16)
  }
  return new TextDecoder().decode(bytes)
}
