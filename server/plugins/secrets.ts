import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyBaseLogger } from 'fastify'
import { Type } from 'typebox'
import { scopeId } from '../../runtime/enclave/functionScope.js'
import {
  ciphertextHashOf,
  maxSecretsCiphertextBytes,
  parseSignedSecrets,
  recoverSecretsSigner,
  type SignedSecrets,
} from '../../runtime/enclave/ownerRecords.js'
import { readOwnerRecord } from '../readOwnerRecord.js'
import type { ServerContext } from '../ServerContext.js'
import {
  Address,
  Bytes32,
  EvmFunctionScope,
  errorResponses,
  maxSecretsCiphertextHexLength,
  RecordVersion,
  ScopeQuery,
  Signature65,
} from '../schemas.js'
import { writeOwnerRecord } from '../writeOwnerRecord.js'

/** A record with the largest ciphertext, as JSON, with room for the rest. */
const secretsBodyLimit = maxSecretsCiphertextHexLength + 4096

const signedFields = { scope: EvmFunctionScope, version: RecordVersion, signature: Signature65 }

const SignedSecretsBody = Type.Object(
  {
    ...signedFields,
    ciphertext: Type.String({
      pattern: '^0x([0-9a-fA-F]{2})+$',
      maxLength: maxSecretsCiphertextHexLength,
      description: `a version 2 secrets ciphertext for this scope (teefn secrets encrypt), at most ${maxSecretsCiphertextBytes} bytes`,
    }),
  },
  { additionalProperties: false, description: 'SignedSecrets (spec section 6)' },
)

const SecretsDeletionBody = Type.Object(
  {
    ...signedFields,
    ciphertext: Type.Literal('0x', { description: '0x: the owner signs a deletion (ciphertextHash 0)' }),
  },
  {
    additionalProperties: false,
    description: 'SignedSecrets with ciphertext 0x: a deletion the owner signed',
  },
)

const SecretsMetadata = Type.Object(
  {
    scope: EvmFunctionScope,
    scopeId: Bytes32,
    version: Type.Integer(),
    deleted: Type.Boolean({ description: 'the latest record is a signed deletion (kept as a tombstone)' }),
    ciphertextHash: Type.Optional(Bytes32),
    ciphertextBytes: Type.Optional(Type.Integer()),
    signer: Type.Optional(Address),
  },
  { description: 'what is stored, never the ciphertext' },
)

const writeRules =
  "The owner signs EIP-712 SecretsUpdate(bytes32 functionId,bytes32 ciphertextHash,uint64 version), ciphertextHash = keccak256(ciphertext) or 0 for a deletion, in the domain { name: 'teefn', version: '1', chainId, verifyingContract: registry }; the version must grow with each write (unix seconds work). " +
  'Refused, with nothing stored: a malformed record (400 OWNER_RECORD_INVALID naming the field), a chain or registry this server does not read (400 CHAIN_NOT_SERVED), a function the registry does not have (404 FUNCTION_NOT_REGISTERED), a signer other than the owner the registry names, read through the RPC quorum (403 NOT_FUNCTION_OWNER), a version not above the stored one (409 VERSION_NOT_NEWER).'

/**
 * `PUT /v1/secrets`, `DELETE /v1/secrets`, `GET /v1/secrets`: a function's owner-signed, encrypted secrets.
 * Only the function's on-chain owner may write them; anyone may read their metadata, never their ciphertext.
 */
export const secretsPlugin: FastifyPluginAsyncTypebox<{ context: ServerContext }> = async (
  app,
  { context },
) => {
  const write = async (body: unknown) => {
    const written = await writeOwnerRecord({
      chains: context.chains,
      kind: 'secrets',
      body,
      parse: parseSignedSecrets,
      recover: recoverSecretsSigner,
      put: (record) => context.store.putSecrets(record),
      redisTimeoutMs: context.redisTimeoutMs,
    })
    return { ...written, metadata: metadataOf(written.record, written.signer) }
  }
  const store = async (body: unknown, message: string, log: FastifyBaseLogger) => {
    const { metadata, at } = await write(body)
    log.info(
      { scopeId: metadata.scopeId, version: metadata.version, signer: metadata.signer, block: at.number },
      message,
    )
    return metadata
  }

  app.put(
    '/v1/secrets',
    {
      bodyLimit: secretsBodyLimit,
      schema: {
        summary: "Store a function's encrypted secrets, signed by its owner",
        description: `The body is a SignedSecrets record: the secrets encrypted to the workers' attested key for this scope (teefn secrets put does it all). ${writeRules}`,
        tags: ['secrets'],
        body: SignedSecretsBody,
        response: { 200: SecretsMetadata, ...errorResponses(400, 403, 404, 409, 413, 429, 503) },
      },
    },
    async (request) => store(request.body, 'secrets stored', request.log),
  )

  app.delete(
    '/v1/secrets',
    {
      schema: {
        summary: "Delete a function's secrets, signed by its owner",
        description: `The body is a SignedSecrets record with ciphertext 0x. The deletion stays as a tombstone, so an older record cannot come back through this API. ${writeRules}`,
        tags: ['secrets'],
        body: SecretsDeletionBody,
        response: { 200: SecretsMetadata, ...errorResponses(400, 403, 404, 409, 429, 503) },
      },
    },
    async (request) => store(request.body, 'secrets deleted', request.log),
  )

  app.get(
    '/v1/secrets',
    {
      schema: {
        summary: "A function's secrets record: version and hash, never the ciphertext",
        description:
          'chainId and registry default to the first EVM chain this server reads; 404 SECRETS_NOT_FOUND when no record was ever stored.',
        tags: ['secrets'],
        querystring: ScopeQuery,
        response: { 200: SecretsMetadata, ...errorResponses(400, 404, 429, 503) },
      },
    },
    async (request) => {
      const record = await readOwnerRecord({
        chains: context.chains,
        query: request.query,
        get: (scope) => context.store.getSecrets(scope),
        redisTimeoutMs: context.redisTimeoutMs,
        notFound: { code: 'SECRETS_NOT_FOUND', what: 'secrets', command: 'teefn secrets put' },
      })
      return metadataOf(record, recoverSecretsSigner(record))
    },
  )
}

function metadataOf(record: SignedSecrets, signer: string | undefined) {
  const deleted = record.ciphertext === '0x'
  return {
    // Owner records are EVM-only (parseSigned* refuses others).
    scope: { ...record.scope, family: 'evm' as const },
    scopeId: scopeId(record.scope),
    version: record.version,
    deleted,
    ...(deleted
      ? {}
      : {
          ciphertextHash: ciphertextHashOf(record.ciphertext),
          ciphertextBytes: (record.ciphertext.length - 2) / 2,
        }),
    ...(signer ? { signer } : {}),
  }
}
