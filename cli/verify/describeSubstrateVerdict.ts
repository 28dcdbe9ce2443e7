import type { SubstrateQuorumVerdict } from './judgeSubstrateQuorumResult.js'
import type { SubstrateVerdict } from './judgeSubstrateResult.js'

/** Where the verified result is on-chain. */
type ResultLocation = { blockHash: string; blockNumber: number; extrinsicIndex: number; call: string }

/** The text `teefn verify --substrate` prints for one result: valid and what it answers, or why not. */
export function describeSubstrateVerdict(
  verdict: SubstrateVerdict | SubstrateQuorumVerdict,
  read: ResultLocation,
): string[] {
  const quorum = 'quorum' in verdict ? verdict.quorum : undefined
  const lines: string[] = []
  if (!verdict.valid) {
    lines.push(
      `invalid: ${verdict.reason}: ${verdict.message}${verdict.details ? ` (${verdict.details})` : ''}`,
      `  request ${verdict.requestId}`,
    )
  } else {
    const request = verdict.request
    lines.push(
      quorum
        ? `valid: substrate quorum result, ${quorum.signers.length} of ${quorum.envelopes} workers agree (k = ${quorum.threshold})`
        : `valid: substrate envelope signed by ${verdict.signer}`,
      `  chain ${verdict.chainId}, destination ${verdict.destination}`,
      `  request ${verdict.requestId}: extrinsic ${request.extrinsicIndex} of block #${request.blockNumber} (${request.blockHash}), from ${request.sender}`,
      `  function ${verdict.functionId}, code ${verdict.codeHash}`,
      `  status ${verdict.status}, result ${verdict.resultBytes} bytes (${verdict.resultHash})`,
      `  on-chain: extrinsic ${read.extrinsicIndex} (${read.call}) of block #${read.blockNumber} (${read.blockHash})`,
    )
  }
  if (quorum) {
    lines.push(`  signers (agreeing): ${quorum.signers.join(', ') || 'none'}`)
    lines.push(`  dissenters: ${quorum.dissenters.join(', ') || 'none'}`)
  }
  return lines
}
