import { blake2AsU8a } from '@polkadot/util-crypto'
import { bytesToHex, concatBytes, type Hex, hexToBytes, utf8 } from '../../bytes.js'
import { SubstrateRemarkError } from './SubstrateRemarkError.js'

/** Domain tag of Substrate request ids, so they cannot collide with any other blake2 hash teefn makes. */
export const substrateRequestIdContext = 'teefn/substrate-request/v2'
const context = utf8(substrateRequestIdContext)

export type DeriveRequestIdParameters = {
  /** The chain's genesis hash (32 bytes). */
  genesisHash: Hex
  /** blake2_256 of the request extrinsic's encoded bytes (what `signAndSend` reports as the tx hash). */
  extrinsicHash: Hex
  /** Position of the request's `remarkWithEvent` among all `remarkWithEvent` calls of the extrinsic, depth first (0 for a plain remark). */
  ordinal: number
  /** The account whose origin made the remark: `System.Remarked.sender` (AccountId32, 32 bytes). */
  origin: Hex
  /** The function the request remark names (32 bytes). */
  functionId: Hex
  /** keccak256 of the request remark's payload bytes (32 bytes). */
  payloadHash: Hex
}

/**
 * The requestId of a remark request (v2):
 *
 *   blake2_256("teefn/substrate-request/v2" || genesis hash || extrinsic hash || ordinal u32 LE ||
 *              origin (32) || functionId (32) || keccak256(payload) (32))
 *
 * It names the signed extrinsic, not the block it landed in: a requester knows it as soon as it has signed,
 * and a request re-included in another block after a reorg (best-head mode) keeps its id. It also commits
 * to the request's content (who asked, which function, what payload), so a job whose data was changed on the
 * way no longer matches its id: the worker recomputes it from the chain before it runs anything.
 */
export function deriveRequestId({
  genesisHash,
  extrinsicHash,
  ordinal,
  origin,
  functionId,
  payloadHash,
}: DeriveRequestIdParameters): Hex {
  if (!Number.isInteger(ordinal) || ordinal < 0 || ordinal > 0xffffffff)
    throw invalid('ordinal must be a u32')
  const index = new Uint8Array(4)
  new DataView(index.buffer).setUint32(0, ordinal, true)
  return bytesToHex(
    blake2AsU8a(
      concatBytes(
        context,
        bytes32('genesisHash', genesisHash),
        bytes32('extrinsicHash', extrinsicHash),
        index,
        bytes32('origin', origin),
        bytes32('functionId', functionId),
        bytes32('payloadHash', payloadHash),
      ),
      256,
    ),
  )
}

function bytes32(field: string, value: Hex): Uint8Array {
  const bytes = hexToBytes(value)
  if (bytes?.length !== 32) throw invalid(`${field} must be 32 bytes of 0x-hex`)
  return bytes
}

function invalid(details: string): SubstrateRemarkError {
  return new SubstrateRemarkError('Cannot derive a Substrate request id.', {
    code: 'INVALID_REMARK_INPUT',
    details,
  })
}
