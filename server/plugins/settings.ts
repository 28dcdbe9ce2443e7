import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { scopeId } from '../../runtime/enclave/functionScope.js'
import {
  parseSignedSettings,
  recoverSettingsSigner,
  type SignedSettings,
} from '../../runtime/enclave/ownerRecords.js'
import { readOwnerRecord } from '../readOwnerRecord.js'
import type { ServerContext } from '../ServerContext.js'
import {
  Address,
  Bytes32,
  EvmFunctionScope,
  errorResponses,
  RecordVersion,
  ScopeQuery,
  Signature65,
} from '../schemas.js'
import { writeOwnerRecord } from '../writeOwnerRecord.js'

const httpSecretsDescription =
  'whether HTTP invocations that name this function get its secrets and deriveSecret (the caller chooses their input); false or no record: they run with {} and no deriveSecret'

const SignedSettingsBody = Type.Object(
  {
    scope: EvmFunctionScope,
    httpSecrets: Type.Boolean({ description: httpSecretsDescription }),
    version: RecordVersion,
    signature: Signature65,
  },
  { additionalProperties: false, description: 'SignedSettings (spec section 6)' },
)

const SettingsMetadata = Type.Object({
  scope: EvmFunctionScope,
  scopeId: Bytes32,
  version: Type.Integer(),
  httpSecrets: Type.Boolean({ description: httpSecretsDescription }),
  signer: Type.Optional(Address),
})

/**
 * `PUT /v1/settings` and `GET /v1/settings`: a function's owner-signed settings (today: `httpSecrets`). Only
 * the function's on-chain owner may write them; the worker checks the signature again before it acts on them.
 */
export const settingsPlugin: FastifyPluginAsyncTypebox<{ context: ServerContext }> = async (
  app,
  { context },
) => {
  app.put(
    '/v1/settings',
    {
      schema: {
        summary: "Store a function's settings, signed by its owner",
        description:
          "The owner signs EIP-712 FunctionSettings(bytes32 functionId,bool httpSecrets,uint64 version) in the domain { name: 'teefn', version: '1', chainId, verifyingContract: registry } (teefn settings put does it). Refused, with nothing stored: a malformed record (400 OWNER_RECORD_INVALID), a chain or registry this server does not read (400 CHAIN_NOT_SERVED), a function the registry does not have (404 FUNCTION_NOT_REGISTERED), a signer other than the owner read through the RPC quorum (403 NOT_FUNCTION_OWNER), a version not above the stored one (409 VERSION_NOT_NEWER).",
        tags: ['settings'],
        body: SignedSettingsBody,
        response: { 200: SettingsMetadata, ...errorResponses(400, 403, 404, 409, 429, 503) },
      },
    },
    async (request) => {
      const { record, signer, at } = await writeOwnerRecord({
        chains: context.chains,
        kind: 'settings',
        body: request.body,
        parse: parseSignedSettings,
        recover: recoverSettingsSigner,
        put: (parsed) => context.store.putSettings(parsed),
        redisTimeoutMs: context.redisTimeoutMs,
      })
      const metadata = metadataOf(record, signer)
      request.log.info(
        {
          scopeId: metadata.scopeId,
          version: record.version,
          httpSecrets: record.httpSecrets,
          signer,
          block: at.number,
        },
        'settings stored',
      )
      return metadata
    },
  )

  app.get(
    '/v1/settings',
    {
      schema: {
        summary: "A function's settings record",
        description:
          'chainId and registry default to the first EVM chain this server reads; 404 SETTINGS_NOT_FOUND when no record was ever stored (HTTP invocations then get no secrets).',
        tags: ['settings'],
        querystring: ScopeQuery,
        response: { 200: SettingsMetadata, ...errorResponses(400, 404, 429, 503) },
      },
    },
    async (request) => {
      const record = await readOwnerRecord({
        chains: context.chains,
        query: request.query,
        get: (scope) => context.store.getSettings(scope),
        redisTimeoutMs: context.redisTimeoutMs,
        notFound: { code: 'SETTINGS_NOT_FOUND', what: 'settings', command: 'teefn settings put' },
      })
      return metadataOf(record, recoverSettingsSigner(record))
    },
  )
}

function metadataOf(record: SignedSettings, signer: string | undefined) {
  return {
    // Owner records are EVM-only (parseSigned* refuses others).
    scope: { ...record.scope, family: 'evm' as const },
    scopeId: scopeId(record.scope),
    version: record.version,
    httpSecrets: record.httpSecrets,
    ...(signer ? { signer } : {}),
  }
}
