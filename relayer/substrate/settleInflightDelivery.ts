import { setTimeout as sleep } from 'node:timers/promises'
import type { ApiPromise } from '@polkadot/api'
import type { Hex } from '../../runtime/bytes.js'
import type { InflightRecord, SubstrateStateStore } from './createSubstrateStateStore.js'
import type { DeliveryReceipt } from './DeliveryReceipt.js'
import { findIncludedExtrinsic } from './findIncludedExtrinsic.js'
import { SubstrateRelayerError } from './SubstrateRelayerError.js'

export type SettleInflightDeliveryParameters = {
  api: ApiPromise
  store: SubstrateStateStore
  /** The fee payer (SS58) whose nonce the earlier attempt used. */
  address: string
  requestId: Hex
  /** The earlier attempt's in-flight marker. */
  marker: InflightRecord
  /** How long an attempt still in the node's pool is waited for before `DELIVERY_STILL_PENDING`. */
  timeoutMs: number
  /** Blocks searched for the earlier attempt (see `findIncludedExtrinsic`). */
  maxSearchBlocks: number
  /** How often the pool is looked at again while the attempt waits there; 1 s by default. */
  pollMs?: number | undefined
}

/**
 * Settles the earlier attempt of a retried delivery, the one its in-flight marker names: the receipt if it
 * landed (recorded as delivered), undefined when it never can (its nonce went to another extrinsic, it failed,
 * or it left the pool unused: seen twice, `pollMs` apart), so the delivery is sent again. While the attempt is still in the node's pool it
 * waits, up to `timeoutMs`: sending again then could deliver twice.
 */
export async function settleInflightDelivery({
  api,
  store,
  address,
  requestId,
  marker,
  timeoutMs,
  maxSearchBlocks,
  pollMs = 1_000,
}: SettleInflightDeliveryParameters): Promise<DeliveryReceipt | undefined> {
  const deadline = Date.now() + timeoutMs
  let goneBefore = false
  for (;;) {
    // The pool before the nonce: an attempt included between the two reads shows as a used nonce.
    const pool = await api.rpc.author.pendingExtrinsics()
    const account = await api.query.system.account(address)
    if (account.nonce.toNumber() > marker.nonce) {
      const found = await findIncludedExtrinsic(api, {
        txHash: marker.txHash,
        fromBlock: marker.sentAtBlock,
        maxSearchBlocks,
      })
      if (found && !found.failed) {
        const { blockHash, index: extrinsicIndex } = found
        await store.markDelivered([{ requestId, record: { blockHash, extrinsicIndex, by: 'submitter' } }])
        await store.clearInflight([requestId])
        return { requestId, blockHash, extrinsicIndex, alreadyDelivered: true }
      }
      // Its nonce went to another extrinsic (or it failed): the earlier attempt can never land.
      await store.clearInflight([requestId])
      return undefined
    }
    const inPool = pool.some((extrinsic) => extrinsic.hash.toHex() === marker.txHash)
    if (!inPool && goneBefore) {
      // Neither included nor pending here, twice: dropped. See the README for the one case this cannot rule out.
      await store.clearInflight([requestId])
      return undefined
    }
    // Seen gone once: a node may take it out of its pool a moment before the block that holds it is the best
    // (chopsticks does, while it builds), so look once more before sending again.
    goneBefore = !inPool
    if (inPool && Date.now() > deadline) {
      throw new SubstrateRelayerError('An earlier delivery is still in the pool.', {
        code: 'DELIVERY_STILL_PENDING',
        details: `extrinsic ${marker.txHash} with nonce ${marker.nonce}`,
        hint: 'The delivery is retried by the queue once the node has included or dropped it.',
      })
    }
    await sleep(pollMs)
  }
}
