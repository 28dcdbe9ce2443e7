import type { AnyTuple, CallBase } from '@polkadot/types/types'

type Call = CallBase<AnyTuple>

/** Depth limit for nested wrappers (batch in proxy in batch...); runtimes cap nesting far below it. */
const maxDepth = 16

/**
 * The bytes of every `system.remarkWithEvent` in a call tree, depth first, in call order: plain calls,
 * `utility.batch*`, `proxy.proxy`, `utility.asDerivative` and any other wrapper whose argument is a `Call`
 * or a `Vec<Call>`. The k-th executed remark emits the k-th `System.Remarked` event of its extrinsic.
 */
export function findRemarkCalls(call: Call): Uint8Array[] {
  const found: Uint8Array[] = []
  walk(call, 0, found)
  return found
}

function walk(call: Call, depth: number, found: Uint8Array[]): void {
  if (depth > maxDepth) return
  if (call.section === 'system' && call.method === 'remarkWithEvent') {
    const remark = call.args[0]
    if (remark) found.push(remark.toU8a(true))
    return
  }
  for (const arg of call.args) {
    if (isCall(arg)) walk(arg, depth + 1, found)
    else if (Array.isArray(arg)) for (const item of arg) if (isCall(item)) walk(item, depth + 1, found)
  }
}

function isCall(value: unknown): value is Call {
  const candidate = value as Partial<Call> | null
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.section === 'string' &&
    typeof candidate.method === 'string' &&
    Array.isArray(candidate.args) &&
    candidate.callIndex instanceof Uint8Array
  )
}
