import {
  getCreateAddress,
  type InterfaceAbi,
  type JsonRpcProvider,
  type TransactionReceipt,
  type Wallet,
} from 'ethers'
import { createNonceManager } from '../../relayer/shared/createNonceManager.js'
import { ChainError } from './ChainError.js'
import type { ChainConnection } from './connectChain.js'
import { decodeChainError } from './decodeChainError.js'

/** One transaction a `teefn chain` command sends: a contract call, or a deployment (`to: null`). */
export type ChainCall = {
  /** The contract's name, for the plan and messages (`TeefnRegistry`). */
  contract: string
  /** The function called, or `constructor` for a deployment. */
  function: string
  args: readonly unknown[]
  /** The contract called; null for a deployment. */
  to: string | null
  /** Calldata, or creation code with the encoded constructor arguments. */
  data: string
  /** ABIs whose custom errors a revert may carry. */
  abis: readonly InterfaceAbi[]
}

/** What `--dry-run` prints: what would be sent, and its gas estimate. Nothing is sent. */
export type ChainPlan = {
  dryRun: true
  chainId: number
  from: string
  to: string | null
  contract: string
  function: string
  args: unknown[]
  estimatedGas: string
  nonce: number
  /** Where a deployment would land (the sender's address and nonce fix it); null for a call. */
  contractAddress: string | null
}

/** A mined transaction. */
export type ChainSent = {
  transactionHash: string
  blockNumber: number
  from: string
  nonce: number
  gasUsed: string
  /** The deployed contract, for a deployment. */
  contractAddress: string | null
}

export type SendChainCallParameters = {
  connection: ChainConnection
  wallet: Wallet
  call: ChainCall
  /** Only estimate: return the plan, send nothing. */
  dryRun?: boolean | undefined
  progress?: ((message: string) => void) | undefined
  /** How long to wait for the receipt; 120 s by default. */
  timeoutMs?: number | undefined
}

/**
 * Estimates `call` from the wallet (a revert surfaces here, decoded, before anything is sent), then, unless it
 * is a dry run, sends it with an explicit nonce from a nonce manager (a nonce the node refuses is re-read and
 * retried once) and waits for it to be mined. Failures are `ChainError`s.
 */
export async function sendChainCall({
  connection,
  wallet,
  call,
  dryRun,
  progress = () => {},
  timeoutMs = 120_000,
}: SendChainCallParameters): Promise<ChainPlan | ChainSent> {
  const { provider, rpc, chainId } = connection
  const from = wallet.address
  const action = call.to === null ? `deploying ${call.contract}` : `${call.function} on ${call.to}`
  const decode = (error: unknown) => decodeChainError(error, { abis: call.abis, action, rpc })
  const request = { from, to: call.to, data: call.data }
  let estimatedGas: bigint
  try {
    progress(`estimating gas for ${action}`)
    estimatedGas = await provider.estimateGas(request)
  } catch (error) {
    throw decode(error)
  }
  if (dryRun) {
    const nonce = await provider.getTransactionCount(from, 'pending').catch((error) => {
      throw decode(error)
    })
    return {
      dryRun: true,
      chainId,
      from,
      to: call.to,
      contract: call.contract,
      function: call.function,
      args: call.args.map(jsonValue),
      estimatedGas: estimatedGas.toString(),
      nonce,
      contractAddress: call.to === null ? getCreateAddress({ from, nonce }) : null,
    }
  }
  const signer = wallet.connect(provider)
  const nonces = createNonceManager({ readNonce: () => provider.getTransactionCount(from, 'pending') })
  let hash: string
  let nonce: number
  try {
    ;({ hash, nonce } = await nonces.send(async (next) => {
      progress(`sending ${action} (nonce ${next})`)
      // A margin over the estimate: state may change between the estimate and the block.
      const sent = await signer.sendTransaction({
        ...request,
        nonce: next,
        gasLimit: (estimatedGas * 6n) / 5n,
        chainId,
      })
      return { hash: sent.hash, nonce: next }
    }))
  } catch (error) {
    throw decode(error)
  }
  progress(`waiting for ${hash} to be mined`)
  const receipt = await waitForReceipt(provider, hash, timeoutMs).catch((error) => {
    throw decode(error)
  })
  if (receipt.status !== 1) {
    // Mined but reverted (the state changed after the estimate): replay it as a call for the reason.
    const replayed = await provider
      .call({ ...request, blockTag: receipt.blockNumber })
      .catch((error) => error)
    const decoded = decode(replayed)
    if (decoded instanceof ChainError) throw decoded
    throw new ChainError(`${action} reverted.`, { reason: 'REVERTED', details: `transaction ${hash}` })
  }
  return {
    transactionHash: hash,
    blockNumber: receipt.blockNumber,
    from,
    nonce,
    gasUsed: receipt.gasUsed.toString(),
    contractAddress: receipt.contractAddress ?? null,
  }
}

/** Whether a call's outcome is a dry run's plan. */
export function isPlan(outcome: ChainPlan | ChainSent): outcome is ChainPlan {
  return 'dryRun' in outcome
}

/**
 * Polls for the receipt (backing off to 1 s). Not `tx.wait()`: against an automining node it can wait for good
 * when the block lands between its first check and its first block poll.
 */
async function waitForReceipt(
  provider: JsonRpcProvider,
  hash: string,
  timeoutMs: number,
): Promise<TransactionReceipt> {
  const deadline = Date.now() + timeoutMs
  for (let delay = 25; ; delay = Math.min(delay * 2, 1_000)) {
    const receipt = await provider.getTransactionReceipt(hash)
    if (receipt) return receipt
    if (Date.now() > deadline) {
      throw new ChainError('The transaction was not mined in time.', {
        reason: 'TIMEOUT',
        details: `no receipt for ${hash} after ${timeoutMs} ms`,
        hint: 'Check that the chain is producing blocks and the gas price is high enough; it may still be mined.',
      })
    }
    await new Promise((resolve) => setTimeout(resolve, delay))
  }
}

function jsonValue(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString()
  if (Array.isArray(value)) return value.map(jsonValue)
  return value
}
