import { type Hex, isAddressEqual, keccak256, recoverTypedDataAddress } from 'viem'
import type { Envelope } from '../../../runtime/enclave/envelope.js'
import {
  eip712DomainName,
  eip712DomainVersion,
  fulfillmentTypes,
} from '../../../runtime/enclave/evmEnvelope.js'
import { statusCode } from '../../../runtime/resultStatus.js'

export type EnvelopeVerdict =
  | { verified: true; signer: string }
  | { verified: false; reason: string }
  | { verified: undefined; reason: string }

const halfOrder = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n

/**
 * Checks an EVM envelope in the browser as a consumer contract would: the result matches its signed hash, the
 * EIP-712 `Fulfillment` signature (low s, v 27/28) recovers to the envelope's worker, and that worker is the one
 * `/v1/attestation` names. Substrate (sr25519) envelopes are left to `teefn verify` (`verified: undefined`).
 */
export async function verifyEnvelopeSignature(envelope: Envelope, worker: string): Promise<EnvelopeVerdict> {
  if (envelope.family !== 'evm') return { verified: undefined, reason: 'sr25519: check with teefn verify' }
  try {
    if (keccak256(envelope.result as Hex).toLowerCase() !== envelope.resultHash.toLowerCase()) {
      return { verified: false, reason: 'the result does not match its signed hash' }
    }
    const signature = envelope.signature as Hex
    if (signature.length !== 132) return { verified: false, reason: 'the signature is not 65 bytes' }
    const s = BigInt(`0x${signature.slice(66, 130)}`)
    const v = Number.parseInt(signature.slice(130), 16)
    if (s > halfOrder || (v !== 27 && v !== 28)) {
      return { verified: false, reason: 'not a low-s signature with v 27/28' }
    }
    const signer = await recoverTypedDataAddress({
      domain: {
        name: eip712DomainName,
        version: eip712DomainVersion,
        chainId: BigInt(envelope.chainId),
        verifyingContract: envelope.destination as Hex,
      },
      types: fulfillmentTypes,
      primaryType: 'Fulfillment',
      message: {
        requestId: envelope.requestId as Hex,
        functionId: envelope.functionId as Hex,
        payloadHash: envelope.payloadHash as Hex,
        codeHash: envelope.codeHash as Hex,
        status: statusCode(envelope.status),
        resultHash: envelope.resultHash as Hex,
      },
      signature,
    })
    if (!isAddressEqual(signer, envelope.worker as Hex)) {
      return { verified: false, reason: `the signature recovers to ${signer}, not the envelope's worker` }
    }
    if (!isAddressEqual(signer, worker as Hex)) {
      return { verified: false, reason: `signed by ${signer}, not this node's attested worker` }
    }
    return { verified: true, signer }
  } catch (error) {
    return { verified: false, reason: error instanceof Error ? error.message.split('\n')[0]! : String(error) }
  }
}
