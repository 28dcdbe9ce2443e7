/**
 * The result of `onRun`, checked as Gelato's runner checks it (with its messages) and written as the exact JSON
 * text the on-chain executor reads: `{"canExec":true,"callData":[{"to":"0x<40 hex>","data":"0x<hex>"},...]}` or
 * `{"canExec":false,"message":"..."}`, no whitespace, keys in that order, hex in lowercase. Bundled into the
 * function: it throws plain `Error`s the run fails with.
 */
export function normalizeGelatoResult(result: unknown): string {
  if (typeof result !== 'object' || result === null || !('canExec' in result))
    fail('must return {canExec: bool}', result)
  const { canExec, callData, message } = result as { canExec: unknown; callData?: unknown; message?: unknown }
  // Gelato reads canExec for its truth, as this does.
  if (!canExec) return `{"canExec":false,"message":${JSON.stringify(messageOf(message))}}`
  if (typeof callData === 'string') {
    throw new Error(
      "Web3Function returned callData as one string (Gelato's web3FunctionVersion 1.0.0 form), which names no target contract. Return callData: [{ to, data }] (web3FunctionVersion 2.0.0).",
    )
  }
  if (!Array.isArray(callData))
    fail('must return {canExec: bool, callData: {to: string, data: string}[]}', result)
  const calls = callData.map((call: unknown) => {
    const { to, data, value } = (call ?? {}) as { to?: unknown; data?: unknown; value?: unknown }
    if (typeof to !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(to)) fail('returned invalid to address', result)
    if (typeof data !== 'string' || !/^0x(?:[0-9a-fA-F]{2}){4,}$/.test(data))
      fail('returned invalid callData', result)
    if (value !== undefined && value !== null && value !== '') {
      if (typeof value !== 'string' || !/^\d+$/.test(value))
        fail('returned invalid value (must be numeric string)', result)
      if (BigInt(value) !== 0n)
        throw new Error(
          `Web3Function returned callData with value ${value}: teefn's executor sends no ether with a call. Leave value out, or 0.`,
        )
    }
    return `{"to":${JSON.stringify(to.toLowerCase())},"data":${JSON.stringify(data.toLowerCase())}}`
  })
  return `{"canExec":true,"callData":[${calls.join(',')}]}`
}

function fail(what: string, result: unknown): never {
  throw new Error(`Web3Function ${what}. Instead returned: ${describe(result)}`)
}

function describe(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}

/** A missing message is empty; anything other than a string is its JSON. */
function messageOf(message: unknown): string {
  if (typeof message === 'string') return message
  if (message === undefined || message === null) return ''
  return describe(message)
}
