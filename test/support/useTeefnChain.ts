import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest'
import { type AnvilInstance, startAnvil } from '../../dev/startAnvil.js'
import {
  type DeployTeefnContractsParameters,
  deployTeefnContracts,
  type TeefnContractsFixture,
} from './teefnContracts.js'

export type { AnvilInstance }

export type UseTeefnChainParameters = DeployTeefnContractsParameters & {
  /** Every test starts from the freshly deployed state: an anvil snapshot, reverted after each test. */
  isolate?: boolean | undefined
}

/**
 * The test file's chain: starts anvil and deploys the contracts before its tests, stops both after them,
 * and hands them to `ready` (e.g. `useTeefnChain({}, (chain) => ({ anvil, f } = chain))`).
 */
export function useTeefnChain(
  parameters: UseTeefnChainParameters,
  ready: (chain: { anvil: AnvilInstance; f: TeefnContractsFixture }) => void | Promise<void>,
): void {
  let anvil: AnvilInstance | undefined
  let f: TeefnContractsFixture | undefined
  let snapshot: string | undefined
  beforeAll(async () => {
    anvil = await startAnvil()
    f = await deployTeefnContracts(anvil, parameters)
    await ready({ anvil, f })
  })
  afterAll(async () => {
    f?.destroy()
    await anvil?.stop()
  })
  if (parameters.isolate) {
    beforeEach(async () => {
      snapshot = await anvil!.snapshot()
    })
    afterEach(async () => {
      await anvil!.revert(snapshot!)
    })
  }
}
