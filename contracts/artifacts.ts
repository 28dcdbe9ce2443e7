import {
  type BaseContract,
  Contract,
  ContractFactory,
  type ContractRunner,
  type Provider,
  type TransactionReceipt,
} from 'ethers'
import { ContractsError } from './ContractsError.js'
import type { PriceOracleContract, TeefnConsumerContract, TeefnRegistryContract } from './contractTypes.js'
import { type ContractName, loadArtifact } from './loadArtifact.js'

// The artifact reader lives apart, free of ethers, for code that only needs an ABI (the relayer's submitter).
export {
  type Artifact,
  type ContractName,
  type LoadArtifactParameters,
  loadArtifact,
} from './loadArtifact.js'

export type DeployRegistryParameters = {
  /** Registry admin; the deployer's address by default. */
  admin?: string | undefined
}

type Deployer = ContractRunner & { getAddress(): Promise<string> }

/** Deploys `TeefnRegistry` from `signer` and waits until it is mined. */
export async function deployRegistry(
  signer: Deployer,
  parameters: DeployRegistryParameters = {},
): Promise<TeefnRegistryContract> {
  const admin = parameters.admin ?? (await signer.getAddress())
  return (await deploy('TeefnRegistry', signer, [admin])) as unknown as TeefnRegistryContract
}

/** Seconds a request may be answered when a deploy helper is not told otherwise: one hour. */
export const DEFAULT_REQUEST_TIMEOUT = 3_600

export type DeployPriceOracleParameters = {
  /** Address of the TeefnRegistry. */
  registry: string
  /** bytes32 hex of the price function's id (must be registered before the first request). */
  functionId: string
  /** Gas for the result hook; 200 000 by default. */
  hookGasLimit?: number | undefined
  /** Seconds a request may be answered (> 0); `DEFAULT_REQUEST_TIMEOUT` (one hour) by default. */
  requestTimeout?: number | undefined
  /** Who may request prices; the deployer's address by default. */
  owner?: string | undefined
}

/** Deploys the example `PriceOracle` consumer from `signer` and waits until it is mined. */
export async function deployPriceOracle(
  signer: Deployer,
  parameters: DeployPriceOracleParameters,
): Promise<PriceOracleContract> {
  const owner = parameters.owner ?? (await signer.getAddress())
  const args = [
    parameters.registry,
    parameters.functionId,
    parameters.hookGasLimit ?? 200_000,
    parameters.requestTimeout ?? DEFAULT_REQUEST_TIMEOUT,
    owner,
  ]
  return (await deploy('PriceOracle', signer, args)) as unknown as PriceOracleContract
}

/** Deploys any compiled contract with constructor `args` and waits until it is mined. */
export async function deploy(
  name: ContractName,
  signer: ContractRunner,
  args: unknown[] = [],
): Promise<BaseContract> {
  const { abi, bytecode } = loadArtifact(name)
  if (bytecode === '0x') {
    throw new ContractsError(`Contract ${name} cannot be deployed.`, {
      code: 'CONTRACT_NOT_DEPLOYABLE',
      details: `${name} is an interface or abstract contract (no bytecode).`,
      hint: 'Deploy a concrete contract that implements it.',
    })
  }
  const contract = await new ContractFactory(abi, bytecode, signer).deploy(...args, await freshNonce(signer))
  const tx = contract.deploymentTransaction()
  if (tx) {
    const receipt = await pollReceipt(tx.provider, tx.hash)
    if (receipt.status !== 1) {
      throw new ContractsError(`Deploying ${name} reverted.`, {
        code: 'CONTRACT_DEPLOY_REVERTED',
        details: `Transaction ${tx.hash} has status ${receipt.status}.`,
        hint: 'Check the constructor arguments.',
      })
    }
  }
  return contract
}

/**
 * The sender's pending nonce, asked of the node itself (`send` skips the provider's result cache). Left to ethers,
 * the nonce comes through `getTransactionCount`, which a provider with the default `cacheTimeout` (250 ms) answers
 * from its cache: a deployment right after another then reuses its nonce ("nonce too low").
 */
async function freshNonce(runner: ContractRunner): Promise<{ nonce?: number }> {
  const signer = runner as Partial<{ getAddress(): Promise<string> }>
  const provider = runner.provider as
    | (Provider & { send?: (method: string, params: unknown[]) => Promise<unknown> })
    | null
  if (typeof signer.getAddress !== 'function' || typeof provider?.send !== 'function') return {}
  const count = await provider.send('eth_getTransactionCount', [await signer.getAddress(), 'pending'])
  return { nonce: Number(count) }
}

/**
 * Polls for the receipt (backing off to 1 s). Not `waitForDeployment()`/`tx.wait()`: against an automining
 * node they can wait for good when the block lands between their first check and their first block poll.
 */
async function pollReceipt(
  provider: Provider,
  hash: string,
  timeoutMs = 300_000,
): Promise<TransactionReceipt> {
  const deadline = Date.now() + timeoutMs
  for (let delay = 25; ; delay = Math.min(delay * 2, 1_000)) {
    const receipt = await provider.getTransactionReceipt(hash)
    if (receipt) return receipt
    if (Date.now() > deadline) {
      throw new ContractsError('Deployment was not mined in time.', {
        code: 'CONTRACT_DEPLOY_TIMEOUT',
        details: `No receipt for ${hash} after ${timeoutMs} ms.`,
        hint: 'Check that the node is mining and the gas price is high enough.',
      })
    }
    await new Promise((resolve) => setTimeout(resolve, delay))
  }
}

/** A handle on the registry at `address`. */
export function attachRegistry(address: string, runner: ContractRunner | null = null): TeefnRegistryContract {
  return new Contract(address, loadArtifact('TeefnRegistry').abi, runner) as unknown as TeefnRegistryContract
}

/** A handle on any consumer at `address` through the `TeefnConsumer` ABI (what a relayer needs). */
export function attachConsumer(address: string, runner: ContractRunner | null = null): TeefnConsumerContract {
  return new Contract(address, loadArtifact('TeefnConsumer').abi, runner) as unknown as TeefnConsumerContract
}

/** A handle on a `PriceOracle` at `address`. */
export function attachPriceOracle(
  address: string,
  runner: ContractRunner | null = null,
): PriceOracleContract {
  return new Contract(address, loadArtifact('PriceOracle').abi, runner) as unknown as PriceOracleContract
}
