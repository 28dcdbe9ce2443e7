import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { ServerContext } from '../ServerContext.js'
import { Address, errorResponses, HexBytes } from '../schemas.js'

const Attestation = Type.Object({
  provider: Type.Union([Type.Literal('dstack'), Type.Literal('dev')], {
    description: 'dstack: a TDX quote; dev: a local key and a quote marked NOT-A-TEE that verifiers refuse',
  }),
  publicKeys: Type.Object({
    evmAddress: Address,
    secp256k1: HexBytes,
    sr25519: HexBytes,
    encryption: HexBytes,
  }),
  quote: HexBytes,
  reportData: HexBytes,
  measurement: HexBytes,
  eventLog: Type.Optional(Type.String()),
})

/** `GET /v1/attestation`: the worker's public keys and the quote that binds them. */
export const attestationPlugin: FastifyPluginAsyncTypebox<{ context: ServerContext }> = async (
  app,
  { context },
) => {
  const { attestation } = context
  // Copied field by field: only public data leaves, whatever else the object given may carry.
  const body = {
    provider: attestation.kind,
    publicKeys: {
      evmAddress: attestation.publicKeys.evmAddress,
      secp256k1: attestation.publicKeys.secp256k1,
      sr25519: attestation.publicKeys.sr25519,
      encryption: attestation.publicKeys.encryption,
    },
    quote: attestation.quote,
    reportData: attestation.reportData,
    measurement: attestation.measurement,
    ...(attestation.eventLog !== undefined ? { eventLog: attestation.eventLog } : {}),
  }
  app.get(
    '/v1/attestation',
    {
      schema: {
        summary: "The worker's public keys, TEE provider and quote",
        description:
          'report_data = sha256("teefn/worker-keys/v1" || secp256k1 || sr25519 || X25519 public keys) || sha256(measurement). Verify with `teefn attest verify --quote <hex> --report-data <reportData>` (dev quotes need --allow-dev). Envelopes from this worker are signed by publicKeys.evmAddress (evm) or publicKeys.sr25519 (substrate); owners encrypt secrets to publicKeys.encryption.',
        tags: ['attestation'],
        response: { 200: Attestation, ...errorResponses(429) },
      },
    },
    async (_request, reply) => {
      reply.header('cache-control', 'public, max-age=60')
      return body
    },
  )
}
