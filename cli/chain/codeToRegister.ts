import type { CompatMode } from '../../runtime/compat/compatMode.js'
import { buildFunctionsRequestRunner } from '../build/buildFunctionsRequestRunner.js'
import { functionCode } from '../build/functionCode.js'
import { UsageError } from '../UsageError.js'

export type CodeToRegisterParameters = {
  /** The function's entry (.ts, .js) or a bundle; none with `chainlinkRouter`. */
  entry: string | undefined
  minify?: boolean | undefined
  compat?: CompatMode | undefined
  /** `--chainlink-router`: teefn's Chainlink Functions request runner instead of an entry. */
  chainlinkRouter?: boolean | undefined
}

export type CodeToRegisterReturnType = {
  bytes: Uint8Array
  codeHash: `0x${string}`
  /** What the code is, for progress and summary lines. */
  label: string
}

/**
 * The code `teefn chain register` and `upgrade` put on-chain: the entry's bundle, or with `--chainlink-router` the
 * request runner `TeefnFunctionsRouter` requests run (built in chainlink mode by teefn, so no entry, `--compat` or
 * `--minify`).
 */
export async function codeToRegister(
  parameters: CodeToRegisterParameters,
): Promise<CodeToRegisterReturnType> {
  checkCodeToRegister(parameters)
  const { entry, minify, compat } = parameters
  if (entry === undefined) {
    const { bytes, codeHash } = await buildFunctionsRequestRunner()
    return { bytes, codeHash, label: "teefn's Chainlink Functions request runner" }
  }
  const { bytes, codeHash } = await functionCode({ entry, minify, compat })
  return { bytes, codeHash, label: entry }
}

/** Throws the `UsageError` `codeToRegister` would, before anything is read or sent. */
export function checkCodeToRegister({
  entry,
  minify,
  compat,
  chainlinkRouter,
}: CodeToRegisterParameters): void {
  if (chainlinkRouter) {
    if (entry !== undefined) throw new UsageError('pass an entry or --chainlink-router, not both')
    if (compat !== undefined || minify) {
      throw new UsageError(
        '--chainlink-router registers the runner as teefn builds it: drop --compat and --minify',
      )
    }
  } else if (entry === undefined) {
    throw new UsageError(
      'name the function to register: an entry (.ts, .js), or --chainlink-router for the Chainlink Functions request runner',
    )
  }
}
