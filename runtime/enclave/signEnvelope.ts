import { getAddress } from 'ethers'
import { bytesToHex, type Hex, hexToBytes } from '../bytes.js'
import { type ResultStatus, resultStatuses, statusCode } from '../resultStatus.js'
import { EnvelopeError } from './EnvelopeError.js'
import {
  type Envelope,
  type EnvelopeFamily,
  envelopeVersion,
  maxSubstrateDestinationBytes,
  resultHashOf,
} from './envelope.js'
import { fulfillmentDigest } from './evmEnvelope.js'
import { substrateSigningMessage } from './substrateEnvelope.js'
import type { TeeProvider } from './TeeProvider.js'

/** The part of a provider that signs envelopes. */
export type EnvelopeSigner = Pick<TeeProvider, 'publicKeys' | 'signDigest' | 'signSr25519'>

export type SignEnvelopeParameters = {
  family: EnvelopeFamily
  /** evm: the chain id (0 for HTTP invocations). substrate: the 0x genesis hash. */
  chainId: bigint | number | string
  /** evm: consumer contract address (zero address for HTTP). substrate: destination bytes (0x-hex). */
  destination: Hex
  requestId: Hex
  functionId: Hex
  /** keccak256 of the payload bytes the function received (`payloadHashOf`), bytes32. */
  payloadHash: Hex
  codeHash: Hex
  /** `OK`, or the error code the invocation ended with: failures are signed too, so the consumer learns of them. */
  status: ResultStatus
  /** Result bytes; for failures `errorResultBytes(message)`. */
  result: Uint8Array
}

/**
 * Signs a result into a version 2 envelope: EIP-712 `Fulfillment` with the secp256k1 key for evm (verifiable
 * with `ecrecover`), the SCALE form with the sr25519 key for substrate. Both bind the payload hash.
 */
export async function signEnvelope(
  signer: EnvelopeSigner,
  parameters: SignEnvelopeParameters,
): Promise<Envelope> {
  const { family, status, result } = parameters
  if (family !== 'evm' && family !== 'substrate') throw invalid('family', 'must be "evm" or "substrate"')
  if (!(resultStatuses as readonly string[]).includes(status)) {
    throw invalid('status', `must be one of ${resultStatuses.join(', ')}`)
  }
  if (!(result instanceof Uint8Array)) throw invalid('result', 'must be a Uint8Array')
  const requestId = bytes32(parameters.requestId, 'requestId')
  const functionId = bytes32(parameters.functionId, 'functionId')
  const payloadHash = bytes32(parameters.payloadHash, 'payloadHash')
  const codeHash = bytes32(parameters.codeHash, 'codeHash')
  const resultHash = resultHashOf(result)
  const common = {
    version: envelopeVersion,
    requestId: bytesToHex(requestId),
    functionId: bytesToHex(functionId),
    payloadHash: bytesToHex(payloadHash),
    codeHash: bytesToHex(codeHash),
    status,
    resultHash: bytesToHex(resultHash),
    result: bytesToHex(result),
  }

  if (family === 'evm') {
    const chainId = evmChainId(parameters.chainId)
    const destination = evmAddress(parameters.destination)
    const digest = fulfillmentDigest({
      chainId,
      verifyingContract: hexToBytes(destination)!,
      requestId,
      functionId,
      payloadHash,
      codeHash,
      status: statusCode(status),
      resultHash,
    })
    const signature = await signer.signDigest(digest)
    return {
      ...common,
      family,
      chainId: chainId.toString(),
      destination,
      worker: signer.publicKeys.evmAddress,
      signature: bytesToHex(signature),
    }
  }

  const chain = typeof parameters.chainId === 'string' ? hexToBytes(parameters.chainId) : undefined
  if (chain?.length !== 32)
    throw invalid('chainId', 'must be the 32-byte genesis hash (0x-hex) for substrate')
  const destination = hexToBytes(parameters.destination)
  if (!destination || destination.length > maxSubstrateDestinationBytes) {
    throw invalid('destination', `must be 0x-hex of at most ${maxSubstrateDestinationBytes} bytes`)
  }
  const worker = hexToBytes(signer.publicKeys.sr25519)!
  const message = substrateSigningMessage({
    chain,
    destination,
    requestId,
    functionId,
    payloadHash,
    codeHash,
    status: statusCode(status),
    resultHash,
    result,
    worker,
  })
  const signature = await signer.signSr25519(message)
  return {
    ...common,
    family,
    chainId: bytesToHex(chain),
    destination: bytesToHex(destination),
    worker: bytesToHex(worker),
    signature: bytesToHex(signature),
  }
}

function bytes32(value: Hex, field: string): Uint8Array {
  const bytes = typeof value === 'string' ? hexToBytes(value) : undefined
  if (bytes?.length !== 32) throw invalid(field, 'must be 32 bytes of 0x-hex')
  return bytes
}

export function evmChainId(value: bigint | number | string): bigint {
  let chainId: bigint | undefined
  if (typeof value === 'bigint') chainId = value
  else if (typeof value === 'number' && Number.isSafeInteger(value)) chainId = BigInt(value)
  else if (typeof value === 'string' && /^(0|[1-9][0-9]{0,77})$/.test(value)) chainId = BigInt(value)
  if (chainId === undefined || chainId < 0n || chainId >= 1n << 256n) {
    throw invalid('chainId', 'must be a non-negative integer (uint256) for evm')
  }
  return chainId
}

export function evmAddress(value: string): Hex {
  if (typeof value !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(value)) {
    throw invalid('destination', 'must be a 20-byte address (0x-hex) for evm')
  }
  try {
    return getAddress(value) as Hex
  } catch {
    throw invalid('destination', 'has a wrong EIP-55 checksum')
  }
}

function invalid(field: string, details: string): EnvelopeError {
  return new EnvelopeError(`Cannot sign an envelope: ${field} is invalid.`, {
    code: 'ENVELOPE_MALFORMED',
    details: `${field} ${details}`,
  })
}
