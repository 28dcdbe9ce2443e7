import {
  AbiCoder,
  type BaseContract,
  type BaseContractMethod,
  type BytesLike,
  type ContractRunner,
  type ContractTransactionResponse,
  Interface,
  id,
  type JsonFragment,
  type JsonRpcProvider,
  keccak256,
  type LogDescription,
  type TransactionReceipt,
  type TypedDataDomain,
  Wallet,
} from 'ethers'
import {
  type ContractName,
  DEFAULT_REQUEST_TIMEOUT,
  deploy,
  deployPriceOracle,
  deployRegistry,
  loadArtifact,
} from '../../contracts/artifacts.js'
import { compileContracts } from '../../contracts/compileContracts.js'
import type {
  PriceOracleContract,
  TeefnConsumerMethods,
  TeefnRegistryContract,
  TypedContract,
} from '../../contracts/contractTypes.js'
import {
  type Envelope,
  type FulfillmentFields,
  hashPayload,
  signFulfillment,
  type TypedDataSigner,
  teefnDomain,
} from '../../contracts/fulfillmentTypedData.js'
import { type AnvilInstance, createProvider, waitForReceipt } from '../../dev/startAnvil.js'

/** A request as its `RequestSent` log tells it. */
export type SentRequest = {
  requestId: string
  functionId: string
  requester: string
  nonce: bigint
  /** Unix seconds after which it can no longer be fulfilled. */
  deadline: bigint
  /** 0x-hex. */
  payload: string
  /** keccak256(payload): what the request id and the envelope bind. */
  payloadHash: string
  receipt: TransactionReceipt
}

export type TeefnContractsFixture = {
  provider: JsonRpcProvider
  chainId: bigint
  /** anvil account 0: deploys the registry and is its admin. */
  admin: Wallet
  /** anvil account 1: registered the price function. */
  functionOwner: Wallet
  /** anvil account 2: deployed the oracle and may request prices. */
  oracleOwner: Wallet
  /** anvil account 3: submits envelopes. */
  relayer: Wallet
  /** anvil account 4: holds no role. */
  stranger: Wallet
  /** The admitted worker key (deterministic, never funded: it only signs). Test-only. */
  worker: Wallet
  workerAttestationHash: string
  workerExpiresAt: bigint
  registry: TeefnRegistryContract
  oracle: PriceOracleContract
  functionId: string
  codeHash: string
  /** The oracle's request timeout in seconds. */
  requestTimeout: number
  /** Asks the oracle for a price (as its owner; payload 0x-hex, empty by default) and returns the request id. */
  requestPrice(payload?: string): Promise<string>
  /** Like `requestPrice`, and returns the whole request (nonce, deadline, payload hash, receipt). */
  sendPriceRequest(payload?: string): Promise<SentRequest>
  /**
   * Signs an envelope for `consumer` (the oracle by default) with `signer` (the worker by default). Fields
   * default to an OK answer with an empty result for the price function; `payloadHash` to keccak256 of the
   * request's payload (from its `RequestSent` log on `consumer`; of the empty payload for an id never issued).
   */
  sign(
    fields: Partial<FulfillmentFields> & { requestId: string },
    options?: { signer?: TypedDataSigner; consumer?: string; domain?: TypedDataDomain },
  ): Promise<Envelope>
  destroy(): void
}

export type DeployTeefnContractsParameters = {
  /** Gas the oracle's hook gets; 200 000 by default. */
  hookGasLimit?: number
  /** Seconds the oracle's requests may be answered; `DEFAULT_REQUEST_TIMEOUT` (one hour) by default. */
  requestTimeout?: number
}

/** A deterministic test-only key, so failures are reproducible. */
export function testKey(label: string): string {
  return id(`teefn test key: ${label}`)
}

/**
 * Compiles (cached) and deploys the registry and a PriceOracle on `anvil`, registers the price function and
 * admits one worker for a day. Shared by contract, relayer and end-to-end tests.
 */
export async function deployTeefnContracts(
  anvil: AnvilInstance,
  parameters: DeployTeefnContractsParameters = {},
): Promise<TeefnContractsFixture> {
  await compileContracts()
  const provider = createProvider(anvil.rpcUrl, anvil.chainId)
  const [admin, functionOwner, oracleOwner, relayer, stranger] = anvil.privateKeys
    .slice(0, 5)
    .map((key) => new Wallet(key, provider)) as [Wallet, Wallet, Wallet, Wallet, Wallet]
  const worker = new Wallet(testKey('worker'), provider)
  const functionId = id('teefn.examples.price')
  const codeHash = keccak256(Buffer.from('bundle of the price function v1'))

  const registry = await deployRegistry(admin)
  const registryAddress = await registry.getAddress()
  await mined(registry.connect(functionOwner).registerFunction(functionId, codeHash))
  const now = BigInt((await provider.getBlock('latest'))!.timestamp)
  const workerExpiresAt = now + 86_400n
  const workerAttestationHash = id('attestation of the test worker')
  await mined(registry.admitWorker(worker.address, workerAttestationHash, workerExpiresAt))
  const requestTimeout = parameters.requestTimeout ?? DEFAULT_REQUEST_TIMEOUT
  const oracle = await deployPriceOracle(oracleOwner, {
    registry: registryAddress,
    functionId,
    hookGasLimit: parameters.hookGasLimit ?? 200_000,
    requestTimeout,
  })
  const oracleAddress = await oracle.getAddress()
  const chainId = BigInt(anvil.chainId)
  // Request ids commit to their payload, so a cached hash never goes stale (not even across evm_revert).
  const payloadHashes = new Map<string, string>()

  async function payloadHashOf(consumer: string, requestId: string): Promise<string> {
    const cached = payloadHashes.get(requestId.toLowerCase())
    if (cached) return cached
    const logs = await provider.getLogs({
      address: consumer,
      topics: [requestSentEvents().getEvent('RequestSent')!.topicHash, requestId],
      fromBlock: 0,
    })
    const event = logs[0] && requestSentEvents().parseLog(logs[0])
    return event ? hashPayload(event.args.payload as string) : hashPayload('0x')
  }

  async function sendPriceRequest(payload = '0x'): Promise<SentRequest> {
    const receipt = await mined(oracle.connect(oracleOwner).requestPrice(payload))
    const [request] = sentRequestsOf(receipt, oracleAddress)
    if (!request) throw new Error('requestPrice emitted no RequestSent')
    payloadHashes.set(request.requestId.toLowerCase(), request.payloadHash)
    return request
  }

  return {
    provider,
    chainId,
    admin,
    functionOwner,
    oracleOwner,
    relayer,
    stranger,
    worker,
    workerAttestationHash,
    workerExpiresAt,
    registry,
    oracle,
    functionId,
    codeHash,
    requestTimeout,
    async requestPrice(payload) {
      return (await sendPriceRequest(payload)).requestId
    },
    sendPriceRequest,
    async sign(fields, options = {}) {
      const consumer = options.consumer ?? oracleAddress
      const domain = options.domain ?? teefnDomain(chainId, consumer)
      const payloadHash = fields.payloadHash ?? (await payloadHashOf(consumer, fields.requestId))
      return signFulfillment(options.signer ?? worker, domain, {
        functionId,
        codeHash,
        status: 0,
        result: '0x',
        payloadHash,
        ...fields,
      })
    },
    destroy() {
      provider.destroy()
    },
  }
}

/** Sends, waits until mined (without ethers' `wait()`, see `waitForReceipt`), and returns the receipt; throws on revert. */
export async function mined(tx: Promise<ContractTransactionResponse>): Promise<TransactionReceipt> {
  const response = await tx
  const receipt = await waitForReceipt(response.provider, response.hash)
  if (receipt.status !== 1) throw new Error(`transaction ${response.hash} reverted`)
  return receipt
}

/** The events named `name` that `contract` emitted in `receipt`, decoded, in log order. */
export function eventsNamed(
  receipt: Pick<TransactionReceipt, 'logs'>,
  contract: Pick<BaseContract, 'interface' | 'target'>,
  name: string,
): LogDescription[] {
  const address = String(contract.target).toLowerCase()
  return receipt.logs
    .filter((log) => log.address.toLowerCase() === address)
    .map((log) => contract.interface.parseLog(log))
    .filter((event): event is LogDescription => event?.name === name)
}

/** ABI-encodes a price the way the price function answers. */
export function encodePrice(price: bigint): string {
  return AbiCoder.defaultAbiCoder().encode(['uint256'], [price])
}

let requestSentInterface: Interface | undefined

/** The consumer ABI, to decode `RequestSent` from any consumer. */
function requestSentEvents(): Interface {
  requestSentInterface ??= new Interface(loadArtifact('TeefnConsumer').abi)
  return requestSentInterface
}

/** The requests the consumer at `consumer` made in `receipt`, decoded from its `RequestSent` logs. */
export function sentRequestsOf(receipt: TransactionReceipt, consumer: string): SentRequest[] {
  return eventsNamed(receipt, { interface: requestSentEvents(), target: consumer }, 'RequestSent').map(
    (event) => ({
      requestId: event.args.requestId as string,
      functionId: event.args.functionId as string,
      requester: event.args.requester as string,
      nonce: event.args.nonce as bigint,
      deadline: event.args.deadline as bigint,
      payload: event.args.payload as string,
      payloadHash: hashPayload(event.args.payload as string),
      receipt,
    }),
  )
}

/** The test-only consumer whose hook misbehaves on demand (`contracts/src/test/TestConsumer.sol`). */
export type TestConsumerContract = TypedContract<
  TeefnConsumerMethods & {
    request: BaseContractMethod<
      [functionId: BytesLike, payload: BytesLike],
      string,
      ContractTransactionResponse
    >
    forceCancel: BaseContractMethod<[requestId: BytesLike], void, ContractTransactionResponse>
    leaveRegistry: BaseContractMethod<[], void, ContractTransactionResponse>
    rejoinRegistry: BaseContractMethod<[], void, ContractTransactionResponse>
    signUpWith: BaseContractMethod<[registry: string], void, ContractTransactionResponse>
    setMode: BaseContractMethod<
      [mode: number, burnGas: bigint, revertDataSize: bigint],
      void,
      ContractTransactionResponse
    >
    setReentryEnvelope: BaseContractMethod<[envelope: object], void, ContractTransactionResponse>
    /** Sets what `minQuorum()` answers (0: the default, 1). */
    setMinQuorum: BaseContractMethod<[minQuorum: number], void, ContractTransactionResponse>
    teefnFulfillmentHook: BaseContractMethod<
      [BytesLike, number, BytesLike],
      void,
      ContractTransactionResponse
    >
    hookCalls: BaseContractMethod<[], bigint, bigint>
    lastRequestId: BaseContractMethod<[], string, string>
    lastStatus: BaseContractMethod<[], bigint, bigint>
    lastResult: BaseContractMethod<[], string, string>
    reentryError: BaseContractMethod<[], string, string>
    cancelCalls: BaseContractMethod<[], bigint, bigint>
    lastCancelledId: BaseContractMethod<[], string, string>
  }
>

export type DeployTestConsumerParameters = {
  /** The TeefnRegistry's address. */
  registry: string
  /** 100 000 by default. */
  hookGasLimit?: number | undefined
  /** `DEFAULT_REQUEST_TIMEOUT` (one hour) by default. */
  requestTimeout?: number | undefined
}

/** Deploys a `TestConsumer` from `signer`. Test-only. */
export async function deployTestConsumer(
  signer: ContractRunner,
  parameters: DeployTestConsumerParameters,
): Promise<TestConsumerContract> {
  const args = [
    parameters.registry,
    parameters.hookGasLimit ?? 100_000,
    parameters.requestTimeout ?? DEFAULT_REQUEST_TIMEOUT,
  ]
  return (await deploy('TestConsumer', signer, args)) as unknown as TestConsumerContract
}

/** The test-only attacker (`contracts/src/test/ForgedRequestEmitter.sol`): `RequestSent` without signing up. */
export type ForgedRequestEmitterContract = TypedContract<{
  /** staticCall returns the request id. */
  request: BaseContractMethod<
    [functionId: BytesLike, payload: BytesLike],
    string,
    ContractTransactionResponse
  >
}>

/** Deploys a `ForgedRequestEmitter` from `signer`: a contract no registry holds as a consumer. Test-only. */
export async function deployForgedRequestEmitter(
  signer: ContractRunner,
): Promise<ForgedRequestEmitterContract> {
  return (await deploy('ForgedRequestEmitter', signer, [])) as unknown as ForgedRequestEmitterContract
}

type RevertedError = { code?: string; revert?: { name: string; args: unknown[] } | null; data?: string }

let teefnErrors: Interface | undefined

/** Every custom error of the teefn contracts (and of what they inherit), to decode revert data. */
function teefnErrorInterface(): Interface {
  if (!teefnErrors) {
    const names: ContractName[] = [
      'TeefnRegistry',
      'PriceOracle',
      'TestConsumer',
      'TeefnGelatoExecutor',
      'ExecutorOnlyCounter',
      'TeefnPhatAttestor',
      'TestPhatConsumer',
      'TeefnFunctionsRouter',
      'ChainlinkStyleConsumer',
    ]
    const fragments = new Map<string, JsonFragment>()
    for (const name of names) {
      for (const fragment of loadArtifact(name).abi) {
        if (fragment.type !== 'error') continue
        const key = `${fragment.name}(${(fragment.inputs ?? []).map((input) => input.type).join(',')})`
        fragments.set(key, fragment)
      }
    }
    teefnErrors = new Interface([...fragments.values()])
  }
  return teefnErrors
}

/**
 * Resolves with the decoded custom error when `promise` is rejected by a contract revert, and fails the
 * test otherwise. Compare with `toEqual({ name, args })`. Decodes every teefn contract error, also where
 * ethers leaves `revert` empty (transactions sent through a signer are estimated without the ABI).
 */
export async function revertOf(promise: Promise<unknown>): Promise<{ name: string; args: unknown[] }> {
  let error: RevertedError | undefined
  try {
    await promise
  } catch (e) {
    error = e as RevertedError
  }
  if (!error) throw new Error('expected a revert, but the call succeeded')
  if (error.code === 'CALL_EXCEPTION') {
    if (error.revert) return { name: error.revert.name, args: [...error.revert.args] }
    const decoded = error.data ? teefnErrorInterface().parseError(error.data) : null
    if (decoded) return { name: decoded.name, args: [...decoded.args] }
  }
  throw new Error(`expected a decoded contract revert, got: ${String((error as Error).message ?? error)}`)
}
