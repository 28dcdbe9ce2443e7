import { decodeFirst, type TagDecoder } from 'cborg'
import { bigIntDecoder } from 'cborg/taglib'

/** Where Chainlink Functions keeps code or secrets (`FunctionsRequest.Location`). */
export const functionsLocations = ['Inline', 'Remote', 'DONHosted'] as const

/** A Chainlink Functions request as `FunctionsRequest.encodeCBOR` (@chainlink/contracts) wrote it. */
export type FunctionsRequestData = {
  /** Index into `functionsLocations`: 0 is Inline. */
  codeLocation: number
  /** `FunctionsRequest.CodeLanguage`: 0 is JavaScript, the only one there is. */
  language: number
  /** The source text (Inline), a URL (Remote) or a slot number (DONHosted). */
  source: string
  args: string[]
  /** 0x-hex, as the source's `bytesArgs` global has them. */
  bytesArgs: string[]
  /** Where the encrypted secrets are, when the request references any. */
  secretsLocation?: number | undefined
  /** The encrypted secrets reference (threshold-encrypted URLs, or CBOR of slot id and version). */
  secrets?: Uint8Array | undefined
}

// encodeCBOR writes the numbers codeLocation, language and secretsLocation as bignums (tag 2).
const tags: TagDecoder[] = []
tags[2] = bigIntDecoder

/**
 * Decodes the CBOR of a Chainlink Functions request with cborg. `encodeCBOR` writes its fields as a sequence of
 * key and value items with no map header around them, so they are read one item at a time. Throws a plain
 * `Error` the function's caller sees when the bytes are not such a request. Bundled into the request runner.
 */
export function decodeFunctionsRequest(bytes: Uint8Array): FunctionsRequestData {
  const fields = new Map<string, unknown>()
  let rest = bytes
  try {
    while (rest.length > 0) {
      const [key, afterKey] = decodeFirst(rest, { tags, rejectDuplicateMapKeys: true })
      if (typeof key !== 'string') throw new Error(`a key is a ${typeof key}, not a string`)
      if (afterKey.length === 0) throw new Error(`the key "${key}" has no value`)
      if (fields.has(key)) throw new Error(`the key "${key}" appears twice`)
      const [value, afterValue] = decodeFirst(afterKey, { tags, rejectDuplicateMapKeys: true })
      fields.set(key, value)
      rest = afterValue
    }
  } catch (error) {
    throw new Error(`The request is not a Chainlink Functions request (CBOR): ${(error as Error).message}`)
  }
  return {
    codeLocation: smallNumber(fields, 'codeLocation', true),
    language: smallNumber(fields, 'language', true),
    source: text(fields.get('source')),
    args: strings(fields.get('args')),
    bytesArgs: byteStrings(fields.get('bytesArgs')),
    secretsLocation: fields.has('secretsLocation')
      ? smallNumber(fields, 'secretsLocation', false)
      : undefined,
    secrets: fields.has('secrets') ? bytesField(fields.get('secrets'), 'secrets') : undefined,
  }
}

function smallNumber(fields: Map<string, unknown>, key: string, required: boolean): number {
  const value = fields.get(key)
  if (value === undefined && !required) return 0
  if (typeof value === 'bigint' && value <= 255n) return Number(value)
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 255) return value
  throw invalid(key, 'a small unsigned integer')
}

function text(value: unknown): string {
  if (typeof value !== 'string') throw invalid('source', 'a text string')
  return value
}

function strings(value: unknown): string[] {
  if (value === undefined) return []
  if (!Array.isArray(value) || !value.every((entry) => typeof entry === 'string'))
    throw invalid('args', 'an array of text strings')
  return value
}

function byteStrings(value: unknown): string[] {
  if (value === undefined) return []
  if (!Array.isArray(value)) throw invalid('bytesArgs', 'an array of byte strings')
  return value.map((entry) => toHex(bytesField(entry, 'bytesArgs')))
}

function bytesField(value: unknown, key: string): Uint8Array {
  if (!(value instanceof Uint8Array)) throw invalid(key, 'bytes')
  return value
}

function invalid(key: string, expected: string): Error {
  return new Error(`The Chainlink Functions request's "${key}" is not ${expected}`)
}

function toHex(bytes: Uint8Array): string {
  let hex = '0x'
  for (const byte of bytes) hex += byte.toString(16).padStart(2, '0')
  return hex
}
