import { Interface } from 'ethers'
import { loadArtifact } from '../../contracts/loadArtifact.js'
import type { CompatMode } from '../../runtime/compat/compatMode.js'
import { resolveServerUrl } from '../commands/apiClient.js'
import { uploadFunction } from '../commands/uploadFunction.js'
import { UsageError } from '../UsageError.js'
import {
  assertContract,
  type ChainOptions,
  type OpenChainReturnType,
  openChain,
  parseAddress,
  parseBytes32,
  printChainOutcome,
} from './chainOptions.js'
import { checkCodeToRegister, codeToRegister } from './codeToRegister.js'
import { resolveFunctionId } from './resolveFunctionId.js'
import { type ChainPlan, type ChainSent, sendChainCall } from './sendChainCall.js'

export type RegisterOptions = ChainOptions & {
  registry: string
  functionId?: string
  name?: string
  minify?: boolean
  compat?: CompatMode
  server?: string
  /** Register teefn's Chainlink Functions request runner (no entry); the id is the consumers' donId. */
  chainlinkRouter?: boolean
}

/**
 * `teefn chain register <entry>`: registers the function's codeHash under a functionId, and prints the id. With
 * `--server`, it first uploads the same bundle to that node, signed by the sender (its owner), as `teefn deploy`.
 * `--chainlink-router` registers teefn's Chainlink Functions request runner instead of an entry: each user
 * registers their own copy (with their own secrets), so it needs `--name` or `--function-id`.
 */
export async function registerAction(entry: string | undefined, options: RegisterOptions): Promise<void> {
  const registry = parseAddress(options.registry, '--registry')
  checkCodeToRegister({ entry, ...options })
  if (options.chainlinkRouter && options.name === undefined && options.functionId === undefined) {
    throw new UsageError(
      '--chainlink-router needs --name or --function-id',
      'Each user registers their own copy of the runner, with their own secrets; its functionId is the donId your consumers send.',
    )
  }
  const { functionId, name } = resolveFunctionId({ ...options, entry: entry ?? '' })
  const chain = await openChain('register', options)
  try {
    chain.progress(`bundling ${entry ?? 'the Chainlink Functions request runner'}`)
    const { codeHash, bytes, label } = await codeToRegister({ entry, ...options })
    const server = options.server === undefined ? undefined : resolveServerUrl(options.server)
    if (server !== undefined && !options.dryRun) {
      chain.progress(`uploading ${bytes.byteLength} bytes to ${server}`)
      await uploadFunction({ server, bytes, codeHash, owner: chain.wallet })
    }
    const outcome = await callRegistry(chain, options, registry, 'registerFunction', [functionId, codeHash])
    printChainOutcome({
      outcome,
      json: options.json,
      result: {
        functionId,
        ...(name === undefined ? {} : { name }),
        codeHash,
        owner: chain.wallet.address,
        registry,
        ...(server === undefined ? {} : { uploadedTo: server }),
      },
      value: functionId,
      summary: `registered ${name ?? functionId} (${options.chainlinkRouter ? `${label}, ` : ''}codeHash ${codeHash}), owner ${chain.wallet.address}${server === undefined ? '' : `, uploaded to ${server}`}`,
    })
  } finally {
    chain.close()
  }
}

export type UpgradeOptions = ChainOptions & {
  registry: string
  functionId: string
  minify?: boolean
  compat?: CompatMode
  /** Point the function at this teefn's Chainlink Functions request runner (no entry). */
  chainlinkRouter?: boolean
}

/** `teefn chain upgrade <entry> --function-id`: points the function at the entry's codeHash. */
export async function upgradeAction(entry: string | undefined, options: UpgradeOptions): Promise<void> {
  const registry = parseAddress(options.registry, '--registry')
  checkCodeToRegister({ entry, ...options })
  const functionId = parseBytes32(options.functionId, '--function-id')
  const chain = await openChain('upgrade', options)
  try {
    chain.progress(`bundling ${entry ?? 'the Chainlink Functions request runner'}`)
    const { codeHash } = await codeToRegister({ entry, ...options })
    const outcome = await callRegistry(chain, options, registry, 'upgradeFunction', [functionId, codeHash])
    printChainOutcome({
      outcome,
      json: options.json,
      result: { functionId, codeHash, registry },
      value: codeHash,
      summary: `upgraded ${functionId} to codeHash ${codeHash}`,
    })
  } finally {
    chain.close()
  }
}

export type LockOptions = ChainOptions & { registry: string; functionId: string }

/** `teefn chain lock --function-id`: freezes the function's codeHash for good. */
export async function lockAction(options: LockOptions): Promise<void> {
  const registry = parseAddress(options.registry, '--registry')
  const functionId = parseBytes32(options.functionId, '--function-id')
  const chain = await openChain('lock', options)
  try {
    const outcome = await callRegistry(chain, options, registry, 'lockFunction', [functionId])
    printChainOutcome({
      outcome,
      json: options.json,
      result: { functionId, locked: !('dryRun' in outcome), registry },
      value: functionId,
      summary: `locked ${functionId}: its codeHash can no longer change`,
    })
  } finally {
    chain.close()
  }
}

/** Sends (or, with `--dry-run`, plans) one call on the registry, after checking a registry is there. */
export async function callRegistry(
  chain: OpenChainReturnType,
  options: ChainOptions,
  registry: string,
  fn: string,
  args: unknown[],
): Promise<ChainPlan | ChainSent> {
  await assertContract(chain.connection, registry, 'registry')
  const { abi } = loadArtifact('TeefnRegistry')
  return sendChainCall({
    connection: chain.connection,
    wallet: chain.wallet,
    dryRun: options.dryRun,
    progress: chain.progress,
    call: {
      contract: 'TeefnRegistry',
      function: fn,
      args,
      to: registry,
      data: new Interface(abi).encodeFunctionData(fn, args),
      abis: [abi],
    },
  })
}
