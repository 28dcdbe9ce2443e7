import { getAddress, verifyMessage } from 'ethers'
import type { Hex } from '../runtime/bytes.js'
import { ApiError } from './ApiError.js'

/** How old (and how far in the future) a signed timestamp may be. */
export type SignatureWindow = {
  /** Seconds; default 300. */
  maxAgeSeconds?: number | undefined
  /** Seconds of clock skew; default 30. */
  maxSkewSeconds?: number | undefined
}

export type VerifyOwnerSignatureParameters = {
  /** The three headers, all present (the caller decides what their absence means). */
  headers: { owner: string; timestamp: string; signature: string }
  /** The text signed for a timestamp and a node origin. */
  messageFor: (timestamp: number, origin: string) => string
  /** The node origins a signature may name (`acceptedOrigins`); the first is the one hints show. */
  origins: readonly string[]
  window: SignatureWindow
  /** Unix seconds; now by default. */
  now?: number | undefined
}

/**
 * Checks an EIP-191 signature by a declared owner over a message that names a recent timestamp and this node's
 * origin, and returns the owner (EIP-55). 401 `SIGNATURE_EXPIRED` outside the window, 401 `SIGNATURE_INVALID`
 * when malformed or when no accepted origin makes it recover to the owner (a signature for another node included).
 */
export function verifyOwnerSignature({
  headers,
  messageFor,
  origins,
  window,
  now = Math.floor(Date.now() / 1000),
}: VerifyOwnerSignatureParameters): Hex {
  const owner = getAddress(headers.owner.toLowerCase()) as Hex
  const timestamp = Number(headers.timestamp)
  const maxAge = window.maxAgeSeconds ?? 300
  const maxSkew = window.maxSkewSeconds ?? 30
  if (timestamp > now + maxSkew) {
    throw new ApiError(
      `the signed timestamp ${timestamp} is ${timestamp - now} s in the future (at most ${maxSkew} s of clock skew is accepted).`,
      { code: 'SIGNATURE_EXPIRED', hint: "Check the signer's clock." },
    )
  }
  if (timestamp < now - maxAge) {
    throw new ApiError(
      `the signature is stale: signed at ${timestamp}, ${now - timestamp} s ago; at most ${maxAge} s is accepted.`,
      { code: 'SIGNATURE_EXPIRED', hint: 'Sign again with the current time.' },
    )
  }
  if (origins.length === 0) {
    throw new ApiError('this server has no public URL, so no signature can name it.', {
      code: 'SIGNATURE_INVALID',
      hint: 'The operator sets server.publicUrl; until then use an operator API key.',
    })
  }
  for (const origin of origins) {
    let signer: string
    try {
      signer = verifyMessage(messageFor(timestamp, origin), headers.signature)
    } catch {
      throw new ApiError('the signature is not a valid 65-byte secp256k1 signature.', {
        code: 'SIGNATURE_INVALID',
      })
    }
    if (signer === owner) return owner
  }
  throw new ApiError(
    `the signature does not come from ${owner} for "${messageFor(timestamp, origins[0]!)}".`,
    {
      code: 'SIGNATURE_INVALID',
      hint: 'Sign exactly this message with the owner key; a signature made for another node (another URL) is refused here.',
    },
  )
}
