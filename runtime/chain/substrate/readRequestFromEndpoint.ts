import type { EventRecord } from '@polkadot/types/interfaces'
import { blake2AsU8a } from '@polkadot/util-crypto'
import { bytesToHex, type Hex, hexToBytes } from '../../bytes.js'
import { ChainReadError } from '../ChainReadError.js'
import { decodeRemarkedEvent } from './decodeRemarkedEvent.js'
import { findRemarkCalls } from './findRemarkCalls.js'
import type { SubstrateEndpoint } from './openSubstrateEndpoint.js'
import type {
  SubstrateEndpointAnswer,
  SubstrateHeads,
  SubstrateRequestHint,
} from './SubstrateRequestReading.js'

export type ReadRequestFromEndpointParameters = {
  genesisHash: Hex
  heads: SubstrateHeads
  /** Validated, lowercase. */
  hint: SubstrateRequestHint
}

/** An endpoint's answer, and why (for logs and error details; not compared across endpoints). */
export type ReadRequestFromEndpointReturnType = { answer: SubstrateEndpointAnswer; why: string }

/** The raw block as `chain_getBlock` gives it. */
type RawBlock = { block: { header: { number: string }; extrinsics: string[] } }

/**
 * What one endpoint says about a hint: the block must be on its best chain (`chain_getBlockHash(number)`)
 * and, for `finalized`, at or below its finalized head; then the extrinsic at the hint's index must have
 * succeeded, and one of its `System.Remarked` events must decode (`decodeRemarkedEvent`) to a request whose
 * recomputed id is the hint's. The extrinsic hash is blake2_256 of the raw bytes the endpoint served, and the
 * call and events are decoded with the metadata of that block. Throws on transport errors (no answer).
 */
export async function readRequestFromEndpoint(
  endpoint: SubstrateEndpoint,
  { genesisHash, heads, hint }: ReadRequestFromEndpointParameters,
): Promise<ReadRequestFromEndpointReturnType> {
  const block = await getBlock(endpoint, hint.blockHash)
  if (!block) return notConfirmed('does not know the block')
  const number = Number(BigInt(block.block.header.number))
  if (heads === 'finalized') {
    const finalized = await finalizedNumber(endpoint)
    if (number > finalized) return notConfirmed(`block #${number} is above the finalized head #${finalized}`)
  }
  const canonical = await endpoint.send<string | null>('chain_getBlockHash', [number])
  if (canonical?.toLowerCase() !== hint.blockHash) {
    return notConfirmed(`block #${number} is not on its best chain (${canonical ?? 'none'} is)`)
  }

  const raw = block.block.extrinsics[hint.extrinsicIndex]
  if (typeof raw !== 'string' || !hexToBytes(raw)) {
    return notFound(`block #${number} has ${block.block.extrinsics.length} extrinsics`)
  }
  const apiAt = await endpoint.api.at(hint.blockHash)
  const records = (await apiAt.query.system.events()) as unknown as EventRecord[]
  const own = records.filter(
    (record) =>
      record.phase.isApplyExtrinsic && record.phase.asApplyExtrinsic.toNumber() === hint.extrinsicIndex,
  )
  if (!own.some(({ event }) => event.section === 'system' && event.method === 'ExtrinsicSuccess')) {
    return notFound(`extrinsic ${hint.extrinsicIndex} did not succeed`)
  }
  const extrinsic = apiAt.registry.createType('Extrinsic', raw)
  const remarks = findRemarkCalls(extrinsic.method).map((bytes) => ({ bytes, hash: blake2AsU8a(bytes, 256) }))
  const extrinsicHash = bytesToHex(blake2AsU8a(hexToBytes(raw)!, 256))
  let ordinal = 0
  for (const { event } of own) {
    if (event.section !== 'system' || event.method !== 'Remarked') continue
    const [sender, hash] = event.data
    if (!sender || !hash) continue
    const decoded = decodeRemarkedEvent({
      genesisHash,
      extrinsicHash,
      remarks,
      event: { sender: bytesToHex(sender.toU8a()) as Hex, hash: hash.toU8a(), ordinal: ordinal++ },
    })
    if (decoded.kind !== 'request' || decoded.requestId !== hint.requestId) continue
    return {
      answer: {
        kind: 'found',
        request: {
          requestId: decoded.requestId,
          functionId: decoded.functionId,
          origin: decoded.origin,
          payload: bytesToHex(decoded.payload),
          payloadHash: decoded.payloadHash,
          blockHash: hint.blockHash,
          blockNumber: number,
          extrinsicIndex: hint.extrinsicIndex,
        },
      },
      why: `request at remark ${decoded.ordinal}`,
    }
  }
  return notFound(
    `no remark of extrinsic ${hint.extrinsicIndex} (${remarks.length} remarkWithEvent calls) has this id`,
  )
}

/** The block, or undefined when the endpoint does not know it (a node answers null, chopsticks an error). */
async function getBlock(endpoint: SubstrateEndpoint, hash: Hex): Promise<RawBlock | undefined> {
  try {
    return (await endpoint.send<RawBlock | null>('chain_getBlock', [hash])) ?? undefined
  } catch (error) {
    if (/not found/i.test((error as Error)?.message ?? '')) return undefined
    throw error
  }
}

async function finalizedNumber(endpoint: SubstrateEndpoint): Promise<number> {
  const hash = await endpoint.send<string>('chain_getFinalizedHead', [])
  const header = await endpoint.send<{ number: string } | null>('chain_getHeader', [hash])
  if (!header) {
    throw new ChainReadError(`no header for its own finalized head ${hash}`, {
      code: 'RPC_INVALID_ANSWER',
      hint: 'The endpoint is out of step with itself; the other endpoints of the quorum answer meanwhile.',
    })
  }
  return Number(BigInt(header.number))
}

function notConfirmed(why: string): ReadRequestFromEndpointReturnType {
  return { answer: { kind: 'notConfirmed' }, why }
}

function notFound(why: string): ReadRequestFromEndpointReturnType {
  return { answer: { kind: 'notFound' }, why }
}
