import type { Hex } from 'viem'
import { checksumAddress } from '../../runtime/chain/evm/checksumAddress.js'
import { type RpcClient, RpcError } from '../../runtime/chain/evm/createRpcClient.js'
import type { Logger } from '../../runtime/logging/createLogger.js'
import { createCoalescedTask } from '../shared/createCoalescedTask.js'
import type { TransactionSender } from './createTransactionSender.js'
import { FulfilmentTransactionError } from './FulfilmentTransactionError.js'
import { encodeFlush, encodeRelay } from './phatAttestorCalls.js'
import { readPhatWork } from './readPhatWork.js'

export type StartPhatRelayerParameters = {
  rpc: RpcClient
  /** The submitter's sender: relays share its key and nonces. */
  transactions: TransactionSender
  /** `TeefnPhatAttestor` contracts (one per Phat anchor) this node relays for. */
  attestors: readonly string[]
  /** Blocks a queued message must be under before it is relayed. */
  confirmations: number
  /** How often the anchors' queues are read; 1 s by default. */
  pollIntervalMs?: number | undefined
  /** Most messages relayed per attestor and poll; 16 by default. */
  maxPerPoll?: number | undefined
  /** Added to `eth_estimateGas`; 25 % by default. */
  gasHeadroomPercent?: number | undefined
  /** How long a relay may take to be mined; 60 s by default. */
  receiptTimeoutMs?: number | undefined
  logger?: Logger | undefined
}

export type PhatRelayerStats = {
  /** `relay` transactions mined. */
  relayed: number
  /** `flush` transactions mined. */
  flushed: number
  /** Calls the attestor refused at the estimate (relayed meanwhile, or no longer queued): nothing sent. */
  refused: number
  /** Polls or transactions that failed (retried on the next poll). */
  errors: number
}

export type PhatRelayer = {
  stats(): PhatRelayerStats
  /** Reads every attestor's queue once and sends what is due (what the timer does). */
  poll(): Promise<void>
  /** Stops polling; waits for the poll in progress. */
  stop(): Promise<void>
}

/**
 * The node side of `TeefnPhatAttestor`: for each attestor, every poll reads which queued messages of its anchor
 * are due (`readPhatWork`, at `confirmations`) and sends `relay(index)` for each, in queue order, and `flush` when
 * held answers wait at the head. The transactions are untrusted transport: the attestor reads the message from the
 * anchor itself, and refuses a second relay (so several nodes may relay for one anchor). The answers come back
 * through the usual path (the attestor's `RequestSent` -> worker -> submitter -> fulfil).
 */
export function startPhatRelayer({
  rpc,
  transactions,
  attestors: attestorList,
  confirmations,
  pollIntervalMs = 1_000,
  maxPerPoll = 16,
  gasHeadroomPercent = 25,
  receiptTimeoutMs = 60_000,
  logger,
}: StartPhatRelayerParameters): PhatRelayer {
  const attestors = attestorList.map((address) => checksumAddress(address))
  const log = logger?.child({ component: 'phat-relayer' })
  const stats: PhatRelayerStats = { relayed: 0, flushed: 0, refused: 0, errors: 0 }
  let stopped = false

  /** Estimates, sends and waits for one call; false when the attestor refused it at the estimate. */
  const send = async (to: string, data: Hex): Promise<boolean> => {
    let gas: bigint
    try {
      gas = BigInt(await rpc.request<string>('eth_estimateGas', [{ from: transactions.address, to, data }]))
    } catch (error) {
      if (!(error instanceof RpcError)) throw error
      stats.refused++
      log?.debug({ attestor: to, err: error.message }, 'the attestor refused the call; nothing sent')
      return false
    }
    const { hash, receipt } = await transactions.sendAndWait(
      { to, data, gas: gas + (gas * BigInt(gasHeadroomPercent)) / 100n },
      receiptTimeoutMs,
    )
    if (receipt.status !== '0x1') {
      throw new FulfilmentTransactionError('A Phat attestor transaction reverted.', {
        code: 'FULFILMENT_REVERTED',
        details: `transaction ${hash} to ${to}`,
      })
    }
    return true
  }

  const serve = async (attestor: string) => {
    const work = await readPhatWork({ rpc, attestor, confirmations, maxCount: maxPerPoll })
    if (work.flushable && (await send(attestor, encodeFlush(maxPerPoll)))) stats.flushed++
    for (const index of work.toRelay) {
      if (stopped) return
      if (await send(attestor, encodeRelay(index))) {
        stats.relayed++
        log?.debug({ attestor, index }, 'relayed a Phat message')
      }
    }
  }

  const polling = createCoalescedTask(
    async () => {
      for (const attestor of attestors) {
        try {
          await serve(attestor)
        } catch (error) {
          stats.errors++
          log?.warn(
            { attestor, err: (error as Error).message?.split('\n')[0] },
            'Phat relay failed; retrying',
          )
        }
      }
    },
    () => !stopped,
  )

  let timer: NodeJS.Timeout | undefined
  const tick = () => {
    if (stopped) return
    void polling.run().finally(() => {
      if (!stopped) timer = setTimeout(tick, pollIntervalMs)
    })
  }
  tick()
  log?.info({ attestors, confirmations }, 'Phat relayer started')

  return {
    stats: () => ({ ...stats }),
    poll: () => polling.run(),
    async stop() {
      stopped = true
      clearTimeout(timer)
      await polling.running
    },
  }
}
