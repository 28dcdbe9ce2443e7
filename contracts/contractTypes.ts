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
/** A view method: called, returns R. */
export type View<A extends unknown[], R> = BaseContractMethod<A, R, R>
/** A state-changing method: sends a transaction. */
export type Send<A extends unknown[], R = void> = BaseContractMethod<A, R, ContractTransactionResponse>

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

/** One worker's answer in `TeefnConsumer.QuorumEnvelope`. */
export type AnswerStruct = { status: BigNumberish; result: BytesLike; signature: BytesLike }

/** `TeefnConsumer.QuorumEnvelope`: one request's signed common fields and the answers, by ascending signer. */
export type QuorumEnvelopeStruct = {
  requestId: BytesLike
  functionId: BytesLike
  payloadHash: BytesLike
  codeHash: BytesLike
  answers: AnswerStruct[]
}

/** `TeefnRegistry.Admission`, what gatekeepers sign to admit a worker. */
export type AdmissionStruct = {
  worker: AddressLike
  quoteHash: BytesLike
  measurement: BytesLike
  expiresAt: BigNumberish
  nonce: BigNumberish
  deadline: BigNumberish
}

/** `TeefnRegistry.Removal`. */
export type RemovalStruct = { worker: AddressLike; nonce: BigNumberish; deadline: BigNumberish }

/** `TeefnGovernance.GatekeeperChange`. */
export type GatekeeperChangeStruct = {
  gatekeepers: AddressLike[]
  threshold: BigNumberish
  nonce: BigNumberish
  deadline: BigNumberish
}

/** `TeefnGovernance.MeasurementPin`. */
export type MeasurementPinStruct = {
  measurement: BytesLike
  pinned: boolean
  nonce: BigNumberish
  deadline: BigNumberish
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
  /** (threshold, aggregation): aggregation is an index into `AGGREGATIONS` (quorumFulfillment.ts). */
  policyOf: View<[functionId: BytesLike], [bigint, bigint] & { threshold: bigint; aggregation: bigint }>
  fulfillmentPolicyOf: View<
    [functionId: BytesLike],
    [string, bigint, bigint] & { codeHash: string; threshold: bigint; aggregation: bigint }
  >
  setResultPolicy: Send<[functionId: BytesLike, threshold: BigNumberish, aggregation: BigNumberish]>
  MAX_THRESHOLD: View<[], bigint>
  /** The caller (a candidate worker's key) asks the gatekeepers for admission: emits `AdmissionRequested`. */
  requestAdmission: Send<[quoteHash: BytesLike, quoteUrl: string]>
  admitWorkerByQuorum: Send<[admission: AdmissionStruct, signatures: BytesLike[]]>
  removeWorkerByQuorum: Send<[removal: RemovalStruct, signatures: BytesLike[]]>
  hashAdmission: View<[admission: AdmissionStruct], string>
  hashRemoval: View<[removal: RemovalStruct], string>
  workerNonce: View<[worker: AddressLike], bigint>
  workerMeasurement: View<[worker: AddressLike], string>
  renounceAdmin: Send<[]>
  setGatekeepers: Send<[gatekeepers: AddressLike[], threshold: BigNumberish]>
  setMeasurementPinned: Send<[measurement: BytesLike, pinned: boolean]>
  setGatekeepersByQuorum: Send<[change: GatekeeperChangeStruct, signatures: BytesLike[]]>
  setMeasurementPinnedByQuorum: Send<[pin: MeasurementPinStruct, signatures: BytesLike[]]>
  hashGatekeeperChange: View<[change: GatekeeperChangeStruct], string>
  hashMeasurementPin: View<[pin: MeasurementPinStruct], string>
  gatekeepers: View<[], [string[], bigint] & { gatekeepers_: string[]; threshold: bigint }>
  gatekeeperThreshold: View<[], bigint>
  governanceNonce: View<[], bigint>
  isGatekeeper: View<[account: AddressLike], boolean>
  isMeasurementPinned: View<[measurement: BytesLike], boolean>
  registryDomainSeparator: View<[], string>
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
  /** k distinct active workers' answers to one request; reverts unless the quorum holds. */
  fulfillQuorum: Send<[envelope: QuorumEnvelopeStruct]>
  /** staticCall returns how many were accepted. */
  fulfillQuorumBatch: Send<[envelopes: QuorumEnvelopeStruct[]], bigint>
  minQuorum: View<[], bigint>
  effectiveThreshold: View<[functionId: BytesLike], bigint>
  MAX_QUORUM_ANSWERS: View<[], bigint>
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
