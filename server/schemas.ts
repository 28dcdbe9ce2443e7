import { Type } from 'typebox'
import { maxSecretsCiphertextBytes } from '../runtime/enclave/ownerRecords.js'
import { resultStatuses } from '../runtime/resultStatus.js'
import { apiErrorCodes } from './errorCodes.js'

/** Schemas shared by several routes; each plugin keeps its own beside its routes. */

export const Bytes32 = Type.String({ pattern: '^0x[0-9a-fA-F]{64}$', description: '32 bytes, 0x-hex' })
export const HexBytes = Type.String({ pattern: '^0x([0-9a-fA-F]{2})*$', description: 'bytes, 0x-hex' })
export const Address = Type.String({ pattern: '^0x[0-9a-fA-F]{40}$', description: 'EVM address' })

export const ErrorResponse = Type.Object(
  {
    error: Type.Object({
      code: Type.Unsafe<string>({
        type: 'string',
        enum: Object.keys(apiErrorCodes),
        description: 'stable, machine-readable; the catalogue is in the API description',
      }),
      message: Type.String({ description: 'what is wrong, for people' }),
    }),
  },
  { description: 'Every refusal and failure has this shape.' },
)

/** An EVM chain id as a decimal string (uint256, no leading zeros). */
export const DecimalChainId = Type.String({
  pattern: '^[1-9][0-9]{0,77}$',
  description: 'EVM chain id, decimal',
})

/** A version of an owner record: a positive integer below 2^53 (unix seconds work). */
export const RecordVersion = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })

/** Where an EVM function lives: the only scopes with an on-chain owner, hence with secrets and settings. */
export const EvmFunctionScope = Type.Object(
  {
    family: Type.Literal('evm', {
      description: 'substrate functions have no owner: no secrets, no settings',
    }),
    chainId: DecimalChainId,
    registry: Type.String({ pattern: '^0x[0-9a-fA-F]{40}$', description: 'the TeefnRegistry address' }),
    functionId: Bytes32,
  },
  { additionalProperties: false, description: 'the function scope (spec section 5)' },
)

/** `?chainId=&registry=&functionId=`: a scope on a chain this server reads (defaults: its first EVM chain). */
export const ScopeQuery = Type.Object(
  {
    chainId: Type.Optional(DecimalChainId),
    registry: Type.Optional(Address),
    functionId: Bytes32,
  },
  { additionalProperties: false },
)

/** 65 bytes r || s || v, 0x-hex. */
export const Signature65 = Type.String({
  pattern: '^0x[0-9a-fA-F]{130}$',
  description: '65 bytes r || s || v',
})

/** Hex of at most the largest secrets ciphertext a record may carry. */
export const maxSecretsCiphertextHexLength = 2 + 2 * maxSecretsCiphertextBytes

/** A string that is one of `values` (plain JSON Schema `enum`, typed as their union). */
export function StringEnum<T extends string>(values: readonly T[], options: { description?: string } = {}) {
  return Type.Unsafe<T>({ type: 'string', enum: [...values], ...options })
}

export const ResultStatus = StringEnum(resultStatuses, {
  description: 'How the invocation ended; signed into the envelope',
})

export const Envelope = Type.Object(
  {
    version: Type.Literal(2),
    family: Type.Union([Type.Literal('evm'), Type.Literal('substrate')]),
    chainId: Type.String(),
    destination: HexBytes,
    requestId: Bytes32,
    functionId: Bytes32,
    payloadHash: Bytes32,
    codeHash: Bytes32,
    status: ResultStatus,
    resultHash: Bytes32,
    result: HexBytes,
    worker: HexBytes,
    signature: HexBytes,
  },
  { description: 'The signed result (verify with teefn verify, or verifyEnvelope).' },
)

export const LogEntry = Type.Object({
  level: StringEnum(['log', 'info', 'warn', 'error', 'debug'] as const),
  message: Type.String(),
})

export const Outcome = {
  status: ResultStatus,
  result: Type.String({ description: 'the result as UTF-8 text when printable, else 0x-hex' }),
  resultEncoding: Type.Union([Type.Literal('utf8'), Type.Literal('hex')]),
  resultHex: HexBytes,
  envelope: Envelope,
  logs: Type.Array(LogEntry, { description: 'console output, bounded (200 entries, 64 KiB)' }),
  logsTruncated: Type.Boolean(),
  stats: Type.Object({ durationMs: Type.Number(), fetches: Type.Integer() }),
  resultOmitted: Type.Optional(
    Type.Object(
      { bytes: Type.Integer() },
      {
        description:
          'the result was over what the node keeps of a job: result and envelope.result are empty, envelope.resultHash commits to it',
      },
    ),
  ),
}

/** Per-call sandbox limits a caller may ask for, each at most the operator maximum. */
export const Limits = Type.Object(
  {
    timeoutMs: Type.Optional(Type.Integer({ minimum: 1 })),
    memoryBytes: Type.Optional(Type.Integer({ minimum: 1 })),
    stackBytes: Type.Optional(Type.Integer({ minimum: 1 })),
    resultBytes: Type.Optional(Type.Integer({ minimum: 1 })),
    logBytes: Type.Optional(Type.Integer({ minimum: 1 })),
    maxFetches: Type.Optional(Type.Integer({ minimum: 1 })),
    fetchResponseBytes: Type.Optional(Type.Integer({ minimum: 1 })),
    fetchTimeoutMs: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  {
    additionalProperties: false,
    description: 'sandbox limits for this call (defaults: 10 s, 64 MiB, 16 fetches...)',
  },
)

/** `?flag=true|false|1|0` (query strings are not coerced, so that JSON bodies are not either). */
export const QueryFlag = StringEnum(['true', 'false', '1', '0', ''] as const)

export function flagSet(value: string | undefined): boolean {
  return value === 'true' || value === '1' || value === ''
}

/** The error responses a route documents, by status. */
export function errorResponses(...statuses: number[]): Record<number, typeof ErrorResponse> {
  return Object.fromEntries(statuses.map((status) => [status, ErrorResponse]))
}
