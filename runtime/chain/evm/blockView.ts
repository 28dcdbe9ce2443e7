import type { Hex } from '../../bytes.js'
import { checksumAddress } from './checksumAddress.js'
import { computeEvmRequestId } from './computeEvmRequestId.js'
import type { RequestState } from './consumerCodes.js'
import type { RpcCall } from './createRpcClient.js'
import {
  type ConsumerRequestInfo,
  decodeBool,
  decodeFunctionInfo,
  decodeRequestInfo,
  decodeResultPolicy,
  decodeWorkerInfo,
  type EvmFunctionInfo,
  type EvmResultPolicy,
  type EvmWorkerAdmission,
  effectiveThresholdCalldata,
  functionInfoCalldata,
  isConsumerCalldata,
  isWorkerActiveCalldata,
  policyOfCalldata,
  requestInfoCalldata,
  workerInfoCalldata,
} from './registryCalls.js'
import { decodeRequestSent, type RequestSent, type RpcLog, requestSentTopic } from './requestSentLog.js'

/** What to read at a block besides its hash: a function, maybe a worker's admission, maybe a request. */
export type BlockQuestion = {
  registry: Hex
  functionId: Hex
  worker?: Hex | undefined
  /** Also the worker's admission record (`workerInfo`), for display. */
  admission?: boolean | undefined
  request?: { consumer: Hex; requestId: Hex; fromBlock: number } | undefined
  /** Also the function's result policy as this consumer applies it (`effectiveThreshold`, `policyOf`). */
  policyConsumer?: Hex | undefined
}

/**
 * One endpoint's answers at a block, normalized to plain JSON so that endpoints compare as canonical JSON: any
 * difference between two endpoints (a hash, a log byte, an owner) is a disagreement.
 */
export type BlockView = {
  hash: string
  timestamp: number
  fn: { codeHash: string | null; owner: string | null; locked: boolean }
  workerActive?: boolean | undefined
  workerAdmission?: EvmWorkerAdmission | undefined
  /** `isConsumer(consumer)` at the block, asked with a request: only a registered consumer's requests count. */
  consumerRegistered?: boolean | undefined
  logs?: LogView[] | undefined
  /** The consumer's record of the request: its state and deadline (not read of an unregistered emitter). */
  request?: { state: RequestState | null; deadline: number } | undefined
  /** Asked with `policyConsumer`: k for this consumer and the aggregation. */
  policy?: EvmResultPolicy | undefined
}

type LogView = {
  address: string
  topics: string[]
  data: string
  blockNumber: number
  blockHash: string
  transactionHash: string
  logIndex: number
}

/** A call of a block batch; an `optional` one that fails (a revert) reads as `undefined` instead of failing the batch. */
export type BlockCall = RpcCall & { optional?: true | undefined }

/**
 * The JSON-RPC batch one endpoint answers for `question` at block `number`. Asked with a request, the policy
 * calls are optional: an emitter that is not a consumer need not have `effectiveThreshold`.
 */
export function blockCalls(number: number, question: BlockQuestion): BlockCall[] {
  const block = quantity(number)
  const call = (to: Hex, data: Hex): BlockCall => ({ method: 'eth_call', params: [{ to, data }, block] })
  const calls: BlockCall[] = [
    { method: 'eth_getBlockByNumber', params: [block, false] },
    call(question.registry, functionInfoCalldata(question.functionId)),
  ]
  if (question.worker) calls.push(call(question.registry, isWorkerActiveCalldata(question.worker)))
  if (question.worker && question.admission)
    calls.push(call(question.registry, workerInfoCalldata(question.worker)))
  if (question.policyConsumer) {
    const optional = question.request ? { optional: true as const } : {}
    calls.push(
      { ...call(question.policyConsumer, effectiveThresholdCalldata(question.functionId)), ...optional },
      { ...call(question.registry, policyOfCalldata(question.functionId)), ...optional },
    )
  }
  if (question.request) {
    const { consumer, requestId, fromBlock } = question.request
    calls.push(
      call(question.registry, isConsumerCalldata(consumer)),
      {
        method: 'eth_getLogs',
        params: [
          {
            address: consumer,
            topics: [requestSentTopic, requestId],
            fromBlock: quantity(fromBlock),
            toBlock: block,
          },
        ],
      },
      call(consumer, requestInfoCalldata(requestId)),
    )
  }
  return calls
}

/** An endpoint's answers to `blockCalls`, checked and normalized; throws (so the endpoint does not count) on nonsense. */
export function blockViewOf(results: unknown[], question: BlockQuestion): BlockView {
  const [block, info, ...rest] = results
  const { hash, timestamp } = (block ?? {}) as { hash?: unknown; timestamp?: unknown }
  if (typeof hash !== 'string' || typeof timestamp !== 'string')
    throw new TypeError('does not have the block yet')
  const fn = decodeFunctionInfo(info)
  if (!fn) throw new TypeError('answered no functionInfo (is the registry address right?)')
  const view: BlockView = {
    hash: hash.toLowerCase(),
    timestamp: Number(timestamp),
    fn: { codeHash: fn.codeHash ?? null, owner: fn.owner?.toLowerCase() ?? null, locked: fn.locked },
  }
  if (question.worker) {
    const active = decodeBool(rest.shift())
    if (active === undefined) throw new TypeError('answered no isWorkerActive')
    view.workerActive = active
    if (question.admission) {
      const admission = decodeWorkerInfo(rest.shift())
      if (!admission) throw new TypeError('answered no workerInfo')
      view.workerAdmission = admission
    }
  }
  if (question.policyConsumer) {
    const policy = decodeResultPolicy(rest.shift(), rest.shift())
    if (policy) view.policy = policy
    else if (!question.request)
      throw new TypeError('answered no result policy (effectiveThreshold, policyOf)')
  }
  if (question.request) {
    const registered = decodeBool(rest.shift())
    if (registered === undefined) throw new TypeError('answered no isConsumer (is the registry up to date?)')
    view.consumerRegistered = registered
    const logs = rest.shift()
    if (!Array.isArray(logs)) throw new TypeError('answered no log list')
    view.logs = (logs as RpcLog[]).filter((log) => !log.removed).map(logViewOf)
    const record: ConsumerRequestInfo | undefined = decodeRequestInfo(rest.shift())
    // An unregistered emitter is refused whatever it answers (`readRequest`): it need not be a TeefnConsumer.
    if (!record && registered) {
      throw new TypeError('answered no requestInfo (is the consumer a TeefnConsumer?)')
    }
    if (record) view.request = { state: record.state ?? null, deadline: record.deadline }
  }
  return view
}

/** The request of the agreed logs whose content recomputes to its id, if there is one. */
export function requestOfLogs(
  logs: readonly LogView[],
  question: { consumer: Hex; requestId: Hex; chainId: bigint },
):
  | (RequestSent & { blockNumber: number; blockHash: Hex; transactionHash: Hex; logIndex: number })
  | undefined {
  for (const log of logs) {
    if (log.address !== question.consumer.toLowerCase()) continue
    const decoded = decodeRequestSent(log)
    if (!decoded || decoded.requestId !== question.requestId.toLowerCase()) continue
    if (computeEvmRequestId({ chainId: question.chainId, ...decoded }) !== decoded.requestId) continue
    return {
      ...decoded,
      blockNumber: log.blockNumber,
      blockHash: log.blockHash as Hex,
      transactionHash: log.transactionHash as Hex,
      logIndex: log.logIndex,
    }
  }
  return undefined
}

/** The registry's answer in its typed form. */
export function functionInfoOf(view: BlockView): EvmFunctionInfo {
  return {
    codeHash: (view.fn.codeHash as Hex | null) ?? undefined,
    owner: view.fn.owner ? checksumAddress(view.fn.owner) : undefined,
    locked: view.fn.locked,
  }
}

/** A short account of a view for a disagreement's error. */
export function describeBlockView(view: BlockView): string {
  const parts = [`block ${view.hash.slice(0, 10)}…`, `code ${view.fn.codeHash?.slice(0, 10) ?? 'none'}`]
  if (view.consumerRegistered !== undefined) {
    parts.push(`consumer ${view.consumerRegistered ? 'registered' : 'not registered'}`)
  }
  if (view.logs) parts.push(`${view.logs.length} matching log(s)`)
  if (view.request) parts.push(`request ${view.request.state ?? 'unknown'}`)
  if (view.workerActive !== undefined) parts.push(`worker ${view.workerActive ? 'active' : 'inactive'}`)
  return parts.join(', ')
}

function logViewOf(log: RpcLog): LogView {
  return {
    address: String(log.address).toLowerCase(),
    topics: log.topics.map((topic) => String(topic).toLowerCase()),
    data: String(log.data).toLowerCase(),
    blockNumber: Number(log.blockNumber),
    blockHash: String(log.blockHash).toLowerCase(),
    transactionHash: String(log.transactionHash).toLowerCase(),
    logIndex: Number(log.logIndex),
  }
}

export function quantity(value: number): string {
  return `0x${value.toString(16)}`
}
