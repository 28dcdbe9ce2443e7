import type { AccessList, Hex } from 'viem'
import { privateKeyToAddress } from 'viem/accounts'
import { hexToBytes } from '../../runtime/bytes.js'
import type { RpcClient } from '../../runtime/chain/evm/createRpcClient.js'
import { createNonceManager, type NonceManager } from '../shared/createNonceManager.js'
import { createFeeOracle, type FeeOracle } from './createFeeOracle.js'
import { signTransaction } from './signTransaction.js'
import { type RpcReceipt, waitForReceipt } from './waitForReceipt.js'

export type CreateTransactionSenderParameters = {
  rpc: RpcClient
  /** The sending account's key (0x-hex, 32 bytes). Only signs here; never logged. */
  privateKey: string
  chainId: bigint
  /** Where fees come from; `createFeeOracle({ rpc })` by default. */
  fees?: FeeOracle | undefined
}

export type SendTransactionParameters = {
  to: string
  data: Hex
  gas: bigint
  accessList?: AccessList | undefined
}

export type TransactionSender = {
  /** The sending account (EIP-55). */
  readonly address: Hex
  /** Its local nonces: reset them when a sent transaction may never be mined. */
  readonly nonces: NonceManager
  /** Signs and broadcasts one transaction with the account's next nonce; resolves with its hash once the node took it. */
  send(transaction: SendTransactionParameters): Promise<Hex>
  /**
   * Sends one transaction and waits for its receipt (`waitForReceipt`); when it is not mined within `timeoutMs`,
   * the local nonces are reset (the next one may be stuck behind it) and `FULFILMENT_NOT_MINED` is thrown.
   */
  sendAndWait(
    transaction: SendTransactionParameters,
    timeoutMs: number,
  ): Promise<{ hash: Hex; receipt: RpcReceipt }>
  /** Transactions broadcast so far. */
  readonly sent: number
}

/**
 * Sends transactions from one key: fees from the oracle, local nonces (`createNonceManager`: consecutive sends are
 * in flight together, a failed one leaves no gap), signed with `signTransaction` (viem serializes, libsecp256k1
 * signs) and broadcast with `eth_sendRawTransaction`. A send refused for its fees makes the oracle read them again.
 */
export function createTransactionSender({
  rpc,
  privateKey: privateKeyHex,
  chainId,
  fees = createFeeOracle({ rpc }),
}: CreateTransactionSenderParameters): TransactionSender {
  const privateKey = hexToBytes(privateKeyHex)
  if (privateKey?.length !== 32) throw new RangeError('the private key must be 32 bytes of 0x-hex')
  const address = privateKeyToAddress(privateKeyHex as Hex)
  const nonces = createNonceManager({
    readNonce: async () => Number(await rpc.request<string>('eth_getTransactionCount', [address, 'pending'])),
  })
  const chain = Number(chainId)
  let sent = 0
  return {
    address,
    nonces,
    get sent() {
      return sent
    },
    async send({ to, data, gas, accessList }) {
      const pricing = await fees.fees()
      try {
        const hash = await nonces.send(async (nonce) => {
          const transaction = { ...pricing, gas, accessList, chainId: chain, nonce, to: to as Hex, data }
          return rpc.request<Hex>('eth_sendRawTransaction', [signTransaction({ transaction, privateKey })])
        })
        sent++
        return hash
      } catch (error) {
        fees.refused(error)
        throw error
      }
    },
    async sendAndWait(transaction, timeoutMs) {
      const hash = await this.send(transaction)
      const receipt = await waitForReceipt({ rpc, hash, timeoutMs, onTimeout: () => nonces.reset() })
      return { hash, receipt }
    },
  }
}
