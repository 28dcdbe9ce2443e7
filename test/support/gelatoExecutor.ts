import type { AddressLike, BigNumberish, BytesLike, ContractRunner } from 'ethers'
import { DEFAULT_REQUEST_TIMEOUT, deploy } from '../../contracts/artifacts.js'
import type { Send, TeefnConsumerMethods, TypedContract, View } from '../../contracts/contractTypes.js'

/** `contracts/src/compat/TeefnGelatoExecutor.sol`. */
export type GelatoExecutorContract = TypedContract<
  TeefnConsumerMethods & {
    owner: View<[], string>
    taskCount: View<[], bigint>
    /** staticCall returns the task id. */
    createTask: Send<[functionId: BytesLike, userArgs: BytesLike, interval: BigNumberish], bigint>
    cancelTask: Send<[taskId: BigNumberish]>
    /** staticCall returns the request id. */
    checkTask: Send<[taskId: BigNumberish], string>
    taskOf: View<
      [taskId: BigNumberish],
      {
        functionId: string
        /** The function's codeHash when the task was created: the only code whose results it executes. */
        codeHash: string
        interval: bigint
        nextCheckAt: bigint
        active: boolean
        pendingRequestId: string
        userArgs: string
      }
    >
    taskOfRequest: View<[requestId: BytesLike], bigint>
    /** The payload a run sends: `{"userArgs":...,"gelatoArgs":{"chainId":...,"taskId":"..."}}` (0x-hex). */
    payloadOf: View<[taskId: BigNumberish], string>
    executeCalls: Send<[calls: { to: AddressLike; data: BytesLike }[]]>
  }
>

/** `contracts/src/test/ExecutorOnlyCounter.sol` (test-only target). */
export type ExecutorOnlyCounterContract = TypedContract<{
  executor: View<[], string>
  count: View<[], bigint>
  lastAmount: View<[], bigint>
  increment: Send<[amount: BigNumberish]>
}>

/** `contracts/src/test/GelatoResultParserHarness.sol`. */
export type GelatoResultParserHarnessContract = TypedContract<{
  parse: View<
    [text: BytesLike],
    [boolean, bigint, boolean, string[], string[], string] & {
      ok: boolean
      errorAt: bigint
      canExec: boolean
      to: string[]
      data: string[]
      message: string
    }
  >
  parseGas: View<[text: BytesLike], bigint>
}>

export type DeployGelatoExecutorParameters = {
  registry: string
  /** 500 000 by default. */
  hookGasLimit?: number | undefined
  /** `DEFAULT_REQUEST_TIMEOUT` (one hour) by default. */
  requestTimeout?: number | undefined
  /** The deployer by default. */
  owner?: string | undefined
}

type Deployer = ContractRunner & { getAddress(): Promise<string> }

/** Deploys a `TeefnGelatoExecutor` from `signer` (which signs it up with the registry). */
export async function deployGelatoExecutor(
  signer: Deployer,
  parameters: DeployGelatoExecutorParameters,
): Promise<GelatoExecutorContract> {
  const args = [
    parameters.registry,
    parameters.hookGasLimit ?? 500_000,
    parameters.requestTimeout ?? DEFAULT_REQUEST_TIMEOUT,
    parameters.owner ?? (await signer.getAddress()),
  ]
  return (await deploy('TeefnGelatoExecutor', signer, args)) as unknown as GelatoExecutorContract
}

/** Deploys a counter that accepts calls from `executor` only. */
export async function deployExecutorOnlyCounter(
  signer: ContractRunner,
  executor: string,
): Promise<ExecutorOnlyCounterContract> {
  return (await deploy('ExecutorOnlyCounter', signer, [executor])) as unknown as ExecutorOnlyCounterContract
}

/** Deploys the parser's test harness. */
export async function deployGelatoResultParserHarness(
  signer: ContractRunner,
): Promise<GelatoResultParserHarnessContract> {
  return (await deploy(
    'GelatoResultParserHarness',
    signer,
    [],
  )) as unknown as GelatoResultParserHarnessContract
}

/** A Web3 Function result, as `--compat gelato` normalises it. */
export type GelatoResult =
  | { canExec: true; callData: { to: string; data: string }[] }
  | { canExec: false; message: string }

/**
 * The canonical JSON text of `result` (what the executor reads): keys in order, no whitespace, hex lowercased.
 * Test-side twin of the shim's normalisation, to write expected results.
 */
export function canonicalGelatoResult(result: GelatoResult): string {
  if (!result.canExec) return JSON.stringify({ canExec: false, message: result.message })
  const callData = result.callData.map(({ to, data }) => ({ to: to.toLowerCase(), data: data.toLowerCase() }))
  return JSON.stringify({ canExec: true, callData })
}
