import { attachRegistry } from '../../contracts/artifacts.js'
import { printJson } from '../printJson.js'
import {
  assertContract,
  type ChainOptions,
  openChainReader,
  parseAddress,
  parseBytes32,
} from './chainOptions.js'
import { decodeChainError } from './decodeChainError.js'
import { describeAggregation } from './resultPolicy.js'

export type ShowOptions = Pick<ChainOptions, 'rpc' | 'json'> & { registry: string }

const zeroAddress = `0x${'00'.repeat(20)}`

/**
 * `teefn chain show function <functionId>`: the registry's codeHash, owner, lock and result policy (how many
 * workers must agree, and how their answers combine) for the function.
 */
export async function showFunctionAction(functionIdFlag: string, options: ShowOptions): Promise<void> {
  const functionId = parseBytes32(functionIdFlag, 'the functionId')
  const registryAddress = parseAddress(options.registry, '--registry')
  const connection = await openChainReader(options)
  try {
    await assertContract(connection, registryAddress, 'registry')
    const registry = attachRegistry(registryAddress, connection.provider)
    const [[codeHash, owner, locked], [threshold, aggregation]] = await Promise.all([
      registry.functionInfo(functionId),
      registry.policyOf(functionId),
    ]).catch((error: unknown) => {
      throw decodeChainError(error, { abis: [], action: 'functionInfo', rpc: connection.rpc })
    })
    const registered = owner !== zeroAddress
    const fields = {
      functionId,
      registered,
      codeHash,
      owner,
      locked,
      threshold: Number(threshold),
      aggregation: describeAggregation(aggregation).flag,
      registry: registryAddress,
      chainId: connection.chainId,
    }
    if (options.json) return printJson(fields)
    print(fields)
  } finally {
    connection.provider.destroy()
  }
}

/** `teefn chain show worker <address>`: the registry's admission of the worker, and whether it is active now. */
export async function showWorkerAction(workerFlag: string, options: ShowOptions): Promise<void> {
  const worker = parseAddress(workerFlag, 'the worker address')
  const registryAddress = parseAddress(options.registry, '--registry')
  const connection = await openChainReader(options)
  try {
    await assertContract(connection, registryAddress, 'registry')
    const registry = attachRegistry(registryAddress, connection.provider)
    const [[attestationHash, expiresAt], active] = await Promise.all([
      registry.workerInfo(worker),
      registry.isWorkerActive(worker),
    ]).catch((error: unknown) => {
      throw decodeChainError(error, { abis: [], action: 'workerInfo', rpc: connection.rpc })
    })
    const fields = {
      worker,
      admitted: expiresAt !== 0n,
      active,
      attestationHash,
      expiresAt: Number(expiresAt),
      expiresAtIso: expiresAt === 0n ? null : new Date(Number(expiresAt) * 1000).toISOString(),
      registry: registryAddress,
      chainId: connection.chainId,
    }
    if (options.json) return printJson(fields)
    print(fields)
  } finally {
    connection.provider.destroy()
  }
}

function print(fields: Record<string, unknown>): void {
  const lines = Object.entries(fields).map(([key, value]) => `${key.padEnd(16)} ${String(value)}`)
  process.stdout.write(`${lines.join('\n')}\n`)
}
