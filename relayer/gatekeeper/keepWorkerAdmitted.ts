import { getBytes, hexlify, JsonRpcProvider, Signature, Transaction } from 'ethers'
import { attachRegistry } from '../../contracts/artifacts.js'
import type { Hex } from '../../runtime/bytes.js'
import { attestationHash } from '../../runtime/enclave/attestationHash.js'
import type { TeeProvider } from '../../runtime/enclave/TeeProvider.js'
import type { Logger } from '../../runtime/logging/createLogger.js'

export type KeepWorkerAdmittedParameters = {
  rpcUrl: string
  registry: string
  /** Where gatekeepers fetch `quote` (this node's `/v1/attestation`). */
  quoteUrl: string
  /** The quote this node serves. */
  quote: Hex
  /** The enclave key: sends `requestAdmission` itself (it must hold gas), so the request names this worker. */
  signer: Pick<TeeProvider, 'publicKeys' | 'signDigest'>
  reattestBeforeSeconds: number
  retrySeconds: number
  pollMs: number
  logger: Logger
}

/**
 * A worker keeps itself admitted without an admin: while it is not admitted, or its admission ends within
 * `reattestBeforeSeconds` (chain time), it sends `requestAdmission(attestationHash(quote), quoteUrl)` from its
 * enclave key, once per admission state (again after `retrySeconds` if nothing changed). Returns its stopper.
 */
export function keepWorkerAdmitted(parameters: KeepWorkerAdmittedParameters): () => Promise<void> {
  const provider = new JsonRpcProvider(parameters.rpcUrl, undefined, {
    staticNetwork: true,
    pollingInterval: 250,
  })
  const registry = attachRegistry(parameters.registry, provider)
  const worker = parameters.signer.publicKeys.evmAddress
  let asked: { expiresAt: bigint; at: number } | undefined
  let stopped = false
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> | undefined
  const tick = async () => {
    const block = await provider.getBlock('latest')
    const [, expiresAt] = await registry.workerInfo(worker)
    const remaining = Number(expiresAt) - (block?.timestamp ?? 0)
    if (expiresAt !== 0n && remaining > parameters.reattestBeforeSeconds) return
    if (asked?.expiresAt === expiresAt && Date.now() - asked.at < parameters.retrySeconds * 1000) return
    asked = { expiresAt, at: Date.now() }
    const hash = await sendRequestAdmission(provider, parameters)
    parameters.logger.info(
      { worker, tx: hash, expiresAt: Number(expiresAt), quoteUrl: parameters.quoteUrl },
      expiresAt === 0n ? 'admission requested' : 're-attestation requested before expiry',
    )
  }
  const loop = () => {
    timer = setTimeout(() => {
      running = tick()
        .catch((error: unknown) => {
          parameters.logger.warn(
            { worker, err: String(error).slice(0, 300) },
            'admission request failed; retrying',
          )
        })
        .finally(() => {
          if (!stopped) loop()
        })
    }, parameters.pollMs)
  }
  loop()
  return async () => {
    stopped = true
    clearTimeout(timer)
    await running
    provider.destroy()
  }
}

/** Signs and sends `requestAdmission` with the enclave key (the TEE signs the transaction's digest). */
async function sendRequestAdmission(
  provider: JsonRpcProvider,
  parameters: KeepWorkerAdmittedParameters,
): Promise<string> {
  const from = parameters.signer.publicKeys.evmAddress
  const registry = attachRegistry(parameters.registry)
  const data = registry.interface.encodeFunctionData('requestAdmission', [
    attestationHash(parameters.quote),
    parameters.quoteUrl,
  ])
  const [network, nonce, fees, gas] = await Promise.all([
    provider.getNetwork(),
    provider.getTransactionCount(from, 'pending'),
    provider.getFeeData(),
    provider.estimateGas({ from, to: parameters.registry, data }),
  ])
  const tx = Transaction.from({
    type: 2,
    chainId: network.chainId,
    nonce,
    to: parameters.registry,
    data,
    gasLimit: (gas * 12n) / 10n,
    maxFeePerGas: fees.maxFeePerGas,
    maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
  })
  tx.signature = Signature.from(hexlify(await parameters.signer.signDigest(getBytes(tx.unsignedHash))))
  const response = await provider.broadcastTransaction(tx.serialized)
  await response.wait()
  return response.hash
}
