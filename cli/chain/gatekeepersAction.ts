import type { EventLog } from 'ethers'
import { attachRegistry } from '../../contracts/artifacts.js'
import { loadArtifact } from '../../contracts/loadArtifact.js'
import { printJson } from '../printJson.js'
import { UsageError } from '../UsageError.js'
import { assertContract, type ChainOptions, openChainReader, parseAddress } from './chainOptions.js'
import { decodeChainError } from './decodeChainError.js'

export type GatekeepersOptions = Pick<ChainOptions, 'rpc' | 'json'> & { registry: string; fromBlock?: string }

const zeroAddress = `0x${'00'.repeat(20)}`

/**
 * `teefn chain gatekeepers` (read-only): who may change the registry: its admin (none once renounced), the
 * gatekeeper set and threshold, the governance nonce the next set or pin statement carries, and the measurements
 * pinned now. The registry keeps no list of pins, so they are read from its `MeasurementPinned` events (from
 * `--from-block`) and each checked with `isMeasurementPinned`.
 */
export async function gatekeepersAction(options: GatekeepersOptions): Promise<void> {
  const registryAddress = parseAddress(options.registry, '--registry')
  const fromBlock = parseBlock(options.fromBlock)
  const connection = await openChainReader(options)
  try {
    await assertContract(connection, registryAddress, 'registry')
    const registry = attachRegistry(registryAddress, connection.provider)
    const decode = (error: unknown) =>
      decodeChainError(error, {
        abis: [loadArtifact('TeefnRegistry').abi],
        action: 'gatekeepers',
        rpc: connection.rpc,
      })
    const [admin, [set, threshold], nonce, events] = await Promise.all([
      registry.admin(),
      registry.gatekeepers(),
      registry.governanceNonce(),
      registry.queryFilter('MeasurementPinned', fromBlock),
    ]).catch((error: unknown) => {
      throw decode(error)
    })
    const named = [...new Set(events.map((event) => String((event as EventLog).args[0])))]
    const pinned = await Promise.all(named.map((m) => registry.isMeasurementPinned(m))).catch(
      (error: unknown) => {
        throw decode(error)
      },
    )
    const fields = {
      admin: admin === zeroAddress ? null : admin,
      adminRenounced: admin === zeroAddress,
      gatekeepers: [...set],
      threshold: Number(threshold),
      governanceNonce: Number(nonce),
      pinnedMeasurements: named.filter((_, i) => pinned[i]),
      registry: registryAddress,
      chainId: connection.chainId,
    }
    if (options.json) return printJson(fields)
    const lines = Object.entries(fields).map(([key, value]) => {
      const text = Array.isArray(value) ? (value.length === 0 ? '(none)' : value.join(' ')) : String(value)
      return `${key.padEnd(18)} ${text}`
    })
    process.stdout.write(`${lines.join('\n')}\n`)
  } finally {
    connection.provider.destroy()
  }
}

function parseBlock(value: string | undefined): number {
  if (value === undefined) return 0
  if (!/^\d+$/.test(value)) throw new UsageError('--from-block must be a block number', `got ${value}`)
  return Number(value)
}
