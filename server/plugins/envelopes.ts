import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { EnvelopeError } from '../../runtime/enclave/EnvelopeError.js'
import { parseEnvelope } from '../../runtime/enclave/envelope.js'
import { verifyParsedEnvelope } from '../../runtime/enclave/verifyEnvelope.js'
import { ApiError } from '../ApiError.js'
import { readFunctionInfo } from '../readFunctionInfo.js'
import type { ServerContext } from '../ServerContext.js'
import { Address, Bytes32, DecimalChainId, Envelope, errorResponses } from '../schemas.js'
import { withDeadline } from '../withDeadline.js'

/** An envelope's result is bounded by the worker's result limit; this leaves room for the JSON around it. */
export const envelopeBodyLimit = 256 * 1024

const EnvelopeQuery = Type.Object(
  { chainId: DecimalChainId, consumer: Address, requestId: Bytes32 },
  { additionalProperties: false },
)

/**
 * `POST /v1/envelopes` and `GET /v1/envelopes`: how nodes exchange the signed answers of quorum requests
 * (docs/protocol.md, section 6). An envelope is kept once it is well formed, its signature recovers to the
 * worker it names and the registry holds that worker as active (so made-up keys cannot fill a request's bound);
 * whether the answers agree, and everything else, is for the consumer to decide: the transport needs no trust.
 */
export const envelopesPlugin: FastifyPluginAsyncTypebox<{ context: ServerContext }> = async (
  app,
  { context },
) => {
  app.post(
    '/v1/envelopes',
    {
      bodyLimit: envelopeBodyLimit,
      schema: {
        summary: "Give this node a worker's signed answer to a quorum request",
        description:
          'The body is one EVM envelope exactly as a worker signed it. Kept per (chainId, destination, requestId), signer and codeHash, the first such envelope only, at most 32 per request, for an hour. Refused: 400 ENVELOPE_INVALID (malformed, result altered, or the signature does not recover to `worker`), 400 CHAIN_NOT_SERVED (a chain this node does not read), 403 WORKER_NOT_ACTIVE (the registry, read through the RPC quorum, does not hold the signer as an active worker), 409 ENVELOPES_FULL, 503 CHAIN_UNAVAILABLE.',
        tags: ['quorum'],
        body: Envelope,
        response: {
          200: Type.Object({
            stored: Type.Boolean({
              description: "false: this signer's envelope for the request and codeHash was kept before",
            }),
            signer: Address,
          }),
          ...errorResponses(400, 403, 409, 413, 429, 503),
        },
      },
    },
    async (request) => {
      const envelope = verified(request.body)
      const chain = context.chains.evm?.find((reader) => reader.chainId.toString() === envelope.chainId)
      if (!chain) {
        throw new ApiError(`this node does not read EVM chain ${envelope.chainId}.`, {
          code: 'CHAIN_NOT_SERVED',
        })
      }
      // Only admitted workers take a place: keys made up by the thousand could otherwise fill a request's bound.
      const { workerActive } = await readFunctionInfo(chain, envelope.functionId, { worker: envelope.worker })
      if (!workerActive) {
        throw new ApiError(`${envelope.worker} is not an active worker on EVM chain ${envelope.chainId}.`, {
          code: 'WORKER_NOT_ACTIVE',
        })
      }
      const outcome = await withDeadline(context.quorumEnvelopes.add(envelope), context.redisTimeoutMs)
      if (outcome === 'full') {
        throw new ApiError(`this node keeps no more envelopes for request ${envelope.requestId}.`, {
          code: 'ENVELOPES_FULL',
        })
      }
      request.log.debug(
        { requestId: envelope.requestId, signer: envelope.worker, outcome },
        'envelope received',
      )
      return { stored: outcome === 'stored', signer: envelope.worker }
    },
  )

  app.get(
    '/v1/envelopes',
    {
      schema: {
        summary: 'The signed answers this node holds for a quorum request',
        description:
          "Every envelope kept for the request (this node's worker's and those its peers posted), ordered by signer; an empty list when there are none.",
        tags: ['quorum'],
        querystring: EnvelopeQuery,
        response: {
          200: Type.Object({ envelopes: Type.Array(Envelope) }),
          ...errorResponses(400, 429, 503),
        },
      },
    },
    async (request) => ({
      envelopes: await withDeadline(context.quorumEnvelopes.list(request.query), context.redisTimeoutMs),
    }),
  )
}

/** The envelope, parsed and its EVM signature checked against the worker it names; 400 ENVELOPE_INVALID otherwise. */
function verified(body: unknown) {
  try {
    const envelope = parseEnvelope(body)
    if (envelope.family !== 'evm') {
      throw new ApiError('only EVM envelopes are exchanged.', { code: 'ENVELOPE_INVALID' })
    }
    return verifyParsedEnvelope(envelope).envelope
  } catch (error) {
    if (error instanceof EnvelopeError) {
      throw new ApiError(`the envelope is refused: ${error.shortMessage} ${error.details ?? ''}`.trim(), {
        code: 'ENVELOPE_INVALID',
      })
    }
    throw error
  }
}
