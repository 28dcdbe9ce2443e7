import { Interface, type InterfaceAbi } from 'ethers'
import { isNonceConflict } from '../../relayer/shared/createNonceManager.js'
import { ChainError } from './ChainError.js'
import { explainRevert } from './revertHints.js'

export type DecodeChainErrorParameters = {
  /** The ABIs whose custom errors a revert may carry (the registry's, the contract being deployed ...). */
  abis: readonly InterfaceAbi[]
  /** What was attempted, for the message: `registerFunction on 0x...`. */
  action: string
  /** The JSON-RPC URL, for the unreachable hint. */
  rpc: string
}

/**
 * What an ethers error from a call, an estimate or a send means for the user: a `ChainError` whose message names
 * the contract's custom error (`FunctionAlreadyRegistered(0x...)`), a nonce conflict, missing funds or an
 * unreachable node. Anything else is returned as it is.
 */
export function decodeChainError(error: unknown, { abis, action, rpc }: DecodeChainErrorParameters): unknown {
  if (error instanceof ChainError) return error
  const code = (error as { code?: string })?.code
  const message = String((error as Error)?.message ?? error)
  if (code === 'CALL_EXCEPTION' || /revert/i.test(message)) {
    const data = revertDataOf(error)
    const decoded = data === undefined ? undefined : decodeCustomError(data, abis)
    if (decoded) {
      const { explanation, hint } = explainRevert(decoded.name, decoded.args)
      return new ChainError(
        `${action} reverted: ${decoded.signature}${explanation ? `: ${explanation}` : ''}.`,
        {
          reason: 'REVERTED',
          errorName: decoded.name,
          details: `the contract's custom error ${decoded.name}`,
          hint,
          cause: error,
        },
      )
    }
    const reason = (error as { reason?: string | null }).reason
    return new ChainError(`${action} reverted${reason ? `: ${reason}` : ''}.`, {
      reason: 'REVERTED',
      details: data && data !== '0x' ? `revert data ${data.slice(0, 202)}` : 'no revert data',
      hint: 'Check the arguments, the sender and the contract address.',
      cause: error,
    })
  }
  if (isNonceConflict(error)) {
    return new ChainError(`${action}: the node refused the transaction's nonce.`, {
      reason: 'NONCE_CONFLICT',
      details: firstLine(message),
      hint: 'Another process sends from this key at the same time; wait for its transactions, or use another key.',
      cause: error,
    })
  }
  if (code === 'INSUFFICIENT_FUNDS' || /insufficient funds/i.test(message)) {
    return new ChainError(`${action}: the sender cannot pay for the gas.`, {
      reason: 'INSUFFICIENT_FUNDS',
      hint: "Fund the key's address on this chain.",
      cause: error,
    })
  }
  if (isConnectionFailure(error)) return unreachable(rpc, error)
  return error
}

/** The endpoint did not answer (refused, reset, unknown host, timed out). */
export function unreachable(rpc: string, cause: unknown): ChainError {
  return new ChainError(`Cannot reach the JSON-RPC endpoint ${rpc}.`, {
    reason: 'UNREACHABLE',
    details: `${firstLine(String((cause as Error)?.message ?? cause))}${causeCodeOf(cause) ? ` (${causeCodeOf(cause)})` : ''}`,
    hint: 'Check --rpc (default: TEEFN_RPC_URL, else http://127.0.0.1:8545) and that the node runs.',
    cause,
  })
}

function decodeCustomError(
  data: string,
  abis: readonly InterfaceAbi[],
): { name: string; signature: string; args: unknown[] } | undefined {
  for (const abi of abis) {
    try {
      const parsed = new Interface(abi).parseError(data)
      if (!parsed) continue
      const args = parsed.args.map((value) => String(value)).join(', ')
      return { name: parsed.name, signature: `${parsed.name}(${args})`, args: [...parsed.args] }
    } catch {
      // Not this ABI's error (or malformed arguments): try the next.
    }
  }
  return undefined
}

/** Revert data sits on the error itself, or inside the JSON-RPC error ethers wraps. */
function revertDataOf(error: unknown): string | undefined {
  const candidates = [
    (error as { data?: unknown })?.data,
    (error as { info?: { error?: { data?: unknown } } })?.info?.error?.data,
    (error as { error?: { data?: unknown } })?.error?.data,
  ]
  for (const candidate of candidates) {
    if (typeof candidate === 'string' && /^0x[0-9a-fA-F]*$/.test(candidate)) return candidate
    const nested = (candidate as { data?: unknown } | undefined)?.data
    if (typeof nested === 'string' && /^0x[0-9a-fA-F]*$/.test(nested)) return nested
  }
  return undefined
}

function isConnectionFailure(error: unknown): boolean {
  const code = (error as { code?: string })?.code
  const causeCode = (error as { cause?: { code?: string } })?.cause?.code
  const message = String((error as Error)?.message ?? error)
  return (
    code === 'NETWORK_ERROR' ||
    code === 'TIMEOUT' ||
    ['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EAI_AGAIN'].includes(causeCode ?? '') ||
    /ECONNREFUSED|fetch failed|ENOTFOUND|socket hang up/.test(message)
  )
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.slice(0, 300)
}

function causeCodeOf(error: unknown): string | undefined {
  const code = (error as { cause?: { code?: unknown } })?.cause?.code
  return typeof code === 'string' ? code : undefined
}
