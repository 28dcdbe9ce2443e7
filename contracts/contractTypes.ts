import type {
  AddressLike,
  BaseContract,
  BaseContractMethod,
  BigNumberish,
  BytesLike,
  ContractRunner,
  ContractTransactionResponse,
} from 'ethers'

/**
 * Typed ethers v6 handles for the teefn contracts, so callers get `registry.codeHashOf(id)` with types instead
 * of `getFunction('codeHashOf')`. Hand-written from the Solidity; `contracts.test.ts` checks every name
 * against the compiled ABI.
 */
type View<A extends unknown[], R> = BaseContractMethod<A, R, R>
type Send<A extends unknown[], R = void> = BaseContractMethod<A, R, ContractTransactionResponse>

/** `TeefnConsumer.Envelope` as ethers accepts it. */
export type EnvelopeStruct = {
  requestId: BytesLike
  functionId: BytesLike
  payloadHash: BytesLike
  codeHash: BytesLike
  status: BigNumberish
  result: BytesLike
  signature: BytesLike
}

/** An ethers contract handle with the methods `T` typed. */
export type TypedContract<T> = Omit<BaseContract, 'connect'> &
  T & {
    connect(runner: ContractRunner | null): TypedContract<T>
  }

export type TeefnRegistryContract = TypedContract<{
  admin: View<[], string>
  codeHashOf: View<[functionId: BytesLike], string>
  isWorkerActive: View<[worker: AddressLike], boolean>
  functionInfo: View<
    [functionId: BytesLike],
    [string, string, boolean] & { codeHash: string; owner: string; locked: boolean }
  >
  workerInfo: View<[worker: AddressLike], [string, bigint] & { attestationHash: string; expiresAt: bigint }>
  registerFunction: Send<[functionId: BytesLike, codeHash: BytesLike]>
  upgradeFunction: Send<[functionId: BytesLike, newCodeHash: BytesLike]>
  lockFunction: Send<[functionId: BytesLike]>
  transferFunctionOwnership: Send<[functionId: BytesLike, newOwner: AddressLike]>
  admitWorker: Send<[worker: AddressLike, attestationHash: BytesLike, expiresAt: BigNumberish]>
  removeWorker: Send<[worker: AddressLike]>
  /** The caller (a consumer contract) signs itself up; `TeefnConsumer`'s constructor calls it. */
  registerConsumer: Send<[]>
  deregisterConsumer: Send<[]>
  isConsumer: View<[consumer: AddressLike], boolean>
  transferAdmin: Send<[newAdmin: AddressLike]>
}>

/** What every consumer (a contract inheriting `TeefnConsumer`) offers. */
export type TeefnConsumerMethods = {
  registry: View<[], string>
  hookGasLimit: View<[], bigint>
  requestTimeout: View<[], bigint>
  requestCount: View<[], bigint>
  FULFILLMENT_TYPEHASH: View<[], string>
  MAX_HOOK_REASON_BYTES: View<[], bigint>
  fulfill: Send<[envelope: EnvelopeStruct]>
  /** staticCall returns how many were accepted. */
  fulfillBatch: Send<[envelopes: EnvelopeStruct[]], bigint>
  /** Only the requester, only after the deadline. */
  cancelRequest: Send<[requestId: BytesLike]>
  /** Pending and not past the deadline. */
  isPending: View<[requestId: BytesLike], boolean>
  /** state: index into `requestStates` (runtime/chain/evm/consumerCodes.ts), as stored. */
  requestInfo: View<
    [requestId: BytesLike],
    [string, string, bigint, bigint, bigint] & {
      functionId: string
      requester: string
      nonce: bigint
      deadline: bigint
      state: bigint
    }
  >
  computeRequestId: View<
    [nonce: BigNumberish, requester: AddressLike, functionId: BytesLike, payloadHash: BytesLike],
    string
  >
  hashFulfillment: View<
    [
      requestId: BytesLike,
      functionId: BytesLike,
      payloadHash: BytesLike,
      codeHash: BytesLike,
      status: BigNumberish,
      resultHash: BytesLike,
    ],
    string
  >
  domainSeparator: View<[], string>
}

export type TeefnConsumerContract = TypedContract<TeefnConsumerMethods>

export type PriceOracleContract = TypedContract<
  TeefnConsumerMethods & {
    owner: View<[], string>
    functionId: View<[], string>
    latestPrice: View<[], bigint>
    latestUpdatedAt: View<[], bigint>
    latestRequestId: View<[], string>
    latest: View<[], [bigint, bigint, string] & { price: bigint; updatedAt: bigint; requestId: string }>
    /** staticCall returns the request id. */
    requestPrice: Send<[payload: BytesLike], string>
  }
>
