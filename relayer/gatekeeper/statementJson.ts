import { getAddress, isHexString } from 'ethers'
import type { GatekeeperStatement } from '../../contracts/admissionTypedData.js'
import type { WorkerStatementKind } from './statementBook.js'

/**
 * A statement with its signatures, as gatekeepers exchange them over HTTP: `{ admission: {...}, signatures }` or
 * `{ removal: {...}, signatures }`, numbers as decimal strings.
 */
export type SignedStatementJson = Record<string, Record<string, string> | string[]> & { signatures: string[] }

/** The JSON key of a statement kind (`admission`, `removal`); also the API's plural path segment. */
export const statementKey = (kind: WorkerStatementKind) => (kind === 'Admission' ? 'admission' : 'removal')

/** The fields of each kind: bytes32 ones, then uint64 ones (`worker` always first). */
const fields: Record<WorkerStatementKind, { bytes32: string[]; uint64: string[] }> = {
  Admission: { bytes32: ['quoteHash', 'measurement'], uint64: ['expiresAt', 'nonce', 'deadline'] },
  Removal: { bytes32: [], uint64: ['nonce', 'deadline'] },
}

export function statementToJson<K extends WorkerStatementKind>(
  kind: K,
  statement: GatekeeperStatement[K],
  signatures: readonly string[],
): SignedStatementJson {
  const values = statement as unknown as Record<string, string | bigint>
  const object: Record<string, string> = { worker: statement.worker }
  for (const name of fields[kind].bytes32) object[name] = values[name] as string
  for (const name of fields[kind].uint64) object[name] = (values[name] as bigint).toString()
  return { [statementKey(kind)]: object, signatures: [...signatures] } as SignedStatementJson
}

/** Reads a posted `SignedStatementJson` of `kind`; returns what is wrong as a string. Untrusted input. */
export function statementFromJson<K extends WorkerStatementKind>(
  kind: K,
  value: unknown,
): { statement: GatekeeperStatement[K]; signatures: string[] } | string {
  const key = statementKey(kind)
  if (typeof value !== 'object' || value === null) return 'the body is not a JSON object'
  const { [key]: object, signatures } = value as Record<string, unknown>
  if (typeof object !== 'object' || object === null) return `${key} is missing`
  if (!Array.isArray(signatures) || signatures.length > 32 || !signatures.every((s) => isHexString(s, 65))) {
    return 'signatures must be at most 32 65-byte 0x-hex signatures'
  }
  const a = object as Record<string, unknown>
  if (typeof a.worker !== 'string' || !isHexString(a.worker, 20)) return `${key}.worker must be an address`
  const statement: Record<string, string | bigint> = { worker: getAddress(a.worker) }
  for (const name of fields[kind].bytes32) {
    if (!isHexString(a[name], 32)) return `${key}.${name} must be 32 bytes of 0x-hex`
    statement[name] = (a[name] as string).toLowerCase()
  }
  for (const name of fields[kind].uint64) {
    const field = a[name]
    if (typeof field !== 'string' || !/^\d{1,20}$/.test(field) || BigInt(field) >= 2n ** 64n) {
      return `${key}.${name} must be a uint64 as a decimal string`
    }
    statement[name] = BigInt(field)
  }
  return { statement: statement as unknown as GatekeeperStatement[K], signatures: signatures as string[] }
}
