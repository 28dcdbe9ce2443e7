import { toFunctionSelector } from 'viem'
import type { Hex } from '../../bytes.js'
import { checksumAddress } from './checksumAddress.js'
import { type RequestState, requestStateName } from './consumerCodes.js'

/** What the registry says of a function: its code now, its owner, whether its code is locked. */
export type EvmFunctionInfo = {
  /** Undefined when the function is not registered. */
  codeHash: Hex | undefined
  /** EIP-55; undefined when the function is not registered. */
  owner: Hex | undefined
  locked: boolean
}

const functionInfoSelector = toFunctionSelector('functionInfo(bytes32)')
const requestInfoSelector = toFunctionSelector('requestInfo(bytes32)')
const isWorkerActiveSelector = toFunctionSelector('isWorkerActive(address)')
const workerInfoSelector = toFunctionSelector('workerInfo(address)')
const isConsumerSelector = toFunctionSelector('isConsumer(address)')
const policyOfSelector = toFunctionSelector('policyOf(bytes32)')
const effectiveThresholdSelector = toFunctionSelector('effectiveThreshold(bytes32)')
const zeroWord = '0'.repeat(64)

/**
 * How a request's answer must be made (docs/protocol.md, section 1): `threshold` is the consumer's effective k
 * (`max(policy threshold, minQuorum())`), `aggregation` the registry's `ITeefnRegistry.Aggregation` index.
 */
export type EvmResultPolicy = { threshold: number; aggregation: number }

/** Calldata of `TeefnRegistry.policyOf(functionId)`. */
export function policyOfCalldata(functionId: Hex): Hex {
  return `${policyOfSelector}${functionId.slice(2).toLowerCase()}` as Hex
}

/** Calldata of `TeefnConsumer.effectiveThreshold(functionId)`. */
export function effectiveThresholdCalldata(functionId: Hex): Hex {
  return `${effectiveThresholdSelector}${functionId.slice(2).toLowerCase()}` as Hex
}

/** The policy from `effectiveThreshold`'s uint256 and `policyOf`'s (uint8, uint8); undefined for other answers. */
export function decodeResultPolicy(threshold: unknown, policy: unknown): EvmResultPolicy | undefined {
  if (typeof threshold !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(threshold)) return undefined
  if (typeof policy !== 'string' || !/^0x[0-9a-fA-F]{128}$/.test(policy)) return undefined
  const k = BigInt(threshold)
  const aggregation = BigInt(`0x${policy.slice(66)}`)
  if (k > 255n || aggregation > 255n) return undefined
  return { threshold: Number(k), aggregation: Number(aggregation) }
}

/** Calldata of `TeefnRegistry.functionInfo(functionId)`. */
export function functionInfoCalldata(functionId: Hex): Hex {
  return `${functionInfoSelector}${functionId.slice(2).toLowerCase()}` as Hex
}

/** Calldata of `TeefnRegistry.isWorkerActive(worker)`. */
export function isWorkerActiveCalldata(worker: Hex): Hex {
  return `${isWorkerActiveSelector}${worker.slice(2).toLowerCase().padStart(64, '0')}` as Hex
}

/** Calldata of `TeefnRegistry.workerInfo(worker)`. */
export function workerInfoCalldata(worker: Hex): Hex {
  return `${workerInfoSelector}${worker.slice(2).toLowerCase().padStart(64, '0')}` as Hex
}

/** A worker's admission as the registry holds it: `expiresAt` (unix seconds) is 0 when never admitted or removed. */
export type EvmWorkerAdmission = { attestationHash: Hex; expiresAt: number }

/** Decodes `workerInfo`'s (bytes32 attestationHash, uint64 expiresAt); undefined for any other answer. */
export function decodeWorkerInfo(answer: unknown): EvmWorkerAdmission | undefined {
  if (typeof answer !== 'string' || !/^0x[0-9a-fA-F]{128}$/.test(answer)) return undefined
  const expires = answer.slice(66).toLowerCase()
  if (!expires.startsWith('0'.repeat(48))) return undefined
  return {
    attestationHash: `0x${answer.slice(2, 66).toLowerCase()}` as Hex,
    expiresAt: Number(`0x${expires}`),
  }
}

/** Calldata of `TeefnRegistry.isConsumer(consumer)`. */
export function isConsumerCalldata(consumer: Hex): Hex {
  return `${isConsumerSelector}${consumer.slice(2).toLowerCase().padStart(64, '0')}` as Hex
}

/** Decodes `functionInfo`'s (bytes32 codeHash, address owner, bool locked); undefined for any other answer. */
export function decodeFunctionInfo(answer: unknown): EvmFunctionInfo | undefined {
  if (typeof answer !== 'string' || !/^0x[0-9a-fA-F]{192}$/.test(answer)) return undefined
  const words = [0, 1, 2].map((index) => answer.slice(2 + index * 64, 2 + (index + 1) * 64).toLowerCase())
  const [codeHash, owner, locked] = words as [string, string, string]
  if (!owner.startsWith('0'.repeat(24)) || !/^0{63}[01]$/.test(locked)) return undefined
  return {
    codeHash: codeHash === zeroWord ? undefined : (`0x${codeHash}` as Hex),
    owner: owner === zeroWord ? undefined : checksumAddress(`0x${owner.slice(24)}`),
    locked: locked.endsWith('1'),
  }
}

/** Decodes an ABI `bool`; undefined for any other answer. */
export function decodeBool(answer: unknown): boolean | undefined {
  if (typeof answer !== 'string' || !/^0x0{63}[01]$/.test(answer)) return undefined
  return answer.endsWith('1')
}

/** What a consumer says of a request: its stored state and deadline. */
export type ConsumerRequestInfo = { state: RequestState | undefined; deadline: number }

/** Calldata of `TeefnConsumer.requestInfo(requestId)`. */
export function requestInfoCalldata(requestId: Hex): Hex {
  return `${requestInfoSelector}${requestId.slice(2).toLowerCase()}` as Hex
}

/** Decodes `requestInfo`'s (functionId, requester, nonce, deadline, state); undefined for any other answer. */
export function decodeRequestInfo(answer: unknown): ConsumerRequestInfo | undefined {
  if (typeof answer !== 'string' || !/^0x[0-9a-fA-F]{320}$/.test(answer)) return undefined
  const word = (index: number) => BigInt(`0x${answer.slice(2 + index * 64, 2 + (index + 1) * 64)}`)
  return { state: requestStateName(word(4)), deadline: Number(word(3)) }
}
