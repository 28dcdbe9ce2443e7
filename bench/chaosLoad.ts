import { hexlify, keccak256, toUtf8Bytes, type Wallet } from 'ethers'
import type { PriceOracleContract } from '../contracts/contractTypes.js'
import type { RpcClient } from '../runtime/chain/evm/createRpcClient.js'

export type StartChaosLoadParameters = {
  /** anvil itself (the users' own node, never cut). */
  rpc: RpcClient
  /** Signs the `requestPrice` transactions (not connected: the load signs with its own nonces). */
  requester: Wallet
  chainId: number
  oracle: PriceOracleContract
  /** The requester's next nonce. */
  nonce: number
  /** `POST` target: `.../v1/functions/<codeHash>/invoke`. */
  invokeUrl: string
  /** Requests and invocations a second. */
  evmRate: number
  httpRate: number
}

export type ChaosLoadResult = {
  /** Request ids of the `requestPrice` transactions mined, in order. */
  requestIds: string[]
  /** Their payloads (0x-hex), as the function reports them to the run counter. */
  payloads: string[]
  /** Sends retried (no receipt yet, or anvil busy): the same transaction again until its receipt shows. */
  evmSendRetries: number
  http: { sent: number; ok: number; errors: Record<string, number> }
}

/**
 * Steady load for the chaos benchmark: `requestPrice` transactions at `evmRate` (pre-signed, consecutive nonces,
 * one at a time) and HTTP invocations at `httpRate` (each on its own, never waiting for the previous one).
 */
export function startChaosLoad({
  rpc,
  requester,
  chainId,
  oracle,
  nonce: firstNonce,
  invokeUrl,
  evmRate,
  httpRate,
}: StartChaosLoadParameters): { stop(): Promise<ChaosLoadResult> } {
  const result: ChaosLoadResult = {
    requestIds: [],
    payloads: [],
    evmSendRetries: 0,
    http: { sent: 0, ok: 0, errors: {} },
  }
  const requestSent = oracle.interface.getEvent('RequestSent')!.topicHash
  let stopped = false
  let nonce = firstNonce

  const sendRequest = async (index: number) => {
    const payload = hexlify(toUtf8Bytes(`evm ${index}`))
    const raw = await requester.signTransaction({
      type: 2,
      chainId,
      nonce: nonce++,
      to: String(oracle.target),
      data: oracle.interface.encodeFunctionData('requestPrice', [payload]),
      gasLimit: 300_000n,
      maxFeePerGas: 10_000_000_000n,
      maxPriorityFeePerGas: 1_000_000n,
    })
    const hash = keccak256(raw)
    for (;;) {
      try {
        // A resend of a transaction that went through is refused (known, or its nonce used): the receipt tells.
        await rpc.request<string>('eth_sendRawTransaction', [raw]).catch(() => undefined)
        const receipt = await rpc.request<{ logs: { topics: string[] }[] } | null>(
          'eth_getTransactionReceipt',
          [hash],
        )
        const log = receipt?.logs.find((entry) => entry.topics[0] === requestSent)
        if (log) {
          result.requestIds.push(log.topics[1]!)
          result.payloads.push(payload)
          return
        }
      } catch {
        // anvil busy: try again
      }
      result.evmSendRetries++
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }

  const invocations: Promise<void>[] = []
  const invoke = async (index: number) => {
    result.http.sent++
    const count = (key: string) => {
      result.http.errors[key] = (result.http.errors[key] ?? 0) + 1
    }
    try {
      const response = await fetch(invokeUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ request: `http ${index}` }),
      })
      await response.arrayBuffer()
      if (response.status === 200) result.http.ok++
      else count(String(response.status))
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause
      count(cause?.code ?? (error as Error).name)
    }
  }

  const evmLoop = (async () => {
    for (let index = 0; !stopped; index++) {
      const next = performance.now() + 1000 / evmRate
      await sendRequest(index)
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - performance.now())))
    }
  })()
  const httpLoop = (async () => {
    for (let index = 0; !stopped; index++) {
      invocations.push(invoke(index))
      await new Promise((resolve) => setTimeout(resolve, 1000 / httpRate))
    }
  })()

  return {
    async stop() {
      stopped = true
      await Promise.all([evmLoop, httpLoop])
      await Promise.all(invocations)
      return result
    },
  }
}
