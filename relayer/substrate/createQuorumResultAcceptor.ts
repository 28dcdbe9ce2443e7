import type { ApiPromise } from '@polkadot/api'
import type { Hex } from '../../runtime/bytes.js'
import { hexToBytes } from '../../runtime/bytes.js'
import { judgeSubstrateQuorum } from '../../runtime/chain/substrate/judgeSubstrateQuorum.js'
import { payloadHashOf } from '../../runtime/enclave/envelope.js'
import type { ResultFinding } from './collectFindings.js'
import { createRemarkTrigger } from './createRemarkTrigger.js'
import { findOnChainRequest } from './findOnChainRequest.js'
import type { SubstrateTrigger } from './SubstrateTrigger.js'

export type CreateQuorumResultAcceptorParameters = {
  api: ApiPromise
  /** The genesis hash. */
  chainId: Hex
  /** k. */
  threshold: number
  /** The sr25519 keys whose envelopes count: the operator-pinned set and this node's own worker. */
  workers: readonly string[]
  trigger?: SubstrateTrigger | undefined
}

/**
 * Decides whether a quorum result another account put on-chain answers its request, as `teefn verify
 * --substrate --quorum k --worker ...` would: the set passes `judgeSubstrateQuorum` (valid, distinct, allowed,
 * k agreeing) and the agreed answer matches the request found at the extrinsic it names (request id, function,
 * requester, payload, canonical block). Only then does the watcher index the request as delivered, so nobody can
 * stop this node's delivery with a result a requester would refuse.
 */
export function createQuorumResultAcceptor({
  api,
  chainId,
  threshold,
  workers,
  trigger = createRemarkTrigger(),
}: CreateQuorumResultAcceptorParameters): (finding: ResultFinding) => Promise<boolean> {
  return async ({ envelopes, reference, requestId }) => {
    if (!envelopes || !reference) return false
    const verdict = judgeSubstrateQuorum({ envelopes, threshold, chainId, workers })
    if (!verdict.reached) return false
    const request = await findOnChainRequest(api, { trigger, chainId, reference, requestId })
    if (!request?.canonical) return false
    const { answer } = verdict
    const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase()
    // The envelopes must answer the very request the finding names (a trigger that read the request id from
    // elsewhere must not get a quorum for the same question asked earlier counted as this request's answer).
    return (
      same(answer.requestId, requestId) &&
      same(request.functionId, answer.functionId) &&
      same(request.destination, answer.destination) &&
      same(payloadHashOf(hexToBytes(request.request as Hex) ?? new Uint8Array()), answer.payloadHash)
    )
  }
}
