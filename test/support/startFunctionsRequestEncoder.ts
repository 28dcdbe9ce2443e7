import { type Contract, Wallet } from 'ethers'
import { deploy } from '../../contracts/artifacts.js'
import { compileContracts } from '../../contracts/compileContracts.js'
import { createProvider, startAnvil } from '../../dev/startAnvil.js'
import type { Hex } from '../../runtime/bytes.js'

/** Chainlink's `FunctionsRequest.Location`. */
export const Location = { Inline: 0, Remote: 1, DONHosted: 2 } as const

export type FunctionsRequestEncoder = {
  /** `initializeRequestForInlineJavaScript`, then `setArgs` / `setBytesArgs` when not empty, then `encodeCBOR`. */
  encodeInline(source: string, args?: string[], bytesArgs?: string[]): Promise<Hex>
  /** An inline request with `addDONHostedSecrets(slotId, version)`. */
  encodeWithDonHostedSecrets(source: string, slotId: number, version: bigint): Promise<Hex>
  /** An inline request with `addSecretsReference(reference)`. */
  encodeWithSecretsReference(source: string, reference: string): Promise<Hex>
  /** `initializeRequest(codeLocation, JavaScript, source)`. */
  encodeAt(codeLocation: number, source: string): Promise<Hex>
  stop(): Promise<void>
}

/**
 * Chainlink's own CBOR encoder on a real chain: anvil with `FunctionsRequestEncoder` (a wrapper of
 * @chainlink/contracts' `FunctionsRequest`), so tests decode the bytes real consumers send.
 */
export async function startFunctionsRequestEncoder(): Promise<FunctionsRequestEncoder> {
  await compileContracts()
  const anvil = await startAnvil()
  const provider = createProvider(anvil.rpcUrl, anvil.chainId)
  try {
    const encoder = (await deploy(
      'FunctionsRequestEncoder',
      new Wallet(anvil.privateKeys[0]!, provider),
    )) as unknown as Contract
    return {
      encodeInline: (source, args = [], bytesArgs = []) => encoder.encodeInline!(source, args, bytesArgs),
      encodeWithDonHostedSecrets: (source, slotId, version) =>
        encoder.encodeWithDonHostedSecrets!(source, slotId, version),
      encodeWithSecretsReference: (source, reference) =>
        encoder.encodeWithSecretsReference!(source, reference),
      encodeAt: (codeLocation, source) => encoder.encodeAt!(codeLocation, source),
      async stop() {
        provider.destroy()
        await anvil.stop()
      },
    }
  } catch (error) {
    provider.destroy()
    await anvil.stop()
    throw error
  }
}
