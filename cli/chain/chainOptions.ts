import type { Wallet } from 'ethers'
import { readOwnerKey } from '../commands/ownerKey.js'
import { createProgress } from '../commands/progress.js'
import { printJson } from '../printJson.js'
import { UsageError } from '../UsageError.js'
import { ChainError } from './ChainError.js'
import { type ChainConnection, connectChain, resolveRpcUrl } from './connectChain.js'
import { type ChainPlan, type ChainSent, isPlan } from './sendChainCall.js'

/** The flags every `teefn chain` command takes (`addChainOptions`, cli/definitions/chain.ts). */
export type ChainOptions = {
  rpc?: string
  key?: string
  json?: boolean
  dryRun?: boolean
}

export type OpenChainReturnType = {
  connection: ChainConnection
  /** The sender, from `--key`. */
  wallet: Wallet
  progress: (message: string) => void
  close(): void
}

/**
 * The sender's key (read first: a usage error costs no connection) and the chain connection of a command that
 * sends (or signs: `signs` names what, for the message). Call `close()` when done.
 */
export async function openChain(
  command: string,
  options: ChainOptions,
  signs = 'a transaction',
): Promise<OpenChainReturnType> {
  if (options.key === undefined) {
    throw new UsageError(
      `teefn chain ${command} signs ${signs}: pass --key <file|env:NAME>`,
      'a file holding the private key (0x-hex), or env:NAME naming an environment variable that does',
    )
  }
  const wallet = await readOwnerKey({ key: options.key, role: 'sender' })
  const progress = createProgress(options)
  progress(`connecting to ${resolveRpcUrl(options.rpc)}`)
  const connection = await connectChain({ rpc: options.rpc })
  return { connection, wallet, progress, close: () => connection.provider.destroy() }
}

/** A read-only connection (`teefn chain show`). */
export async function openChainReader(options: ChainOptions): Promise<ChainConnection> {
  return connectChain({ rpc: options.rpc })
}

/** An `--address`-like flag, checked. */
export function parseAddress(value: string | undefined, flag: string): string {
  if (value === undefined || !/^0x[0-9a-fA-F]{40}$/.test(value)) {
    throw new UsageError(`${flag} must be an EVM address (0x + 40 hex digits)`, `got ${value ?? 'nothing'}`)
  }
  return value
}

/** A bytes32 flag (`--function-id`), checked and lower-cased. */
export function parseBytes32(value: string | undefined, flag: string): `0x${string}` {
  if (value === undefined || !/^0x[0-9a-fA-F]{64}$/.test(value)) {
    throw new UsageError(`${flag} must be bytes32 (0x + 64 hex digits)`, `got ${value ?? 'nothing'}`)
  }
  return value.toLowerCase() as `0x${string}`
}

/** Fails with `CHAIN_NO_CONTRACT` when `address` holds no code on the connected chain. */
export async function assertContract(
  connection: ChainConnection,
  address: string,
  what: string,
): Promise<void> {
  const code = await connection.provider.getCode(address)
  if (code === '0x') {
    throw new ChainError(`No contract at ${what} ${address} on chain ${connection.chainId}.`, {
      reason: 'NO_CONTRACT',
      hint: `Check the address and --rpc (the ${what} may live on another chain).`,
    })
  }
}

export type PrintChainOutcomeParameters = {
  outcome: ChainPlan | ChainSent
  json: boolean | undefined
  /** Fields for `--json`, before the transaction's. */
  result: Record<string, unknown>
  /** The value a script reads from stdout (an address, a functionId). */
  value: string
  /** One line for stderr about what happened. */
  summary: string
}

/**
 * Prints a sending command's outcome. With `--json`, one object: `result` and `transaction`, or with
 * `--dry-run` `result` and the plan. Otherwise stdout holds `value` alone (`REGISTRY=$(teefn chain ...)`) and
 * stderr a summary; a dry run prints the plan.
 */
export function printChainOutcome({
  outcome,
  json,
  result,
  value,
  summary,
}: PrintChainOutcomeParameters): void {
  if (isPlan(outcome)) {
    if (json) {
      printJson({ ...result, ...outcome })
      return
    }
    const args = outcome.args.map((arg) => JSON.stringify(arg)).join(', ')
    const lines = [
      'dry run: nothing sent',
      `  chain          ${outcome.chainId}`,
      `  from           ${outcome.from}`,
      `  to             ${outcome.to ?? `(a new ${outcome.contract})`}`,
      `  call           ${outcome.contract}.${outcome.function}(${args})`,
      `  estimated gas  ${outcome.estimatedGas}`,
      `  nonce          ${outcome.nonce}`,
      ...(outcome.contractAddress ? [`  would deploy   ${outcome.contractAddress}`] : []),
      ...Object.entries(result)
        .filter(([, entry]) => entry !== null && entry !== undefined && typeof entry !== 'object')
        .map(([key, entry]) => `  ${key.padEnd(14)} ${String(entry)}`),
    ]
    process.stdout.write(`${lines.join('\n')}\n`)
    return
  }
  if (json) {
    printJson({ ...result, transaction: outcome })
    return
  }
  process.stdout.write(`${value}\n`)
  process.stderr.write(`${summary} (tx ${outcome.transactionHash}, block ${outcome.blockNumber})\n`)
}
