import type { Extrinsic } from '@polkadot/types/interfaces'
import { blake2AsU8a } from '@polkadot/util-crypto'
import { bytesToHex, type Hex } from '../../runtime/bytes.js'
import { decodeRemarkedEvent, type RemarkCall } from '../../runtime/chain/substrate/decodeRemarkedEvent.js'
import { findRemarkCalls } from '../../runtime/chain/substrate/findRemarkCalls.js'
import { createEventTrigger } from './createEventTrigger.js'
import type { SubstrateTrigger } from './SubstrateTrigger.js'

export type CreateRemarkTriggerParameters = {
  /** The runtime's `Hashing` (what `System.Remarked.hash` is). blake2_256 on every FRAME chain teefn knows. */
  hash?: ((bytes: Uint8Array) => Uint8Array) | undefined
}

/**
 * The remark protocol's trigger: each `System.Remarked { sender, hash }` is matched to the
 * `remarkWithEvent` call of its extrinsic that carries those bytes (the event has only the hash), then
 * decoded. Foreign remarks are skipped; teefn remarks that do not decode are `malformed`.
 *
 * A request becomes a substrate job: destination = the remark's origin account (`System.Remarked.sender`,
 * AccountId32), requestId = v2 `deriveRequestId(genesis, extrinsic hash, position of the remark among the
 * extrinsic's remarkWithEvent calls, origin, functionId, keccak256(payload))`, payload as 0x-hex. The
 * decision is `decodeRemarkedEvent`'s, the same the worker makes when it re-reads the request from the chain.
 * A result becomes a `result` finding, which the watcher indexes.
 */
export function createRemarkTrigger({
  hash = (bytes) => blake2AsU8a(bytes, 256),
}: CreateRemarkTriggerParameters = {}): SubstrateTrigger {
  // One decode of each extrinsic's call tree per block, however many remarks it emitted.
  const remarksOf = new WeakMap<Extrinsic, RemarkCall[]>()
  const remarkCalls = (extrinsic: Extrinsic) => {
    let calls = remarksOf.get(extrinsic)
    if (!calls) {
      calls = findRemarkCalls(extrinsic.method).map((bytes) => ({ bytes, hash: hash(bytes) }))
      remarksOf.set(extrinsic, calls)
    }
    return calls
  }

  return createEventTrigger({
    name: 'remark',
    filter: (event) => event.section === 'system' && event.method === 'Remarked',
    map: ({ block, event, eventIndex, extrinsic, extrinsicIndex, ordinal }) => {
      if (!extrinsic || extrinsicIndex === undefined) {
        return { kind: 'unreadable', extrinsicIndex, eventIndex, reason: 'a remark outside any extrinsic' }
      }
      const [senderCodec, hashCodec] = event.data
      if (!senderCodec || !hashCodec)
        return { kind: 'unreadable', extrinsicIndex, eventIndex, reason: 'no event data' }
      const sender = bytesToHex(senderCodec.toU8a()) as Hex
      const decoded = decodeRemarkedEvent({
        genesisHash: block.chainId,
        extrinsicHash: extrinsic.hash.toHex(),
        remarks: remarkCalls(extrinsic),
        event: { sender, hash: hashCodec.toU8a(), ordinal },
      })
      if (decoded.kind === 'foreign') return undefined
      if (decoded.kind === 'malformed' || decoded.kind === 'unlocated') {
        const kind = decoded.kind === 'malformed' ? 'malformed' : 'unreadable'
        return { kind, extrinsicIndex, eventIndex, reason: decoded.reason }
      }
      if (decoded.kind === 'result') {
        return {
          kind: 'result',
          requestId: decoded.envelope.requestId,
          sender,
          extrinsicIndex,
          envelope: decoded.envelope,
          ...(decoded.envelopes ? { envelopes: decoded.envelopes } : {}),
          reference: decoded.request,
        }
      }
      return {
        kind: 'request',
        extrinsicIndex,
        request: {
          trigger: 'substrate',
          chainId: block.chainId,
          destination: decoded.origin,
          requestId: decoded.requestId,
          functionId: decoded.functionId,
          request: bytesToHex(decoded.payload),
          sender: senderCodec.toString(),
          origin: { blockNumber: block.number, blockHash: block.hash, index: extrinsicIndex },
        },
      }
    },
  })
}
