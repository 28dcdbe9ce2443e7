import { Interface, type InterfaceAbi } from 'ethers'
import { DEFAULT_REQUEST_TIMEOUT } from '../../contracts/artifacts.js'
import { UsageError } from '../UsageError.js'

/** The flags that fill a consumer's constructor parameters by name. */
export type ConsumerConstructorOptions = {
  registry: string
  functionId?: string | undefined
  hookGasLimit?: string | undefined
  requestTimeout?: string | undefined
  owner?: string | undefined
}

export type ConsumerConstructorArgsParameters = {
  abi: InterfaceAbi
  contract: string
  options: ConsumerConstructorOptions
  /** The deployer, the owner by default. */
  sender: string
  /** The command line's positional arguments, for the parameters no flag fills. */
  positional: readonly string[]
}

/** A consumer's hook gas when `--hook-gas-limit` does not say (as `deployPriceOracle`). */
export const defaultHookGasLimit = 200_000

/**
 * A consumer's constructor arguments. Parameters are matched by name, leading and trailing `_` ignored:
 * `registry` ← `--registry`, `functionId` ← `--function-id`, `hookGasLimit` ← `--hook-gas-limit` (200 000),
 * `requestTimeout` ← `--request-timeout` (3600 s), `owner` ← `--owner` (the sender); every other parameter takes
 * the next positional argument, in order (JSON for arrays, `true`/`false` for bools).
 */
export function consumerConstructorArgs({
  abi,
  contract,
  options,
  sender,
  positional,
}: ConsumerConstructorArgsParameters): unknown[] {
  const inputs = new Interface(abi).deploy.inputs
  const signature = `${contract}(${inputs.map((input) => `${input.type} ${input.name}`).join(', ')})`
  const rest = [...positional]
  const args = inputs.map((input) => {
    const name = input.name.replace(/^_+|_+$/g, '').toLowerCase()
    switch (name) {
      case 'registry':
        return options.registry
      case 'functionid':
        if (options.functionId === undefined) {
          throw new UsageError(`${contract} needs --function-id`, `its constructor is ${signature}`)
        }
        return options.functionId
      case 'hookgaslimit':
        return options.hookGasLimit ?? defaultHookGasLimit
      case 'requesttimeout':
        return options.requestTimeout ?? DEFAULT_REQUEST_TIMEOUT
      case 'owner':
        return options.owner ?? sender
      default: {
        const value = rest.shift()
        if (value === undefined) {
          throw new UsageError(
            `${contract} needs a value for its constructor parameter ${input.type} ${input.name || '(unnamed)'}`,
            `pass the remaining parameters positionally; the constructor is ${signature}`,
          )
        }
        if (input.baseType === 'array' || input.baseType === 'tuple') return parseJson(value, input.name)
        if (input.type === 'bool') return value === 'true'
        return value
      }
    }
  })
  if (rest.length > 0) {
    throw new UsageError(
      `${contract} takes ${inputs.length} constructor parameters; ${rest.length} argument(s) left over`,
      `the constructor is ${signature}`,
    )
  }
  return args
}

function parseJson(value: string, name: string): unknown {
  try {
    return JSON.parse(value)
  } catch {
    throw new UsageError(`the constructor parameter ${name} takes JSON (an array or a tuple)`)
  }
}
