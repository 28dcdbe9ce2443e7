import { readFile } from 'node:fs/promises'
import {
  type Admission,
  gatekeeperSignersOf,
  hashGatekeeperStatement,
  registryDomain,
} from '../../contracts/admissionTypedData.js'
import { UsageError } from '../UsageError.js'

/**
 * What `teefn chain sign-admission` prints and `teefn chain admit-by-quorum` reads: one gatekeeper's signature
 * of one `Admission` statement, with the statement and where it applies, so each file stands alone. Unix times
 * and nonces are JSON numbers; bytes32 and addresses 0x-hex.
 */
export type SignedAdmission = {
  kind: 'Admission'
  chainId: number
  registry: string
  statement: {
    worker: string
    quoteHash: string
    measurement: string
    expiresAt: number
    nonce: number
    deadline: number
  }
  /** The EIP-712 digest signed (the registry's `hashAdmission`). */
  digest: string
  signer: string
  signature: string
}

/** The JSON of a signature `signer` made over `admission` for the registry at `registry` on `chainId`. */
export function signedAdmissionJson(
  chainId: number,
  registry: string,
  admission: Admission,
  signer: string,
  signature: string,
): SignedAdmission {
  return {
    kind: 'Admission',
    chainId,
    registry,
    statement: {
      worker: admission.worker,
      quoteHash: admission.quoteHash,
      measurement: admission.measurement,
      expiresAt: Number(admission.expiresAt),
      nonce: Number(admission.nonce),
      deadline: Number(admission.deadline),
    },
    digest: hashGatekeeperStatement(registryDomain(chainId, registry), 'Admission', admission),
    signer,
    signature,
  }
}

export type ReadSignedAdmissionReturnType = {
  chainId: number
  registry: string
  admission: Admission
  /** The statement's EIP-712 digest, recomputed. */
  digest: string
  signer: string
  signature: string
}

/**
 * Reads one signed-admission file and checks it: its fields, and that its signature recovers to the signer it
 * names over the statement it holds (a file edited after signing is refused here, not by the chain).
 */
export async function readSignedAdmission(file: string): Promise<ReadSignedAdmissionReturnType> {
  let parsed: SignedAdmission
  try {
    parsed = JSON.parse(await readFile(file, 'utf8')) as SignedAdmission
  } catch (error) {
    throw new UsageError(`cannot read the signed admission ${file}`, (error as Error).message)
  }
  const refuse = (why: string) =>
    new UsageError(
      `${file} is not a signed admission: ${why}`,
      'Pass files teefn chain sign-admission printed.',
    )
  const s = parsed?.statement
  if (parsed?.kind !== 'Admission' || typeof s !== 'object' || s === null)
    throw refuse('no Admission statement')
  for (const field of ['worker', 'quoteHash', 'measurement'] as const) {
    if (typeof s[field] !== 'string' || !/^0x[0-9a-fA-F]+$/.test(s[field])) throw refuse(`statement.${field}`)
  }
  for (const field of ['expiresAt', 'nonce', 'deadline'] as const) {
    if (!Number.isSafeInteger(s[field]) || s[field] < 0) throw refuse(`statement.${field}`)
  }
  if (!Number.isSafeInteger(parsed.chainId)) throw refuse('chainId')
  for (const field of ['registry', 'signer', 'signature'] as const) {
    if (typeof parsed[field] !== 'string' || !/^0x[0-9a-fA-F]+$/.test(parsed[field])) throw refuse(field)
  }
  const admission: Admission = {
    worker: s.worker,
    quoteHash: s.quoteHash,
    measurement: s.measurement,
    expiresAt: BigInt(s.expiresAt),
    nonce: BigInt(s.nonce),
    deadline: BigInt(s.deadline),
  }
  const domain = registryDomain(parsed.chainId, parsed.registry)
  let recovered: string
  try {
    ;[recovered] = gatekeeperSignersOf(domain, 'Admission', admission, [parsed.signature]) as [string]
  } catch (error) {
    throw refuse(`its signature does not parse (${(error as Error).message.split('\n')[0]})`)
  }
  if (recovered.toLowerCase() !== parsed.signer.toLowerCase()) {
    throw refuse(`its signature is not ${parsed.signer}'s over this statement (it recovers to ${recovered})`)
  }
  return {
    chainId: parsed.chainId,
    registry: parsed.registry,
    admission,
    digest: hashGatekeeperStatement(domain, 'Admission', admission),
    signer: recovered,
    signature: parsed.signature,
  }
}
