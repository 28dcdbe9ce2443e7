import type { ApiPromise } from '@polkadot/api'
import type { SubmittableExtrinsic } from '@polkadot/api/types'
import type { Hex } from '../../runtime/bytes.js'
import { type ExtrinsicOutcome, readExtrinsicOutcome } from './readExtrinsicOutcome.js'
import { SubstrateRelayerError } from './SubstrateRelayerError.js'

export type SubmitAndWatchParameters = {
  /** When it counts as included: in a block (Finalized also counts), or finalized. */
  until?: 'inBlock' | 'finalized' | undefined
  /** Not included by then: rejects with `canLand: true` (it may still be). */
  timeoutMs?: number | undefined
}

export type Inclusion = ExtrinsicOutcome

/** Why an extrinsic was not included: `canLand` says whether it may still be (dropped, timed out). */
export type NotIncludedError = SubstrateRelayerError & { canLand: boolean }

/**
 * Sends a signed extrinsic and resolves once it is in a block, with its index and outcome read from that
 * block. It follows the raw `author_submitAndWatchExtrinsic` statuses rather than `tx.send(callback)`: that
 * callback fetches the block's events per status and drops the InBlock result when the next status comes
 * first (chopsticks sends Finalized 100 ms after InBlock), and on a busy machine neither arrived.
 */
export function submitAndWatch(
  api: ApiPromise,
  tx: SubmittableExtrinsic<'promise'>,
  { until = 'inBlock', timeoutMs = 120_000 }: SubmitAndWatchParameters = {},
): Promise<Inclusion> {
  const txHash = tx.hash.toHex()
  return new Promise<Hex>((resolve, reject) => {
    let settled = false
    let unsubscribe: (() => void) | undefined
    const settle = (done: () => void) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      done()
      // Never unsubscribe inside the status callback (the first status can come before the subscription resolves).
      if (unsubscribe) setImmediate(unsubscribe)
    }
    const timer = setTimeout(() => settle(() => reject(notIncluded('not included in time', true))), timeoutMs)
    api.rpc.author
      .submitAndWatchExtrinsic(tx, (status) => {
        if (status.isFinalized || (until === 'inBlock' && status.isInBlock)) {
          const hash = (status.isInBlock ? status.asInBlock : status.asFinalized).toHex()
          settle(() => resolve(hash))
        } else if (status.isInvalid || status.isUsurped) {
          settle(() => reject(notIncluded(`status ${status.type}`, false)))
        } else if (status.isDropped || status.isFinalityTimeout) {
          settle(() => reject(notIncluded(`status ${status.type}`, true)))
        }
      })
      .then(
        (stop) => {
          unsubscribe = stop
          if (settled) setImmediate(stop)
        },
        (error: unknown) =>
          settle(() => reject(notIncluded(`refused: ${(error as Error)?.message ?? error}`, false))),
      )
  }).then(async (blockHash) => {
    const outcome = await readExtrinsicOutcome(api, { blockHash, txHash })
    // Reported in this block by the node: an outcome it cannot find there is the node's fault, not ours.
    if (!outcome) throw notIncluded(`not found in its block ${blockHash}`, true)
    return outcome
  })
}

function notIncluded(details: string, canLand: boolean): NotIncludedError {
  const error = new SubstrateRelayerError('The extrinsic was not included.', {
    code: 'DELIVERY_NOT_INCLUDED',
    details,
    hint: canLand ? 'It may still be included; a retry checks before sending again.' : undefined,
  })
  return Object.assign(error, { canLand })
}
