import { AbiCoder, type AddressLike, type BigNumberish, type BytesLike, type ContractRunner } from 'ethers'
import { deploy } from '../../contracts/artifacts.js'
import type { Send, TeefnConsumerMethods, TypedContract, View } from '../../contracts/contractTypes.js'

/** The test-only Phat-style consumer (`contracts/src/test/TestPhatConsumer.sol`), an anchor of Phala's interface. */
export type TestPhatConsumerContract = TypedContract<{
  ATTESTOR_ROLE: View<[], string>
  hasRole: View<[role: BytesLike, account: AddressLike], boolean>
  setAttestor: Send<[attestor: AddressLike]>
  revokeAttestor: Send<[attestor: AddressLike]>
  refuse: Send<[id: BigNumberish]>
  request: Send<[query: string], bigint>
  getStorage: View<[key: BytesLike], string>
  queueGetUint: View<[key: BytesLike], bigint>
  answeredCount: View<[], bigint>
  answeredIds: View<[index: BigNumberish], bigint>
  answers: View<[id: BigNumberish], string>
  rollupU256CondEq: Send<
    [
      condKeys: BytesLike[],
      condValues: BytesLike[],
      updateKeys: BytesLike[],
      updateValues: BytesLike[],
      actions: BytesLike[],
    ],
    boolean
  >
}>

/** `TeefnPhatAttestor` (`contracts/src/compat/TeefnPhatAttestor.sol`). */
export type TeefnPhatAttestorContract = TypedContract<
  TeefnConsumerMethods & {
    anchor: View<[], string>
    functionId: View<[], string>
    replyGasLimit: View<[], bigint>
    relay: Send<[index: BigNumberish], string>
    flush: Send<[maxCount: BigNumberish], bigint>
    isAttestor: View<[], boolean>
    relayable: View<[index: BigNumberish], boolean>
    queueBounds: View<[], [bigint, bigint]>
    requestIdOf: View<[index: BigNumberish], string>
    pendingWork: View<[maxCount: BigNumberish], [bigint[], boolean]>
    heldAnswer: View<[index: BigNumberish], [boolean, string, bigint, string]>
  }
>

/** Deploys a `TestPhatConsumer` whose first attestor is `attestor`. */
export async function deployTestPhatConsumer(
  signer: ContractRunner,
  attestor: string,
): Promise<TestPhatConsumerContract> {
  return (await deploy('TestPhatConsumer', signer, [attestor])) as unknown as TestPhatConsumerContract
}

export type DeployPhatAttestorParameters = {
  registry: string
  anchor: string
  functionId: string
  /** 1 200 000 by default: one reply and a few held ones per fulfilment. */
  hookGasLimit?: number | undefined
  /** An hour by default. */
  requestTimeout?: number | undefined
  /** 200 000 by default. */
  replyGasLimit?: number | undefined
}

/** Deploys a `TeefnPhatAttestor` for `anchor`. */
export async function deployPhatAttestor(
  signer: ContractRunner,
  parameters: DeployPhatAttestorParameters,
): Promise<TeefnPhatAttestorContract> {
  const args = [
    parameters.registry,
    parameters.anchor,
    parameters.functionId,
    parameters.hookGasLimit ?? 1_200_000,
    parameters.requestTimeout ?? 3600,
    parameters.replyGasLimit ?? 200_000,
  ]
  return (await deploy('TeefnPhatAttestor', signer, args)) as unknown as TeefnPhatAttestorContract
}

const abi = AbiCoder.defaultAbiCoder()

/** A queued message of `TestPhatConsumer`: abi.encode(uint256 id, string query). */
export function encodePhatMessage(id: bigint, query: string): string {
  return abi.encode(['uint256', 'string'], [id, query])
}

/** A reply `TestPhatConsumer` accepts: abi.encode(uint256 id, string answer). */
export function encodePhatReply(id: bigint, answer: string): string {
  return abi.encode(['uint256', 'string'], [id, answer])
}

/** The anchor's key of queue item `index`: "q/" ++ abi.encode(uint32 index). */
export function phatQueueKey(index: number): string {
  return `0x${Buffer.from('q/').toString('hex')}${abi.encode(['uint32'], [index]).slice(2)}`
}
