import { cryptoWaitReady, decodeAddress, sr25519Verify } from '@polkadot/util-crypto'
import { bytesEqual, bytesToHex, type Hex, hexToBytes } from '../bytes.js'
import { BaseError } from '../errors/BaseError.js'
import { statusCode } from '../resultStatus.js'
import { EnvelopeError, type EnvelopeFailureReason } from './EnvelopeError.js'
import { type Envelope, type EnvelopeFamily, fieldBytes, parseEnvelope, resultHashOf } from './envelope.js'
import { evmAddressOf, fulfillmentDigest, recoverEvmSigner } from './evmEnvelope.js'
import { substrateFieldsOf, substrateSigningMessage } from './substrateEnvelope.js'

/** What the verifier expects; each field given is checked, with its own failure reason. */
export type VerifyEnvelopeParameters = {
  /** evm: address, or secp256k1 public key (33 or 65 bytes). substrate: sr25519 public key (hex) or SS58 address. */
  worker?: string
  /** evm: chain id. substrate: genesis hash. */
  chainId?: bigint | number | string
  /** Consumer contract address (evm) or destination bytes (substrate). */
  destination?: string
  requestId?: string
  functionId?: string
  /** keccak256 of the payload the envelope must answer (bytes32). */
  payloadHash?: string
  codeHash?: string
}

export type VerifyEnvelopeReturnType = {
  envelope: Envelope
  /** The key that signed it: evm address (EIP-55) or sr25519 public key. */
  signer: Hex
  result: Uint8Array
}

/**
 * Verifies an envelope (its JSON form, parsed or not). Returns the signer; throws `EnvelopeError` whose
 * `reason` says what is wrong: a malformed envelope, an altered result, a broken signature (a signed field
 * was changed), another chain, destination, request, function, payload or code hash than expected, or another
 * worker.
 */
export async function verifyEnvelope(
  value: unknown,
  expected: VerifyEnvelopeParameters = {},
): Promise<VerifyEnvelopeReturnType> {
  const envelope = parseEnvelope(value)
  if (envelope.family === 'substrate') await cryptoWaitReady()
  return verifyParsedEnvelope(envelope, expected)
}

/** The synchronous core of `verifyEnvelope` (evm needs nothing async; substrate needs `cryptoWaitReady()` first). */
export function verifyParsedEnvelope(
  envelope: Envelope,
  expected: VerifyEnvelopeParameters = {},
): VerifyEnvelopeReturnType {
  const evm = envelope.family === 'evm'
  const expectedWorker =
    expected.worker === undefined ? undefined : parseWorkerIdentity(envelope.family, expected.worker)

  if (expected.chainId !== undefined) {
    const matches = evm
      ? normalizeChainId(expected.chainId) === envelope.chainId
      : String(expected.chainId).toLowerCase() === envelope.chainId.toLowerCase()
    if (!matches) {
      throw failure(
        'WRONG_CHAIN',
        'The envelope is for another chain.',
        `envelope chain ${envelope.chainId}, expected ${expected.chainId}`,
      )
    }
  }
  checkField('WRONG_DESTINATION', 'destination', envelope.destination, expected.destination)
  checkField('WRONG_REQUEST', 'requestId', envelope.requestId, expected.requestId)
  checkField('WRONG_FUNCTION', 'functionId', envelope.functionId, expected.functionId)
  checkField('WRONG_PAYLOAD', 'payloadHash', envelope.payloadHash, expected.payloadHash)
  checkField('WRONG_CODE_HASH', 'codeHash', envelope.codeHash, expected.codeHash)

  const result = fieldBytes(envelope.result)
  const resultHash = resultHashOf(result)
  if (!bytesEqual(resultHash, fieldBytes(envelope.resultHash))) {
    throw failure(
      'RESULT_ALTERED',
      'The result does not match its signed hash.',
      `keccak256(result) is ${bytesToHex(resultHash)}, the envelope signs ${envelope.resultHash}`,
    )
  }

  let signer: Hex
  if (evm) {
    const digest = fulfillmentDigest({
      chainId: BigInt(envelope.chainId),
      verifyingContract: fieldBytes(envelope.destination),
      requestId: fieldBytes(envelope.requestId),
      functionId: fieldBytes(envelope.functionId),
      payloadHash: fieldBytes(envelope.payloadHash),
      codeHash: fieldBytes(envelope.codeHash),
      status: statusCode(envelope.status),
      resultHash,
    })
    // The expected worker's key, once seen, is checked directly instead of recovered (faster, same verdict).
    const claimed = envelope.worker.toLowerCase() as Hex
    const recovered = recoverEvmSigner(
      digest,
      fieldBytes(envelope.signature),
      expectedWorker === claimed ? claimed : undefined,
    )
    if (!recovered || recovered !== envelope.worker.toLowerCase()) {
      throw failure(
        'SIGNATURE_INVALID',
        'The signature does not match the envelope.',
        recovered
          ? `it recovers to ${recovered}, not to the envelope's worker ${envelope.worker}: a signed field (chain, destination, request, function, payload hash, code hash, status or result) was changed after signing`
          : 'the signature is not a valid low-s secp256k1 signature with v 27/28',
      )
    }
    signer = envelope.worker
  } else {
    const fields = substrateFieldsOf(envelope)
    let valid = false
    try {
      valid = sr25519Verify(substrateSigningMessage(fields), fieldBytes(envelope.signature), fields.worker)
    } catch {
      valid = false
    }
    if (!valid) {
      throw failure(
        'SIGNATURE_INVALID',
        'The signature does not match the envelope.',
        `not a valid sr25519 signature of worker ${envelope.worker} over these fields: a signed field (chain, destination, request, function, payload hash, code hash, status or result) was changed after signing, or another key signed`,
      )
    }
    signer = bytesToHex(fields.worker)
  }

  if (expectedWorker !== undefined && expectedWorker !== signer.toLowerCase()) {
    throw failure(
      'WRONG_SIGNER',
      'The envelope was signed by another worker.',
      `signed by ${signer}, expected ${expected.worker}`,
    )
  }
  return { envelope, signer, result }
}

/**
 * The lowercase hex identity a `--worker` value names for a family: an evm address (from an address or a
 * secp256k1 public key) or an sr25519 public key (from hex or SS58). Throws `INVALID_WORKER` otherwise.
 */
export function parseWorkerIdentity(family: EnvelopeFamily, value: string): Hex {
  const bytes = hexToBytes(value)
  if (family === 'evm') {
    if (bytes?.length === 20) return bytesToHex(bytes)
    if (bytes && (bytes.length === 33 || bytes.length === 65)) {
      try {
        return evmAddressOf(bytes)
      } catch {
        // fall through to the error
      }
    }
    throw invalidWorker(value, 'an evm address (20 bytes) or a secp256k1 public key (33 or 65 bytes)')
  }
  if (bytes?.length === 32) return bytesToHex(bytes)
  if (!bytes) {
    try {
      const decoded = decodeAddress(value)
      if (decoded.length === 32) return bytesToHex(decoded)
    } catch {
      // fall through to the error
    }
  }
  throw invalidWorker(value, 'an sr25519 public key (32 bytes of 0x-hex) or an SS58 address')
}

function checkField(
  reason: EnvelopeFailureReason,
  field: string,
  actual: string,
  wanted: string | undefined,
) {
  if (wanted === undefined || wanted.toLowerCase() === actual.toLowerCase()) return
  const what = {
    WRONG_DESTINATION: 'destination',
    WRONG_REQUEST: 'request',
    WRONG_FUNCTION: 'function',
    WRONG_CODE_HASH: 'code hash',
    WRONG_PAYLOAD: 'payload',
  }[reason as 'WRONG_DESTINATION']
  throw failure(
    reason,
    `The envelope is for another ${what}.`,
    `envelope ${field} ${actual}, expected ${wanted}`,
  )
}

function normalizeChainId(value: bigint | number | string): string | undefined {
  try {
    return BigInt(value).toString()
  } catch {
    return undefined
  }
}

function failure(reason: EnvelopeFailureReason, message: string, details: string): EnvelopeError {
  return new EnvelopeError(message, { code: reason, details })
}

function invalidWorker(value: string, wanted: string): BaseError {
  return new BaseError('The expected worker is not a key or address.', {
    code: 'INVALID_WORKER',
    details: `${JSON.stringify(value.slice(0, 80))} is not ${wanted}`,
  })
}
