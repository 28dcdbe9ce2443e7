import { compareAddresses } from '../../contracts/quorumFulfillment.js'
import { UsageError } from '../UsageError.js'
import {
  type ChainOptions,
  openChain,
  parseAddress,
  parseBytes32,
  printChainOutcome,
} from './chainOptions.js'
import { callRegistry } from './functionActions.js'
import { parseThreshold } from './resultPolicy.js'

export type SetGatekeepersOptions = ChainOptions & { registry: string; threshold: string }

/**
 * `teefn chain set-gatekeepers <address...> --threshold <k>` (the registry's admin): replaces the gatekeeper set;
 * the addresses are sent in the strictly increasing order the registry requires.
 */
export async function setGatekeepersAction(
  addresses: string[],
  options: SetGatekeepersOptions,
): Promise<void> {
  const registry = parseAddress(options.registry, '--registry')
  const set = addresses.map((address) => parseAddress(address, 'a gatekeeper address')).sort(compareAddresses)
  const threshold = parseThreshold(options.threshold, '--threshold')
  const chain = await openChain('set-gatekeepers', options)
  try {
    const outcome = await callRegistry(chain, options, registry, 'setGatekeepers', [set, threshold])
    printChainOutcome({
      outcome,
      json: options.json,
      result: { gatekeepers: set, threshold, registry },
      value: set.join(' '),
      summary: `the registry now takes ${threshold} of these ${set.length} gatekeepers' signatures`,
    })
  } finally {
    chain.close()
  }
}

export type PinMeasurementOptions = ChainOptions & { registry: string; unpin?: boolean }

/** `teefn chain pin-measurement <measurement> [--unpin]` (the admin): which runtime admissions may name. */
export async function pinMeasurementAction(
  measurementArgument: string,
  options: PinMeasurementOptions,
): Promise<void> {
  const registry = parseAddress(options.registry, '--registry')
  const measurement = parseBytes32(measurementArgument, 'the measurement')
  const pinned = options.unpin !== true
  const chain = await openChain('pin-measurement', options)
  try {
    const outcome = await callRegistry(chain, options, registry, 'setMeasurementPinned', [
      measurement,
      pinned,
    ])
    printChainOutcome({
      outcome,
      json: options.json,
      result: { measurement, pinned, registry },
      value: measurement,
      summary: `${pinned ? 'pinned' : 'unpinned'} measurement ${measurement}`,
    })
  } finally {
    chain.close()
  }
}

export type RenounceAdminOptions = ChainOptions & { registry: string; yes?: boolean }

/**
 * `teefn chain renounce-admin --yes` (the admin): gives up the admin role for good; from then on only the
 * gatekeeper quorum admits and removes workers and changes gatekeepers and pins. Irreversible, so it asks for
 * `--yes` (a `--dry-run` needs none). The registry refuses while no gatekeeper set is configured
 * (`NoGatekeepers`), which would freeze admission for ever.
 */
export async function renounceAdminAction(options: RenounceAdminOptions): Promise<void> {
  const registry = parseAddress(options.registry, '--registry')
  if (!options.yes && !options.dryRun) {
    throw new UsageError(
      'renounce-admin is irreversible: no key can act as the admin again. Pass --yes to renounce.',
      'Check the gatekeeper set first (teefn chain gatekeepers); --dry-run shows the call without --yes.',
    )
  }
  const chain = await openChain('renounce-admin', options)
  try {
    const outcome = await callRegistry(chain, options, registry, 'renounceAdmin', [])
    printChainOutcome({
      outcome,
      json: options.json,
      result: { admin: null, previousAdmin: chain.wallet.address, registry },
      value: registry,
      summary: `${chain.wallet.address} renounced the admin role of ${registry}: only the gatekeeper quorum changes it now`,
    })
  } finally {
    chain.close()
  }
}
