import type { ApiPromise } from '@polkadot/api'
import type { Hex } from '../../runtime/bytes.js'
import type { Envelope } from '../../runtime/enclave/envelope.js'
import { createRemarkTrigger } from './createRemarkTrigger.js'
import { findOnChainRequest, type OnChainRequest } from './findOnChainRequest.js'
import { readBlock } from './readBlock.js'
import { SubstrateRelayerError } from './SubstrateRelayerError.js'
import type { SubstrateBlock, SubstrateTrigger } from './SubstrateTrigger.js'

export type ReadSubstrateResultsParameters = {
  /** Block hash (0x, 32 bytes) or number. */
  block: Hex | number
  /** The extrinsic's index in that block. */
  extrinsicIndex: number
  trigger?: SubstrateTrigger | undefined
}

export type { OnChainRequest } from './findOnChainRequest.js'

export type OnChainResult = {
  /** The result's envelope; for a quorum result the first of `envelopes`. */
  envelope: Envelope
  /** A quorum result's envelopes, in remark order. */
  envelopes?: Envelope[] | undefined
  /** Where the result remark says its request was seen. */
  reference: { blockHash: Hex; extrinsicIndex: number }
  /** The request found there with the envelope's requestId; undefined when it is not there. */
  request: OnChainRequest | undefined
  /** The account that put the result on-chain (AccountId32 hex). */
  sender: Hex
}

export type ReadSubstrateResultsReturnType = {
  chainId: Hex
  blockHash: Hex
  blockNumber: number
  extrinsicIndex: number
  /** `section.method` of the extrinsic's call (e.g. `utility.batchAll`). */
  call: string
  /** Executed result remarks of the extrinsic (a remark of a failed extrinsic emitted no event: not a result). */
  results: OnChainResult[]
  /** teefn remarks of the extrinsic that do not decode. */
  malformed: string[]
}

/**
 * Reads teefn results back from chain data alone: the result remarks one extrinsic executed (a quorum result with
 * all its envelopes), each with the request it names, found again in its own block and checked to carry the envelope's requestId. The
 * caller verifies the envelopes (`verifyEnvelope`) against those requests.
 */
export async function readSubstrateResults(
  api: ApiPromise,
  { block, extrinsicIndex, trigger = createRemarkTrigger() }: ReadSubstrateResultsParameters,
): Promise<ReadSubstrateResultsReturnType> {
  const chainId = api.genesisHash.toHex()
  const hash = typeof block === 'number' ? await blockHashAt(api, block) : block
  const resultBlock = await readBlockOrThrow(api, hash, chainId)
  const extrinsic = resultBlock.extrinsics[extrinsicIndex]
  if (!extrinsic) {
    throw new SubstrateRelayerError('The block has no extrinsic at that index.', {
      code: 'SUBSTRATE_NOT_FOUND',
      details: `block ${resultBlock.hash} (#${resultBlock.number}) has ${resultBlock.extrinsics.length} extrinsics, asked for ${extrinsicIndex}`,
    })
  }
  const findings = trigger.scan(resultBlock).filter((finding) => finding.extrinsicIndex === extrinsicIndex)
  const results: OnChainResult[] = []
  const blocks = new Map<Hex, SubstrateBlock | undefined>()
  for (const finding of findings) {
    if (finding.kind !== 'result') continue
    const { envelope, envelopes, reference } = finding
    // A result without a reference (another protocol) is still verified; only its request is not looked up.
    const remark = reference ?? { blockHash: `0x${'00'.repeat(32)}` as Hex, extrinsicIndex: 0 }
    const request = reference
      ? await findOnChainRequest(api, {
          trigger,
          chainId,
          reference,
          requestId: envelope.requestId,
          blocks,
        })
      : undefined
    results.push({
      envelope,
      ...(envelopes ? { envelopes } : {}),
      reference: remark,
      request,
      sender: finding.sender,
    })
  }
  return {
    chainId,
    blockHash: resultBlock.hash,
    blockNumber: resultBlock.number,
    extrinsicIndex,
    call: `${extrinsic.method.section}.${extrinsic.method.method}`,
    results,
    malformed: findings.flatMap((finding) => (finding.kind === 'malformed' ? [finding.reason] : [])),
  }
}

async function blockHashAt(api: ApiPromise, number: number): Promise<Hex> {
  const hash = (await api.rpc.chain.getBlockHash(number)).toHex()
  if (/^0x0+$/.test(hash)) {
    throw new SubstrateRelayerError('The chain has no block with that number.', {
      code: 'SUBSTRATE_NOT_FOUND',
      details: `block #${number}`,
    })
  }
  return hash
}

async function readBlockOrThrow(api: ApiPromise, hash: Hex, chainId: Hex) {
  try {
    return await readBlock(api, hash, chainId)
  } catch (cause) {
    throw new SubstrateRelayerError('The node does not know that block.', {
      code: 'SUBSTRATE_NOT_FOUND',
      details: `${hash}: ${(cause as Error)?.message ?? cause}`,
      hint: 'Pass a block hash or number of this chain (an archive node keeps every block).',
      cause,
    })
  }
}
