import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { cryptoWaitReady } from '@polkadot/util-crypto'
import { Type } from 'typebox'
import { EnvelopeError } from '../../runtime/enclave/EnvelopeError.js'
import { type Envelope as EnvelopeType, parseEnvelope } from '../../runtime/enclave/envelope.js'
import { verifyParsedEnvelope } from '../../runtime/enclave/verifyEnvelope.js'
import { ApiError } from '../ApiError.js'
import { readFunctionInfo } from '../readFunctionInfo.js'
import type { ServerContext } from '../ServerContext.js'
import { Address, Bytes32, DecimalChainId, Envelope, errorResponses } from '../schemas.js'
import { withDeadline } from '../withDeadline.js'

/** An envelope's result is bounded by the worker's result limit; this leaves room for the JSON around it. */
export const envelopeBodyLimit = 256 * 1024

const EnvelopeQuery = Type.Object(
  {
    chainId: Type.Union([DecimalChainId, Bytes32], {
      description: 'EVM chain id (decimal), or a Substrate genesis hash (0x-hex)',
    }),
    consumer: Type.Union([
      Address,
      Type.String({ pattern: '^0x(?:[0-9a-fA-F]{2}){1,256}$', description: 'Substrate destination bytes' }),
    ]),
    requestId: Bytes32,
  },
  { additionalProperties: false },
)

/** An EVM address or an sr25519 public key. */
const Signer = Type.String({
  pattern: '^0x(?:[0-9a-fA-F]{40}|[0-9a-fA-F]{64})$',
  description: 'EVM address, or sr25519 public key',
})

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
          "The body is one envelope (EVM or Substrate) exactly as a worker signed it. Kept per (family, chainId, destination, requestId), signer and codeHash, the first such envelope only, at most 32 per request, for an hour. Refused: 400 ENVELOPE_INVALID (malformed, result altered, or the signature does not verify for `worker`), 400 CHAIN_NOT_SERVED (a chain this node does not serve), 403 WORKER_NOT_ACTIVE (EVM: the registry, read through the RPC quorum, does not hold the signer as an active worker; Substrate: the signer is neither in the chain's pinned `resultQuorum.workers` nor this node's worker), 409 ENVELOPES_FULL, 503 CHAIN_UNAVAILABLE.",
        tags: ['quorum'],
        body: Envelope,
        response: {
          200: Type.Object({
            stored: Type.Boolean({
              description: "false: this signer's envelope for the request and codeHash was kept before",
            }),
            signer: Signer,
          }),
          ...errorResponses(400, 403, 409, 413, 429, 503),
        },
      },
    },
    async (request) => {
      const envelope = await verified(request.body)
      // Only admitted workers take a place: keys made up by the thousand could otherwise fill a request's bound.
      if (envelope.family === 'substrate') checkSubstrateSigner(context, envelope)
      else await checkEvmSigner(context, envelope)
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
          "Every envelope kept for the request (this node's worker's and those its peers posted), ordered by signer; an empty list when there are none. A Substrate request is named by its genesis hash (`chainId`), the requesting account (`consumer`, 32 bytes) and its request id.",
        tags: ['quorum'],
        querystring: EnvelopeQuery,
        response: {
          200: Type.Object({ envelopes: Type.Array(Envelope) }),
          ...errorResponses(400, 429, 503),
        },
      },
    },
    async (request) => {
      const family = request.query.chainId.startsWith('0x') ? 'substrate' : 'evm'
      const ref = { ...request.query, family } as const
      return { envelopes: await withDeadline(context.quorumEnvelopes.list(ref), context.redisTimeoutMs) }
    },
  )
}

/** EVM: the registry, read through the RPC quorum, holds the signer as an active worker (403 otherwise). */
async function checkEvmSigner(context: ServerContext, envelope: EnvelopeType): Promise<void> {
  const chain = context.chains.evm?.find((reader) => reader.chainId.toString() === envelope.chainId)
  if (!chain) {
    throw new ApiError(`this node does not read EVM chain ${envelope.chainId}.`, { code: 'CHAIN_NOT_SERVED' })
  }
  const { workerActive } = await readFunctionInfo(chain, envelope.functionId, { worker: envelope.worker })
  if (!workerActive) {
    throw new ApiError(`${envelope.worker} is not an active worker on EVM chain ${envelope.chainId}.`, {
      code: 'WORKER_NOT_ACTIVE',
    })
  }
}

/**
 * Substrate has no registry: the signer must be one of the chain's operator-pinned quorum workers or this node's
 * own worker (403 otherwise), as `functions` are pinned.
 */
function checkSubstrateSigner(context: ServerContext, envelope: EnvelopeType): void {
  const genesis = envelope.chainId.toLowerCase()
  const chain = context.chains.substrate?.find((item) => item.genesisHash.toLowerCase() === genesis)
  if (!chain) {
    throw new ApiError(`this node does not serve Substrate chain ${envelope.chainId}.`, {
      code: 'CHAIN_NOT_SERVED',
    })
  }
  const signer = envelope.worker.toLowerCase()
  const own = context.attestation.publicKeys.sr25519.toLowerCase()
  if (signer !== own && !chain.resultWorkers.some((worker) => worker.toLowerCase() === signer)) {
    throw new ApiError(`${envelope.worker} is not a quorum worker of Substrate chain ${envelope.chainId}.`, {
      code: 'WORKER_NOT_ACTIVE',
    })
  }
}

/** The envelope, parsed and its signature checked against the worker it names; 400 ENVELOPE_INVALID otherwise. */
async function verified(body: unknown): Promise<EnvelopeType> {
  try {
    const envelope = parseEnvelope(body)
    // sr25519 needs the WASM crypto (a no-op once it is loaded).
    if (envelope.family === 'substrate') await cryptoWaitReady()
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
