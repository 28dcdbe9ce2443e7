import { bytesToHex, type Hex } from '../../runtime/bytes.js'
import { encodeQuorumResultRemark, encodeResultRemark } from '../../runtime/chain/substrate/remarkProtocol.js'
import type { SubstrateDelivery } from './SubstrateDelivery.js'
import type { SubstrateDeliveryData } from './SubstrateDeliveryData.js'

const zeroHash = `0x${'00'.repeat(32)}` as Hex

/**
 * The remark protocol's delivery: one `system.remarkWithEvent(result remark)` per envelope (or per quorum: one
 * quorum result remark with its envelopes), naming where its request was seen (the job's origin). Anyone can read it back and verify it (`teefn verify --substrate`);
 * the submitter batches several into `utility.batchAll`.
 */
export function createRemarkDelivery(): SubstrateDelivery {
  return {
    name: 'remark',
    // As hex: polkadot-js reads a Uint8Array given for `Bytes` as SCALE (length-prefixed) and would cut it.
    buildCall: (api, delivery) => api.tx.system.remarkWithEvent(bytesToHex(resultRemarkOf(delivery))),
  }
}

/** The result remark bytes of a delivery: a quorum result remark when it carries a quorum's envelopes. */
export function resultRemarkOf({ request, envelope, quorum }: SubstrateDeliveryData): Uint8Array {
  const reference = {
    blockHash: (request.origin?.blockHash as Hex | undefined) ?? zeroHash,
    extrinsicIndex: request.origin?.index ?? 0,
  }
  return quorum
    ? encodeQuorumResultRemark({ request: reference, envelopes: quorum.envelopes })
    : encodeResultRemark({ request: reference, envelope })
}
