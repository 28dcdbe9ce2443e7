import { bytesToHex, type Hex } from '../../runtime/bytes.js'
import { encodeResultRemark } from '../../runtime/chain/substrate/remarkProtocol.js'
import type { DeliveryJobData } from '../../runtime/queue/jobs.js'
import type { SubstrateDelivery } from './SubstrateDelivery.js'

const zeroHash = `0x${'00'.repeat(32)}` as Hex

/**
 * The remark protocol's delivery: one `system.remarkWithEvent(result remark)` per envelope, naming where its
 * request was seen (the job's origin). Anyone can read it back and verify it (`teefn verify --substrate`);
 * the submitter batches several into `utility.batchAll`.
 */
export function createRemarkDelivery(): SubstrateDelivery {
  return {
    name: 'remark',
    // As hex: polkadot-js reads a Uint8Array given for `Bytes` as SCALE (length-prefixed) and would cut it.
    buildCall: (api, delivery) => api.tx.system.remarkWithEvent(bytesToHex(resultRemarkOf(delivery))),
  }
}

/** The result remark bytes of a delivery. */
export function resultRemarkOf({ request, envelope }: DeliveryJobData): Uint8Array {
  return encodeResultRemark({
    request: {
      blockHash: (request.origin?.blockHash as Hex | undefined) ?? zeroHash,
      extrinsicIndex: request.origin?.index ?? 0,
    },
    envelope,
  })
}
