import { blake2AsU8a } from '@polkadot/util-crypto'
import { bytesToHex, concatBytes, type Hex, hexToBytes, utf8 } from '../../enclave/bytes.js'
import { SubstrateRemarkError } from './SubstrateRemarkError.js'

/** Domain tag of Substrate request ids, so they cannot collide with any other blake2 hash teefn makes. */
export const substrateRequestIdContext = 'teefn/substrate-request/v1'
const context = utf8(substrateRequestIdContext)

export type DeriveRequestIdParameters = {
  /** The chain's genesis hash (32 bytes). */
  genesisHash: Hex
  /** blake2_256 of the request extrinsic's encoded bytes (what `signAndSend` reports as the tx hash). */
  extrinsicHash: Hex
  /** Position of the request's `remarkWithEvent` among all `remarkWithEvent` calls of the extrinsic, depth first (0 for a plain remark). */
  ordinal: number
}

/**
 * The requestId of a remark request: blake2_256("teefn/substrate-request/v1" || genesis hash ||
 * extrinsic hash || ordinal as u32 LE).
 *
 * It names the signed extrinsic, not the block it landed in: a requester knows it as soon as it has signed,
 * and a request re-included in another block after a reorg (best-head mode) keeps its id, so it is one job
 * and one result. A signed extrinsic cannot be included twice (its nonce), so the id is unique on the chain.
 */
export function deriveRequestId({ genesisHash, extrinsicHash, ordinal }: DeriveRequestIdParameters): Hex {
  const genesis = hexToBytes(genesisHash)
  const extrinsic = hexToBytes(extrinsicHash)
  if (genesis?.length !== 32) throw invalid('genesisHash must be 32 bytes of 0x-hex')
  if (extrinsic?.length !== 32) throw invalid('extrinsicHash must be 32 bytes of 0x-hex')
  if (!Number.isInteger(ordinal) || ordinal < 0 || ordinal > 0xffffffff)
    throw invalid('ordinal must be a u32')
  const index = new Uint8Array(4)
  new DataView(index.buffer).setUint32(0, ordinal, true)
  return bytesToHex(blake2AsU8a(concatBytes(context, genesis, extrinsic, index), 256))
}

function invalid(details: string): SubstrateRemarkError {
  return new SubstrateRemarkError('INVALID_REMARK_INPUT', 'Cannot derive a Substrate request id.', {
    details,
  })
}
