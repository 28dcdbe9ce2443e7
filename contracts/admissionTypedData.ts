import { type TypedDataDomain, TypedDataEncoder, type TypedDataField, verifyTypedData } from 'ethers'
import { ContractsError } from './ContractsError.js'
import type { TypedDataSigner } from './fulfillmentTypedData.js'

/**
 * The EIP-712 statements gatekeepers sign for the registry (`TeefnRegistry.sol`, `TeefnGovernance.sol`; see
 * docs/protocol.md), under the domain `{ name: 'teefn registry', version: '1', chainId, verifyingContract:
 * <registry> }`. A statement is accepted with at least `gatekeeperThreshold` distinct gatekeepers' signatures,
 * ordered by strictly increasing signer address (`orderGatekeeperSignatures`).
 */
export const REGISTRY_DOMAIN_NAME = 'teefn registry'
export const REGISTRY_DOMAIN_VERSION = '1'

export const GATEKEEPER_STATEMENT_TYPES = {
  /** Admit `worker` until `expiresAt`; `nonce` is the registry's `workerNonce(worker)`. */
  Admission: [
    { name: 'worker', type: 'address' },
    { name: 'quoteHash', type: 'bytes32' },
    { name: 'measurement', type: 'bytes32' },
    { name: 'expiresAt', type: 'uint64' },
    { name: 'nonce', type: 'uint64' },
    { name: 'deadline', type: 'uint64' },
  ],
  /** Remove `worker`; `nonce` is `workerNonce(worker)`. */
  Removal: [
    { name: 'worker', type: 'address' },
    { name: 'nonce', type: 'uint64' },
    { name: 'deadline', type: 'uint64' },
  ],
  /** Replace the gatekeeper set (strictly increasing) and threshold; `nonce` is `governanceNonce()`. */
  GatekeeperChange: [
    { name: 'gatekeepers', type: 'address[]' },
    { name: 'threshold', type: 'uint8' },
    { name: 'nonce', type: 'uint64' },
    { name: 'deadline', type: 'uint64' },
  ],
  /** Pin or unpin a measurement; `nonce` is `governanceNonce()`. */
  MeasurementPin: [
    { name: 'measurement', type: 'bytes32' },
    { name: 'pinned', type: 'bool' },
    { name: 'nonce', type: 'uint64' },
    { name: 'deadline', type: 'uint64' },
  ],
} as const satisfies Record<string, readonly TypedDataField[]>

export type GatekeeperStatementKind = keyof typeof GATEKEEPER_STATEMENT_TYPES

/** Unix seconds and nonces as bigint; bytes32 and addresses as 0x-hex. */
export type Admission = {
  worker: string
  /** keccak256 of the candidate's quote bytes (`attestationHash`, runtime/enclave/attestationHash.ts). */
  quoteHash: string
  /** The runtime measurement the quote binds; the registry must have it pinned. */
  measurement: string
  expiresAt: bigint
  nonce: bigint
  /** The signatures are good until this time (inclusive). */
  deadline: bigint
}
export type Removal = { worker: string; nonce: bigint; deadline: bigint }
export type GatekeeperChange = { gatekeepers: string[]; threshold: number; nonce: bigint; deadline: bigint }
export type MeasurementPin = { measurement: string; pinned: boolean; nonce: bigint; deadline: bigint }

export type GatekeeperStatement = {
  Admission: Admission
  Removal: Removal
  GatekeeperChange: GatekeeperChange
  MeasurementPin: MeasurementPin
}

/** The EIP-712 domain of the registry at `verifyingContract` on `chainId`. */
export function registryDomain(chainId: bigint | number, verifyingContract: string): TypedDataDomain {
  return { name: REGISTRY_DOMAIN_NAME, version: REGISTRY_DOMAIN_VERSION, chainId, verifyingContract }
}

function typesOf(kind: GatekeeperStatementKind): Record<string, TypedDataField[]> {
  return { [kind]: [...GATEKEEPER_STATEMENT_TYPES[kind]] }
}

/** The digest gatekeepers sign; equals the registry's `hashAdmission` / `hashRemoval` / ... on chain. */
export function hashGatekeeperStatement<K extends GatekeeperStatementKind>(
  domain: TypedDataDomain,
  kind: K,
  statement: GatekeeperStatement[K],
): string {
  return TypedDataEncoder.hash(domain, typesOf(kind), statement)
}

/** Signs a statement as one gatekeeper (a gatekeeper node's key, or a test key). */
export function signGatekeeperStatement<K extends GatekeeperStatementKind>(
  signer: TypedDataSigner,
  domain: TypedDataDomain,
  kind: K,
  statement: GatekeeperStatement[K],
): Promise<string> {
  return signer.signTypedData(domain, typesOf(kind), statement)
}

/** The signer of each signature, recovered over `statement`. */
export function gatekeeperSignersOf<K extends GatekeeperStatementKind>(
  domain: TypedDataDomain,
  kind: K,
  statement: GatekeeperStatement[K],
  signatures: string[],
): string[] {
  return signatures.map((signature) => verifyTypedData(domain, typesOf(kind), statement, signature))
}

/**
 * `signatures` in the order the registry takes them: by strictly increasing signer address.
 * @throws ContractsError `QUORUM_DUPLICATE_SIGNER` when two signatures come from one key.
 */
export function orderGatekeeperSignatures<K extends GatekeeperStatementKind>(
  domain: TypedDataDomain,
  kind: K,
  statement: GatekeeperStatement[K],
  signatures: string[],
): string[] {
  const signers = gatekeeperSignersOf(domain, kind, statement, signatures)
  const order = signatures.map((signature, i) => ({ signature, signer: BigInt(signers[i]!) }))
  order.sort((a, b) => (a.signer < b.signer ? -1 : a.signer > b.signer ? 1 : 0))
  for (let i = 1; i < order.length; i++) {
    if (order[i]!.signer === order[i - 1]!.signer) {
      throw new ContractsError('Two signatures come from the same gatekeeper.', {
        code: 'QUORUM_DUPLICATE_SIGNER',
        details: `0x${order[i]!.signer.toString(16).padStart(40, '0')} signed twice; each gatekeeper counts once.`,
        hint: 'Drop the duplicate.',
      })
    }
  }
  return order.map((entry) => entry.signature)
}
