import { concat, Interface } from 'ethers'
import { type Artifact, loadArtifact } from '../../contracts/loadArtifact.js'
import { UsageError } from '../UsageError.js'
import {
  assertContract,
  type ChainOptions,
  openChain,
  parseAddress,
  parseBytes32,
  printChainOutcome,
} from './chainOptions.js'
import { consumerConstructorArgs } from './consumerConstructorArgs.js'
import { loadChainArtifact } from './loadChainArtifact.js'
import { sendChainCall } from './sendChainCall.js'

export type DeployRegistryOptions = ChainOptions & { admin?: string }

/** `teefn chain deploy-registry`: deploys a TeefnRegistry and prints its address. */
export async function deployRegistryAction(options: DeployRegistryOptions): Promise<void> {
  const { connection, wallet, progress, close } = await openChain('deploy-registry', options)
  try {
    const admin = options.admin === undefined ? wallet.address : parseAddress(options.admin, '--admin')
    const { abi, bytecode } = loadArtifact('TeefnRegistry')
    const args = [admin]
    const outcome = await sendChainCall({
      connection,
      wallet,
      dryRun: options.dryRun,
      progress,
      call: {
        contract: 'TeefnRegistry',
        function: 'constructor',
        args,
        to: null,
        data: creationCode({ contractName: 'TeefnRegistry', abi, bytecode }, args),
        abis: [abi],
      },
    })
    const registry = outcome.contractAddress
    printChainOutcome({
      outcome,
      json: options.json,
      result: { registry, admin, chainId: connection.chainId },
      value: registry ?? '',
      summary: `deployed TeefnRegistry ${registry} on chain ${connection.chainId}, admin ${admin}`,
    })
  } finally {
    close()
  }
}

export type DeployConsumerOptions = ChainOptions & {
  registry: string
  contract?: string
  contractName?: string
  functionId?: string
  hookGasLimit?: string
  requestTimeout?: string
  owner?: string
}

/**
 * `teefn chain deploy-consumer [source.sol] [args...]`: deploys a consumer (the example PriceOracle, a compiled
 * artifact, or a contract compiled from a Solidity file) wired to the registry, and prints its address.
 */
export async function deployConsumerAction(
  positional: string[],
  options: DeployConsumerOptions,
): Promise<void> {
  const registry = parseAddress(options.registry, '--registry')
  const functionId =
    options.functionId === undefined ? undefined : parseBytes32(options.functionId, '--function-id')
  for (const [flag, value] of [
    ['--hook-gas-limit', options.hookGasLimit],
    ['--request-timeout', options.requestTimeout],
  ] as const) {
    if (value !== undefined && !/^[1-9][0-9]*$/.test(value)) {
      throw new UsageError(`${flag} must be a positive whole number`)
    }
  }
  if (options.owner !== undefined) parseAddress(options.owner, '--owner')
  const [first, ...rest] = positional
  const source = first?.endsWith('.sol') ? first : undefined
  if (source !== undefined && options.contract !== undefined) {
    throw new UsageError(`pass ${source} or --contract, not both`)
  }
  if (options.contractName !== undefined && source === undefined && !options.contract?.endsWith('.sol')) {
    throw new UsageError('--contract-name picks a contract of a .sol file: pass the file as well')
  }
  const name = source ?? options.contract ?? 'PriceOracle'
  const artifact = await loadChainArtifact(name, options.contractName)
  const constructorArgs = source === undefined ? positional : rest
  if (artifact.bytecode === '0x') {
    throw new UsageError(`${name} cannot be deployed: it is an interface or abstract contract (no bytecode)`)
  }
  const { connection, wallet, progress, close } = await openChain('deploy-consumer', options)
  try {
    const args = consumerConstructorArgs({
      abi: artifact.abi,
      contract: artifact.contractName,
      options: { ...options, registry, functionId },
      sender: wallet.address,
      positional: constructorArgs,
    })
    await assertContract(connection, registry, 'registry')
    const outcome = await sendChainCall({
      connection,
      wallet,
      dryRun: options.dryRun,
      progress,
      call: {
        contract: artifact.contractName,
        function: 'constructor',
        args,
        to: null,
        data: creationCode(artifact, args),
        abis: [artifact.abi, loadArtifact('TeefnConsumer').abi],
      },
    })
    const consumer = outcome.contractAddress
    printChainOutcome({
      outcome,
      json: options.json,
      result: { consumer, contract: artifact.contractName, registry, chainId: connection.chainId },
      value: consumer ?? '',
      summary: `deployed ${artifact.contractName} ${consumer} on chain ${connection.chainId}, registry ${registry}`,
    })
  } finally {
    close()
  }
}

/** Creation code with the encoded constructor arguments; arguments that do not fit are a usage error. */
function creationCode(
  artifact: Pick<Artifact, 'contractName' | 'abi' | 'bytecode'>,
  args: readonly unknown[],
): string {
  try {
    return concat([artifact.bytecode, new Interface(artifact.abi).encodeDeploy(args)])
  } catch (error) {
    const reason = (error as { shortMessage?: string }).shortMessage ?? String((error as Error).message)
    throw new UsageError(`the constructor arguments of ${artifact.contractName} do not fit: ${reason}`)
  }
}
