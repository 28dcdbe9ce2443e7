import { getAddress, isHexString } from 'ethers'
import type { Admission } from '../../contracts/admissionTypedData.js'

/** An `Admission` with its signatures, as gatekeepers exchange them over HTTP (numbers as decimal strings). */
export type SignedAdmissionJson = {
  admission: {
    worker: string
    quoteHash: string
    measurement: string
    expiresAt: string
    nonce: string
    deadline: string
  }
  signatures: string[]
}

export function admissionToJson(admission: Admission, signatures: readonly string[]): SignedAdmissionJson {
  return {
    admission: {
      worker: admission.worker,
      quoteHash: admission.quoteHash,
      measurement: admission.measurement,
      expiresAt: admission.expiresAt.toString(),
      nonce: admission.nonce.toString(),
      deadline: admission.deadline.toString(),
    },
    signatures: [...signatures],
  }
}

/** Reads a posted `SignedAdmissionJson`; returns what is wrong as a string. Untrusted input. */
export function admissionFromJson(value: unknown): { admission: Admission; signatures: string[] } | string {
  if (typeof value !== 'object' || value === null) return 'the body is not a JSON object'
  const { admission, signatures } = value as Record<string, unknown>
  if (typeof admission !== 'object' || admission === null) return 'admission is missing'
  if (!Array.isArray(signatures) || signatures.length > 32 || !signatures.every((s) => isHexString(s, 65))) {
    return 'signatures must be at most 32 65-byte 0x-hex signatures'
  }
  const a = admission as Record<string, unknown>
  if (typeof a.worker !== 'string' || !isHexString(a.worker, 20)) return 'admission.worker must be an address'
  for (const name of ['quoteHash', 'measurement'] as const) {
    if (!isHexString(a[name], 32)) return `admission.${name} must be 32 bytes of 0x-hex`
  }
  const numbers: bigint[] = []
  for (const name of ['expiresAt', 'nonce', 'deadline'] as const) {
    const field = a[name]
    if (typeof field !== 'string' || !/^\d{1,19}$/.test(field) || BigInt(field) >= 2n ** 64n) {
      return `admission.${name} must be a uint64 as a decimal string`
    }
    numbers.push(BigInt(field))
  }
  return {
    admission: {
      worker: getAddress(a.worker),
      quoteHash: (a.quoteHash as string).toLowerCase(),
      measurement: (a.measurement as string).toLowerCase(),
      expiresAt: numbers[0]!,
      nonce: numbers[1]!,
      deadline: numbers[2]!,
    },
    signatures: signatures as string[],
  }
}
