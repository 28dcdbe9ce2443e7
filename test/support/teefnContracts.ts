import {
  AbiCoder,
  type BaseContract,
  type ContractTransactionResponse,
  Interface,
  id,
  type JsonFragment,
  type JsonRpcProvider,
  keccak256,
  type LogDescription,
  type TransactionReceipt,
  type TypedDataDomain,
  Wallet,
} from 'ethers'
import { type AnvilInstance, createProvider, waitForReceipt } from '../../cli/dev/startAnvil.js'
import {
  type ContractName,
  deployPriceOracle,
  deployRegistry,
  loadArtifact,
} from '../../contracts/artifacts.js'
import { compileContracts } from '../../contracts/compileContracts.js'
import type { PriceOracleContract, TeefnRegistryContract } from '../../contracts/contractTypes.js'
import {
  type Envelope,
  type FulfillmentFields,
  signFulfillment,
  type TypedDataSigner,
  teefnDomain,
} from '../../contracts/fulfillmentTypedData.js'

export type TeefnContractsFixture = {
  provider: JsonRpcProvider
  chainId: bigint
  /** anvil account 0: deploys the registry and is its admin. */
  admin: Wallet
  /** anvil account 1: registered the price function. */
  functionOwner: Wallet
  /** anvil account 2: deployed the oracle and may request prices. */
  oracleOwner: Wallet
  /** anvil account 3: submits envelopes. */
  relayer: Wallet
  /** anvil account 4: holds no role. */
  stranger: Wallet
  /** The admitted worker key (deterministic, never funded: it only signs). Test-only. */
  worker: Wallet
  workerAttestationHash: string
  workerExpiresAt: bigint
  registry: TeefnRegistryContract
  oracle: PriceOracleContract
  functionId: string
  codeHash: string
  /** Asks the oracle for a price (as its owner) and returns the request id from `RequestSent`. */
  requestPrice(payload?: string): Promise<string>
  /** Signs an envelope for `consumer` (the oracle by default) with `signer` (the worker by default). */
  sign(
    fields: Partial<FulfillmentFields> & { requestId: string },
    options?: { signer?: TypedDataSigner; consumer?: string; domain?: TypedDataDomain },
  ): Promise<Envelope>
  destroy(): void
}

export type DeployTeefnContractsParameters = {
  /** Gas the oracle's hook gets; 200 000 by default. */
  hookGasLimit?: number
}

/** A deterministic test-only key, so failures are reproducible. */
export function testKey(label: string): string {
  return id(`teefn test key: ${label}`)
}

/**
 * Compiles (cached) and deploys the registry and a PriceOracle on `anvil`, registers the price function and
 * admits one worker for a day. Shared by contract, relayer and end-to-end tests.
 */
export async function deployTeefnContracts(
  anvil: AnvilInstance,
  parameters: DeployTeefnContractsParameters = {},
): Promise<TeefnContractsFixture> {
  await compileContracts()
  const provider = createProvider(anvil.rpcUrl, anvil.chainId)
  const [admin, functionOwner, oracleOwner, relayer, stranger] = anvil.privateKeys
    .slice(0, 5)
    .map((key) => new Wallet(key, provider)) as [Wallet, Wallet, Wallet, Wallet, Wallet]
  const worker = new Wallet(testKey('worker'), provider)
  const functionId = id('teefn.examples.price')
  const codeHash = keccak256(Buffer.from('bundle of the price function v1'))

  const registry = await deployRegistry(admin)
  const registryAddress = await registry.getAddress()
  await mined(registry.connect(functionOwner).registerFunction(functionId, codeHash))
  const now = BigInt((await provider.getBlock('latest'))!.timestamp)
  const workerExpiresAt = now + 86_400n
  const workerAttestationHash = id('attestation of the test worker')
  await mined(registry.admitWorker(worker.address, workerAttestationHash, workerExpiresAt))
  const oracle = await deployPriceOracle(oracleOwner, {
    registry: registryAddress,
    functionId,
    hookGasLimit: parameters.hookGasLimit ?? 200_000,
  })
  const oracleAddress = await oracle.getAddress()
  const chainId = BigInt(anvil.chainId)

  return {
    provider,
    chainId,
    admin,
    functionOwner,
    oracleOwner,
    relayer,
    stranger,
    worker,
    workerAttestationHash,
    workerExpiresAt,
    registry,
    oracle,
    functionId,
    codeHash,
    async requestPrice(payload = '0x') {
      const receipt = await mined(oracle.connect(oracleOwner).requestPrice(payload))
      const [event] = eventsNamed(receipt, oracle, 'RequestSent')
      if (!event) throw new Error('requestPrice emitted no RequestSent')
      return event.args.requestId as string
    },
    sign(fields, options = {}) {
      const domain = options.domain ?? teefnDomain(chainId, options.consumer ?? oracleAddress)
      return signFulfillment(options.signer ?? worker, domain, {
        functionId,
        codeHash,
        status: 0,
        result: '0x',
        ...fields,
      })
    },
    destroy() {
      provider.destroy()
    },
  }
}

/** Sends, waits until mined (without ethers' `wait()`, see `waitForReceipt`), and returns the receipt; throws on revert. */
export async function mined(tx: Promise<ContractTransactionResponse>): Promise<TransactionReceipt> {
  const response = await tx
  const receipt = await waitForReceipt(response.provider, response.hash)
  if (receipt.status !== 1) throw new Error(`transaction ${response.hash} reverted`)
  return receipt
}

/** The events named `name` that `contract` emitted in `receipt`, decoded, in log order. */
export function eventsNamed(
  receipt: Pick<TransactionReceipt, 'logs'>,
  contract: Pick<BaseContract, 'interface' | 'target'>,
  name: string,
): LogDescription[] {
  const address = String(contract.target).toLowerCase()
  return receipt.logs
    .filter((log) => log.address.toLowerCase() === address)
    .map((log) => contract.interface.parseLog(log))
    .filter((event): event is LogDescription => event?.name === name)
}

/** ABI-encodes a price the way the price function answers. */
export function encodePrice(price: bigint): string {
  return AbiCoder.defaultAbiCoder().encode(['uint256'], [price])
}

/** The request id a consumer at `consumer` issues as its `nonce`-th request on `chainId`. */
export function expectedRequestId(chainId: bigint, consumer: string, nonce: bigint): string {
  return keccak256(
    AbiCoder.defaultAbiCoder().encode(['uint256', 'address', 'uint256'], [chainId, consumer, nonce]),
  )
}

type RevertedError = { code?: string; revert?: { name: string; args: unknown[] } | null; data?: string }

let teefnErrors: Interface | undefined

/** Every custom error of the teefn contracts (and of what they inherit), to decode revert data. */
function teefnErrorInterface(): Interface {
  if (!teefnErrors) {
    const names: ContractName[] = ['TeefnRegistry', 'PriceOracle', 'TestConsumer']
    const fragments = new Map<string, JsonFragment>()
    for (const name of names) {
      for (const fragment of loadArtifact(name).abi) {
        if (fragment.type !== 'error') continue
        const key = `${fragment.name}(${(fragment.inputs ?? []).map((input) => input.type).join(',')})`
        fragments.set(key, fragment)
      }
    }
    teefnErrors = new Interface([...fragments.values()])
  }
  return teefnErrors
}

/**
 * Resolves with the decoded custom error when `promise` is rejected by a contract revert, and fails the
 * test otherwise. Compare with `toEqual({ name, args })`. Decodes every teefn contract error, also where
 * ethers leaves `revert` empty (transactions sent through a signer are estimated without the ABI).
 */
export async function revertOf(promise: Promise<unknown>): Promise<{ name: string; args: unknown[] }> {
  let error: RevertedError | undefined
  try {
    await promise
  } catch (e) {
    error = e as RevertedError
  }
  if (!error) throw new Error('expected a revert, but the call succeeded')
  if (error.code === 'CALL_EXCEPTION') {
    if (error.revert) return { name: error.revert.name, args: [...error.revert.args] }
    const decoded = error.data ? teefnErrorInterface().parseError(error.data) : null
    if (decoded) return { name: decoded.name, args: [...decoded.args] }
  }
  throw new Error(`expected a decoded contract revert, got: ${String((error as Error).message ?? error)}`)
}
