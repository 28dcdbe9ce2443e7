import { getAddress } from 'ethers'
import { deployPriceOracle } from '../../contracts/artifacts.js'
import type { PriceOracleContract } from '../../contracts/contractTypes.js'
import type { Hex } from '../../runtime/bytes.js'
import type { FunctionScope } from '../../runtime/enclave/functionScope.js'
import { signSecretsUpdate } from '../../runtime/enclave/ownerRecords.js'
import { encryptSecrets } from '../../runtime/enclave/secretsCipher.js'
import { createRedisConnection } from '../../runtime/queue/createRedisConnection.js'
import { createRedisFunctionStore } from '../../runtime/store/createRedisFunctionStore.js'
import { DemoError } from '../DemoError.js'
import { waitForReceipt } from '../waitForReceipt.js'
import { type QuorumNetwork, quorumFunctionId } from './startQuorumNetwork.js'

/** Reads its price URL from the node's secret `PRICE_URL`, answers it ABI-encoded (what PriceOracle decodes). */
export const secretPriceFunction = `export default async function main(request, secrets) {
  const response = await fetch(secrets.PRICE_URL)
  const price = BigInt((await response.text()).trim())
  return '0x' + price.toString(16).padStart(64, '0')
}`

export type PriceFunction = {
  functionId: Hex
  oracle: PriceOracleContract
  /** The owner puts each node's `PRICE_URL` (A, B, C in order), encrypted to that node's worker, signed. */
  putPriceUrls(urls: string[]): Promise<void>
}

/**
 * A price function under result policy (`threshold`, Identical), uploaded to every node and registered by the
 * network's owner, with its own PriceOracle consumer.
 */
export async function deployPriceFunction(
  network: QuorumNetwork,
  { label, threshold }: { label: string; threshold: number },
): Promise<PriceFunction> {
  const { owner, registry, provider, nodes, anvil } = network
  const send = async (sending: Promise<{ hash: string }>) => {
    const receipt = await waitForReceipt(provider, (await sending).hash)
    if (receipt.status !== 1) throw new DemoError('A transaction reverted.', receipt.hash)
  }
  const functionId = quorumFunctionId(label)
  let codeHash = ''
  for (const node of nodes) {
    const connection = createRedisConnection({ url: node.redisUrl })
    try {
      codeHash = (await createRedisFunctionStore({ redis: connection }).putFunction(secretPriceFunction))
        .codeHash
    } finally {
      connection.disconnect()
    }
  }
  await send(registry.registerFunction(functionId, codeHash))
  if (threshold !== 1) await send(registry.setResultPolicy(functionId, threshold, 0))
  const oracle = await deployPriceOracle(owner, { registry: await registry.getAddress(), functionId })
  const scope: FunctionScope = {
    family: 'evm',
    chainId: String(anvil.chainId),
    registry: getAddress(await registry.getAddress()).toLowerCase() as Hex,
    functionId,
  }
  let version = 0
  return {
    functionId,
    oracle,
    async putPriceUrls(urls) {
      version += 1
      for (const [index, node] of nodes.entries()) {
        const ciphertext = encryptSecrets({
          workerKey: node.worker.encryption,
          scope,
          secrets: { PRICE_URL: urls[index]! },
        })
        const connection = createRedisConnection({ url: node.redisUrl })
        try {
          const store = createRedisFunctionStore({ redis: connection })
          await store.putSecrets(await signSecretsUpdate(owner, { scope, ciphertext, version }))
        } finally {
          connection.disconnect()
        }
      }
    },
  }
}
