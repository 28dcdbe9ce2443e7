import { decodeFunctionResult, encodeFunctionData, type Hex, parseAbi } from 'viem'

/** The parts of `TeefnPhatAttestor` (contracts/src/compat) a node calls. */
export const phatAttestorAbi = parseAbi([
  'function relay(uint32 index) returns (bytes32 requestId)',
  'function flush(uint32 maxCount) returns (uint32 submitted)',
  'function queueBounds() view returns (uint32 head, uint32 tail)',
  'function pendingWork(uint32 maxCount) view returns (uint32[] toRelay, bool flushable)',
])

/** Calldata of `relay(index)`: send queued message `index` to the function. */
export function encodeRelay(index: number): Hex {
  return encodeFunctionData({ abi: phatAttestorAbi, functionName: 'relay', args: [index] })
}

/** Calldata of `flush(maxCount)`: submit held answers waiting at the anchor's head. */
export function encodeFlush(maxCount: number): Hex {
  return encodeFunctionData({ abi: phatAttestorAbi, functionName: 'flush', args: [maxCount] })
}

export function encodeQueueBounds(): Hex {
  return encodeFunctionData({ abi: phatAttestorAbi, functionName: 'queueBounds' })
}

/** The anchor's first unanswered index and next index, from `queueBounds()`'s return data. */
export function decodeQueueBounds(data: Hex): { head: number; tail: number } {
  const [head, tail] = decodeFunctionResult({ abi: phatAttestorAbi, functionName: 'queueBounds', data })
  return { head, tail }
}

export function encodePendingWork(maxCount: number): Hex {
  return encodeFunctionData({ abi: phatAttestorAbi, functionName: 'pendingWork', args: [maxCount] })
}

/** The indexes to relay and whether held answers wait, from `pendingWork()`'s return data. */
export function decodePendingWork(data: Hex): { toRelay: number[]; flushable: boolean } {
  const [toRelay, flushable] = decodeFunctionResult({
    abi: phatAttestorAbi,
    functionName: 'pendingWork',
    data,
  })
  return { toRelay: [...toRelay], flushable }
}
