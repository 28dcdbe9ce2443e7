/**
 * Content hash: fetches a document and returns keccak256 of its bytes as a bytes32, so a contract can
 * commit to what a URL served at a moment. It uses an npm dependency (`@noble/hashes`), which
 * `teefn build` bundles into the function.
 *
 * The request is the URL (a plain string, or 0x-hex of its UTF-8 bytes).
 */
import { keccak_256 } from '@noble/hashes/sha3'
import { requestText } from '../lib/requestText.js'
import type { Main } from '../types.js'

const main: Main = async (request) => {
  const url = requestText(request)
  const response = await fetch(url)
  if (!response.ok) throw new Error(`${url} answered ${response.status}`)
  const body = new Uint8Array(await response.arrayBuffer())
  console.log(`${url}: ${body.length} bytes`)
  return keccak_256(body)
}

export default main
