import {
  type BytesLike,
  getBytes,
  hexlify,
  keccak256,
  type TypedDataDomain,
  TypedDataEncoder,
  type TypedDataField,
} from 'ethers'
import { eip712DomainName, eip712DomainVersion, fulfillmentTypes } from '../runtime/enclave/evmEnvelope.js'

/**
 * The EIP-712 statement a worker signs for a consumer contract (fixed; `TeefnConsumer.sol` verifies it):
 * `Fulfillment(bytes32 requestId,bytes32 functionId,bytes32 payloadHash,bytes32 codeHash,uint8 status,
 * bytes32 resultHash)` with payloadHash = keccak256(the request's payload) and resultHash = keccak256(result),
 * under the domain `{ name: 'teefn', version: '1', chainId, verifyingContract: <consumer> }`.
 */
export const FULFILLMENT_TYPES: Record<string, TypedDataField[]> = {
  Fulfillment: [...fulfillmentTypes.Fulfillment],
}

/** The EIP-712 domain of the consumer at `verifyingContract` on `chainId`. */
export function teefnDomain(chainId: bigint | number, verifyingContract: string): TypedDataDomain {
  return { name: eip712DomainName, version: eip712DomainVersion, chainId, verifyingContract }
}

export type FulfillmentFields = {
  requestId: string
  functionId: string
  /** keccak256 of the payload the function answered (the `RequestSent` payload); see `hashPayload`. */
  payloadHash: string
  codeHash: string
  /** 0 = OK; otherwise the index of the error in runtime/resultStatus.ts. */
  status: number
  /** The result bytes (for status 0, what the consumer's hook decodes). */
  result: BytesLike
}

/** The calldata struct `TeefnConsumer.Envelope`: the fields, the result bytes and a 65-byte signature. */
export type Envelope = Omit<FulfillmentFields, 'result'> & { result: string; signature: string }

/** keccak256 of a request's payload bytes: what a request id and a fulfillment bind. */
export function hashPayload(payload: BytesLike): string {
  return keccak256(getBytes(payload))
}

/** The typed-data message of `fields` (the result replaced by its hash). */
export function fulfillmentMessage(fields: FulfillmentFields): Record<string, unknown> {
  return {
    requestId: fields.requestId,
    functionId: fields.functionId,
    payloadHash: fields.payloadHash,
    codeHash: fields.codeHash,
    status: fields.status,
    resultHash: keccak256(getBytes(fields.result)),
  }
}

/** The digest a worker signs; equals `TeefnConsumer.hashFulfillment(...)` on chain. */
export function hashFulfillment(domain: TypedDataDomain, fields: FulfillmentFields): string {
  return TypedDataEncoder.hash(domain, FULFILLMENT_TYPES, fulfillmentMessage(fields))
}

export type TypedDataSigner = {
  signTypedData(
    domain: TypedDataDomain,
    types: Record<string, TypedDataField[]>,
    value: Record<string, unknown>,
  ): Promise<string>
}

/**
 * Signs `fields` for the consumer of `domain` and returns the envelope to submit. For tests and dev tools: the
 * production signer lives inside the worker's enclave.
 */
export async function signFulfillment(
  signer: TypedDataSigner,
  domain: TypedDataDomain,
  fields: FulfillmentFields,
): Promise<Envelope> {
  const signature = await signer.signTypedData(domain, FULFILLMENT_TYPES, fulfillmentMessage(fields))
  return {
    requestId: fields.requestId,
    functionId: fields.functionId,
    payloadHash: fields.payloadHash,
    codeHash: fields.codeHash,
    status: fields.status,
    result: hexlify(fields.result),
    signature,
  }
}
