import type { ApiPromise } from '@polkadot/api'
import type { SubmittableExtrinsic } from '@polkadot/api/types'
import type { KeyringPair } from '@polkadot/keyring/types'
import type { Logger } from '../../runtime/logging/createLogger.js'
import { createNonceManager } from '../shared/createNonceManager.js'
import { buildDeliveryExtrinsic } from './buildDeliveryExtrinsic.js'
import type { SubstrateStateStore } from './createSubstrateStateStore.js'
import type { DeliveryReceipt } from './DeliveryReceipt.js'
import type { SubstrateDelivery } from './SubstrateDelivery.js'
import type { SubstrateDeliveryData } from './SubstrateDeliveryData.js'
import { SubstrateRelayerError } from './SubstrateRelayerError.js'
import { type Inclusion, type NotIncludedError, submitAndWatch } from './submitAndWatch.js'

export type CreateSubstrateDeliverySenderParameters = {
  api: ApiPromise
  /** The fee payer: signs with explicit nonces. */
  signer: KeyringPair
  store: SubstrateStateStore
  delivery: SubstrateDelivery
  inclusion: 'inBlock' | 'finalized'
  inclusionTimeoutMs: number
  logger?: Logger | undefined
}

export type SubstrateDeliverySenderStats = {
  /** Extrinsics sent, and those included with success. */
  sent: number
  included: number
  /** Envelopes delivered. */
  delivered: number
  /** Extrinsics refused by the node and sent again at once with a fresh nonce. */
  resubmitted: number
  /** Extrinsics dropped, failed or not included in time: their jobs are retried by the queue. */
  failed: number
  /** Nonce re-reads from the node after a failure. */
  nonceResyncs: number
}

export type SubstrateDeliverySender = {
  /** Delivers the envelopes in one extrinsic and settles each: its receipt, or why it was not delivered. */
  send(deliveries: readonly SubstrateDeliveryData[]): Promise<PromiseSettledResult<DeliveryReceipt>[]>
  stats(): SubstrateDeliverySenderStats
}

/** Sends of an extrinsic the node refused (it can never land) made again at once, with a fresh nonce. */
const maxResubmits = 2

/**
 * Sends groups of deliveries as one extrinsic each, signed by the fee payer with local nonces (read from the
 * node at start and after any failure). Before an extrinsic goes out, an in-flight marker (nonce, hash, best
 * block) is stored for each of its requests, so a retry can settle this attempt first; on inclusion the
 * requests are indexed as delivered. A refusal (stale nonce, `Invalid`) cannot land: sent again at once, twice
 * at most. A drop or a timeout may still land: the marker stays and the job's retry settles it.
 */
export function createSubstrateDeliverySender({
  api,
  signer,
  store,
  delivery,
  inclusion,
  inclusionTimeoutMs,
  logger,
}: CreateSubstrateDeliverySenderParameters): SubstrateDeliverySender {
  const address = signer.address
  const nonces = createNonceManager({
    readNonce: async () => (await api.rpc.system.accountNextIndex(address)).toNumber(),
  })
  const stats: SubstrateDeliverySenderStats = {
    sent: 0,
    included: 0,
    delivered: 0,
    resubmitted: 0,
    failed: 0,
    nonceResyncs: 0,
  }

  /** Signs `extrinsic` with the next nonce, marks its requests in flight, sends it, and waits for inclusion. */
  const sendOnce = async (
    extrinsic: SubmittableExtrinsic<'promise'>,
    deliveries: SubstrateDeliveryData[],
  ) => {
    const ids = deliveries.map((data) => data.envelope.requestId)
    const { nonce, txHash } = await nonces.send(async (nonce) => {
      await extrinsic.signAsync(signer, { nonce })
      const txHash = extrinsic.hash.toHex()
      const sentAtBlock = (await api.rpc.chain.getHeader()).number.toNumber()
      await store.setInflight(ids, { nonce, txHash, sentAtBlock, sentAt: Date.now() })
      return { nonce, txHash }
    })
    const submittedAt = Date.now()
    stats.sent++
    let included: Inclusion
    try {
      included = await submitAndWatch(api, extrinsic, { until: inclusion, timeoutMs: inclusionTimeoutMs })
    } catch (error) {
      nonces.reset()
      stats.nonceResyncs++
      // Only a refusal says it cannot land; any other failure may hide an included extrinsic, so the marker
      // stays and the retry settles it.
      if ((error as Partial<NotIncludedError>).canLand === false) await store.clearInflight(ids)
      else {
        stats.failed++
        logger?.warn(
          { nonce, txHash, batch: ids.length, err: (error as NotIncludedError).details },
          'delivery not confirmed; will retry',
        )
      }
      throw error
    }
    if (included.failed) {
      // Included but failed (batchAll reverts all): nothing was delivered, and this nonce is used up.
      stats.failed++
      await store.clearInflight(ids)
      throw new SubstrateRelayerError('The delivery extrinsic failed.', {
        code: 'DELIVERY_NOT_INCLUDED',
        details: `${included.failed} in block ${included.blockHash}`,
        hint: 'Check the fee payer balance and the runtime limits on remarks and batches.',
      })
    }
    const { blockHash, index: extrinsicIndex } = included
    stats.included++
    stats.delivered += ids.length
    await store.markDelivered(
      ids.map((requestId) => ({
        requestId,
        record: { blockHash, extrinsicIndex, by: 'submitter' as const },
      })),
    )
    await store.clearInflight(ids)
    logger?.info(
      { block: blockHash, extrinsic: extrinsicIndex, nonce, batch: ids.length },
      'results delivered',
    )
    const includedAt = Date.now()
    return ids.map(
      (requestId): DeliveryReceipt => ({
        requestId,
        blockHash,
        extrinsicIndex,
        alreadyDelivered: false,
        nonce,
        batchSize: ids.length,
        submittedAt,
        includedAt,
      }),
    )
  }

  return {
    async send(deliveries) {
      const { extrinsic, errors } = buildDeliveryExtrinsic({ api, delivery, deliveries })
      const results = errors.map((error) =>
        error ? ({ status: 'rejected', reason: error } as const) : undefined,
      )
      const built = deliveries.filter((_, index) => !errors[index])
      let outcome: PromiseSettledResult<DeliveryReceipt[]> | undefined
      for (let attempt = 0; extrinsic && !outcome; attempt++) {
        // A fresh extrinsic for every attempt: each is signed with its own nonce.
        const next =
          attempt === 0 ? extrinsic : buildDeliveryExtrinsic({ api, delivery, deliveries: built }).extrinsic!
        try {
          outcome = { status: 'fulfilled', value: await sendOnce(next, built) }
        } catch (error) {
          const refused = (error as Partial<NotIncludedError>).canLand === false
          if (!refused || attempt >= maxResubmits) outcome = { status: 'rejected', reason: error }
          else {
            stats.resubmitted++
            logger?.warn(
              { batch: built.length, err: (error as NotIncludedError).details },
              'delivery refused; sending again with a fresh nonce',
            )
          }
        }
      }
      let builtIndex = 0
      return results.map((result): PromiseSettledResult<DeliveryReceipt> => {
        if (result) return result
        const index = builtIndex++
        return outcome!.status === 'fulfilled'
          ? { status: 'fulfilled', value: outcome!.value[index]! }
          : { status: 'rejected', reason: outcome!.reason }
      })
    },
    stats: () => ({ ...stats }),
  }
}
