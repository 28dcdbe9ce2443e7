import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { computeCodeHash } from '../../runtime/store/computeCodeHash.js'
import { maxBundleBytes } from '../../runtime/store/limits.js'
import { ApiError } from '../ApiError.js'
import { apiKeyHeader } from '../apiKeys.js'
import type { ServerContext } from '../ServerContext.js'
import { Address, Bytes32, errorResponses, flagSet, QueryFlag } from '../schemas.js'
import { authorizeUpload } from '../uploadAuthorization.js'
import { ownerHeader, signatureHeader, timestampHeader } from '../uploadMessage.js'
import { checkBundleText, validateBundle } from '../validateBundle.js'
import { withDeadline } from '../withDeadline.js'

/** JSON carries the bundle as a string (escapes make it longer than its bytes); raw uploads are the bytes. */
export const uploadBodyLimit = Math.ceil(maxBundleBytes * 1.5)

const FunctionMetadata = {
  codeHash: Bytes32,
  bytes: Type.Integer({ description: 'size of the bundle in bytes' }),
  owner: Type.Optional(Address),
  uploadedAt: Type.Integer({ description: 'ms since epoch' }),
}

const UploadHeaders = Type.Object({
  [apiKeyHeader]: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
  [ownerHeader]: Type.Optional(Address),
  [timestampHeader]: Type.Optional(Type.String({ pattern: '^[0-9]{1,12}$', description: 'unix seconds' })),
  [signatureHeader]: Type.Optional(Type.String({ pattern: '^0x[0-9a-fA-F]{130}$', description: '65 bytes' })),
})

// No type keyword: the parsed body is a Buffer, checked as UTF-8 in the handler.
const RawBundle = Type.Unsafe<Buffer>({ description: 'the bundle bytes (UTF-8 JavaScript)' })

const uploadDescription = `Uploads a bundled function (one ES module whose default export is main(request, secrets, context), at most ${maxBundleBytes} bytes). It is stored under its codeHash, keccak256 of its UTF-8 bytes; uploading the same bytes again changes nothing (200 instead of 201).

Send the bundle as JSON \`{ "code": "<module text>" }\` or raw with Content-Type application/javascript.

Authorization, one of:
- the owner's signature: \`${ownerHeader}\` (the owner's address), \`${timestampHeader}\` (unix seconds) and \`${signatureHeader}\`, an EIP-191 personal_sign signature by the owner of the text \`teefn upload <codeHash, lowercase 0x-hex> at <timestamp> to <node origin>\`, where the node origin is the scheme, host and port of the URL the node is reached at (e.g. \`https://teefn.example.com\`): a signature made for another node is refused. The timestamp must be at most 5 minutes old and at most 30 s in the future; the owner is recorded, and must be one the node allows when it lists them.
- an operator API key in \`${apiKeyHeader}\` (an optional \`${ownerHeader}\` is recorded as the owner, unchecked).

Refused with nothing stored: over 1 MiB (413), nested deeper than the limit (400 BUNDLE_TOO_DEEP, checked before any parser sees it), not UTF-8, a syntax error, not an ES module, imports left unbundled, no default export or one that is not a function (400), a missing, wrong, stale or other node's signature or a wrong API key (401), an owner the server does not allow (403), the bundle analyzer down (503 ANALYZER_UNAVAILABLE, retry).`

/** `POST /v1/functions` and `GET /v1/functions/:codeHash`: the function registry. */
export const functionsPlugin: FastifyPluginAsyncTypebox<{ context: ServerContext }> = async (
  app,
  { context },
) => {
  // Raw uploads: the bundle's bytes exactly, checked as UTF-8 below.
  for (const type of ['application/javascript', 'text/javascript']) {
    app.addContentTypeParser(
      type,
      { parseAs: 'buffer', bodyLimit: uploadBodyLimit },
      (_request, body, done) => done(null, body),
    )
  }

  app.post(
    '/v1/functions',
    {
      bodyLimit: uploadBodyLimit,
      config:
        context.upload.rateLimitMax === undefined ? {} : { rateLimit: { max: context.upload.rateLimitMax } },
      schema: {
        summary: 'Upload a function bundle',
        description: uploadDescription,
        tags: ['functions'],
        security: [{ ownerSignature: [], ownerAddress: [], signedTimestamp: [] }, { apiKey: [] }],
        headers: UploadHeaders,
        body: {
          content: {
            'application/json': {
              schema: Type.Object(
                { code: Type.String({ description: 'the bundle: one ES module, UTF-8 text' }) },
                { additionalProperties: false },
              ),
            },
            'application/javascript': { schema: RawBundle },
            'text/javascript': { schema: RawBundle },
          },
        },
        response: {
          200: Type.Object({ ...FunctionMetadata, created: Type.Literal(false) }),
          201: Type.Object({ ...FunctionMetadata, created: Type.Literal(true) }),
          ...errorResponses(400, 401, 403, 413, 415, 429, 503),
        },
      },
    },
    async (request, reply) => {
      const code = bundleText(request.body as unknown)
      checkBundleText(code)
      const codeHash = computeCodeHash(code)
      const presentedKey = request.headers[apiKeyHeader]
      const authorization = authorizeUpload({
        codeHash,
        headers: {
          owner: request.headers[ownerHeader],
          timestamp: request.headers[timestampHeader],
          signature: request.headers[signatureHeader],
        },
        apiKey: context.matchApiKey(presentedKey),
        apiKeyPresented: presentedKey !== undefined,
        policy: context.upload,
        origins: context.origins(),
      })
      await validateBundle({ code, codeHash, probe: context.probe, analyzer: context.analyzer })
      const stored = await withDeadline(
        context.store.putFunction(code, { owner: authorization.owner }),
        context.redisTimeoutMs,
      )
      // A bundle uploaded before keeps its first owner and time: read them back only then.
      const saved = stored.created
        ? { owner: authorization.owner, uploadedAt: Date.now() }
        : await withDeadline(context.store.getFunction(stored.codeHash), context.redisTimeoutMs)
      request.log.info(
        { codeHash, created: stored.created, method: authorization.method, owner: authorization.owner },
        'function uploaded',
      )
      const metadata = {
        codeHash: stored.codeHash,
        bytes: Buffer.byteLength(code),
        ...(saved?.owner ? { owner: saved.owner } : {}),
        uploadedAt: saved?.uploadedAt ?? Date.now(),
      }
      if (!stored.created) return reply.status(200).send({ ...metadata, created: false as const })
      return reply.status(201).send({ ...metadata, created: true as const })
    },
  )

  app.get(
    '/v1/functions/:codeHash',
    {
      schema: {
        summary: "A function's metadata, and its bundle on request",
        tags: ['functions'],
        params: Type.Object({ codeHash: Bytes32 }),
        querystring: Type.Object(
          { code: Type.Optional(QueryFlag) },
          { additionalProperties: false, description: '?code=true includes the bundle text' },
        ),
        response: {
          200: Type.Object({ ...FunctionMetadata, code: Type.Optional(Type.String()) }),
          ...errorResponses(400, 404, 429, 503),
        },
      },
    },
    async (request) => {
      const found = await withDeadline(
        context.store.getFunction(request.params.codeHash as `0x${string}`),
        context.redisTimeoutMs,
      )
      if (!found) throw functionNotFound(request.params.codeHash)
      return {
        codeHash: found.codeHash,
        bytes: Buffer.byteLength(found.code),
        ...(found.owner ? { owner: found.owner } : {}),
        uploadedAt: found.uploadedAt,
        ...(flagSet(request.query.code) ? { code: found.code } : {}),
      }
    },
  )
}

export function functionNotFound(codeHash: string): ApiError {
  return new ApiError(`no function with codeHash ${codeHash.toLowerCase()} was uploaded.`, {
    code: 'FUNCTION_NOT_FOUND',
    hint: 'Upload it first: teefn deploy <entry> --server <url>.',
  })
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

function bundleText(body: unknown): string {
  if (Buffer.isBuffer(body)) {
    if (body.byteLength > maxBundleBytes) return body.toString('latin1') // refused as too large by validateBundle
    try {
      return utf8.decode(body)
    } catch {
      throw new ApiError('the bundle is not valid UTF-8 text.', { code: 'BUNDLE_NOT_UTF8' })
    }
  }
  if (typeof body === 'object' && body !== null && typeof (body as { code?: unknown }).code === 'string') {
    return (body as { code: string }).code
  }
  // Another type fastify parses itself (text/plain): the bundle is not where the API looks for it.
  throw new ApiError(
    'send the bundle as application/json { "code": "..." } or raw as application/javascript.',
    { code: 'UNSUPPORTED_MEDIA_TYPE' },
  )
}
