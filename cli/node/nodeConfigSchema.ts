import Type, { type Static } from 'typebox'
import { Admission, Gatekeeper } from './admissionConfigSchemas.js'
import { EvmChain, SubstrateChain } from './chainConfigSchemas.js'
import { Address, SecretReference } from './configTypes.js'

const Positive = Type.Optional(Type.Integer({ minimum: 1 }))
/** The most an HTTP caller may ask for, per sandbox limit (bytes and ms); each at most the operator maximum. */
const HttpMaximumLimits = Type.Object(
  {
    timeoutMs: Positive,
    memoryBytes: Positive,
    stackBytes: Positive,
    resultBytes: Positive,
    logBytes: Positive,
    maxFetches: Positive,
    fetchResponseBytes: Positive,
    fetchTimeoutMs: Positive,
  },
  { additionalProperties: false },
)
/** Per HTTP caller (the API key, or the IP): invocations at once, and CPU time (ms) per window (ms). */
const CallerQuotas = Type.Object(
  {
    concurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 1024 })),
    cpuMs: Type.Optional(Type.Integer({ minimum: 1 })),
    windowMs: Type.Optional(Type.Integer({ minimum: 1_000, maximum: 86_400_000 })),
  },
  { additionalProperties: false },
)

const KiB = 1024
const MiB = 1024 * KiB

/** The most an HTTP caller may ask for per call; the worker's sandbox enforces the same maxima. */
const MaximumLimits = Type.Object(
  {
    timeoutMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 600_000 })),
    memoryBytes: Type.Optional(Type.Integer({ minimum: 1, maximum: 2048 * MiB })),
    stackBytes: Type.Optional(Type.Integer({ minimum: 1, maximum: 256 * KiB })),
    resultBytes: Type.Optional(Type.Integer({ minimum: 1, maximum: 16 * MiB })),
    logBytes: Type.Optional(Type.Integer({ minimum: 1, maximum: 16 * MiB })),
    maxFetches: Type.Optional(Type.Integer({ minimum: 1, maximum: 1024 })),
    fetchResponseBytes: Type.Optional(Type.Integer({ minimum: 1, maximum: 256 * MiB })),
    fetchTimeoutMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 600_000 })),
  },
  { additionalProperties: false },
)

const KeptJobs = Type.Object(
  {
    ageSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 30 * 24 * 3600 })),
    count: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
  },
  { additionalProperties: false },
)

/** What Redis keeps of request jobs (`runtime/queue/jobOptions.ts`, `defaultRetention`). */
const Retention = Type.Object(
  {
    completed: Type.Optional(KeptJobs),
    failed: Type.Optional(KeptJobs),
    eventsMaxLen: Type.Optional(Type.Integer({ minimum: 100, maximum: 1_000_000 })),
    resultBytes: Type.Optional(Type.Integer({ minimum: 1 * KiB, maximum: 16 * MiB })),
    logBytes: Type.Optional(Type.Integer({ minimum: 1 * KiB, maximum: 16 * MiB })),
  },
  { additionalProperties: false },
)

/** The roles a node runs when none are named (`gatekeeper` only when asked for). */
export const nodeRoles = ['api', 'worker', 'relayer'] as const
/** Every role: the three above, and `gatekeeper` (admits workers by quorum; see docs/protocol.md section 5). */
export const allNodeRoles = [...nodeRoles, 'gatekeeper'] as const
export type NodeRole = (typeof allNodeRoles)[number]

export const NodeConfigSchema = Type.Object(
  {
    /** Required by every role but `gatekeeper`, which keeps no queue. */
    redisUrl: Type.Optional(Type.String({ pattern: '^rediss?://' })),
    /**
     * What this process runs: the HTTP API, the TEE worker, the chain relayers (watchers and submitters). All
     * three by default; a fleet splits them across processes that share one Redis.
     */
    roles: Type.Optional(
      Type.Array(
        Type.Union([
          Type.Literal('api'),
          Type.Literal('worker'),
          Type.Literal('relayer'),
          Type.Literal('gatekeeper'),
        ]),
        {
          minItems: 1,
          uniqueItems: true,
        },
      ),
    ),
    gatekeeper: Type.Optional(Gatekeeper),
    admission: Type.Optional(Admission),
    tee: Type.Optional(
      Type.Object(
        {
          provider: Type.Optional(Type.Union([Type.Literal('dstack'), Type.Literal('dev')])),
          devKeyFile: Type.Optional(Type.String({ minLength: 1 })),
          /** What report_data binds besides the keys (e.g. the image digest); hashed into the quote. */
          measurement: Type.Optional(Type.String()),
          /**
           * The node's one worker identity (its admitted address): a worker process whose enclave key differs
           * refuses to start, so no process of a fleet signs with a key the consumers do not accept.
           */
          workerAddress: Type.Optional(Address),
        },
        { additionalProperties: false },
      ),
    ),
    worker: Type.Optional(
      Type.Object(
        {
          threads: Type.Optional(Type.Integer({ minimum: 1, maximum: 256 })),
          /** Sandbox threads HTTP invocations may hold at once; threads - 1 when the node serves a chain, else all. */
          httpThreads: Type.Optional(Type.Integer({ minimum: 1, maximum: 256 })),
          /** Chain requests run at once; one per sandbox thread by default. */
          concurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 1024 })),
          /** HTTP invocations run at once, in their own lane; concurrency - 1 when the node serves a chain, else all. */
          httpConcurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 1024 })),
          allowHosts: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
          /** How long a job stays locked to a worker without renewal: a crashed worker's job moves on after it. */
          lockDurationMs: Type.Optional(Type.Integer({ minimum: 1_000, maximum: 600_000 })),
          /** How long a request (or a delivery) that cannot be answered yet is retried; 3600 s by default. */
          retryHorizonSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 7 * 24 * 3600 })),
          /** Lower than chain requests' by default: 15 s, 64 MiB, 16 fetches of 5 MiB, 256 KiB results and logs. */
          httpMaximumLimits: Type.Optional(HttpMaximumLimits),
          /** Half the worker's httpConcurrency and 30 s of CPU a minute per caller by default; false: none. */
          callerQuotas: Type.Optional(Type.Union([Type.Literal(false), CallerQuotas])),
        },
        { additionalProperties: false },
      ),
    ),
    /**
     * `/healthz` and `/metrics` of a process without the `api` role (a worker or relayer of a fleet), so every
     * process is probed and scraped alike; `teefn node --port` sets it in such a process. None by default.
     */
    ops: Type.Optional(
      Type.Object(
        {
          host: Type.Optional(Type.String({ minLength: 1 })),
          port: Type.Integer({ minimum: 0, maximum: 65535 }),
        },
        { additionalProperties: false },
      ),
    ),
    server: Type.Optional(
      Type.Object(
        {
          host: Type.Optional(Type.String({ minLength: 1 })),
          port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
          apiKeys: Type.Optional(SecretReference),
          metricsToken: Type.Optional(SecretReference),
          /** Requests per caller (IP, or API key) per window; 600 a minute by default, ten times that with a key. */
          rateLimit: Type.Optional(
            Type.Object(
              {
                max: Type.Optional(Type.Integer({ minimum: 1 })),
                timeWindowMs: Type.Optional(Type.Integer({ minimum: 1_000, maximum: 86_400_000 })),
                apiKeyMax: Type.Optional(Type.Integer({ minimum: 1 })),
              },
              { additionalProperties: false },
            ),
          ),
          /** One log line per request (default true). */
          requestLogging: Type.Optional(Type.Boolean()),
          /**
           * The URL callers reach the API at (behind a proxy, the proxy's): owner signatures name its origin, so
           * none made for another node is accepted here. Required when `host` is not a loopback address.
           */
          publicUrl: Type.Optional(Type.String({ pattern: '^https?://[^/?#\\s]+/?$' })),
          /** The most a caller may ask for per call (defaults: `defaultMaximumLimits`). */
          maximumLimits: Type.Optional(MaximumLimits),
          upload: Type.Optional(
            Type.Object(
              {
                /** Only these owners may upload with a signature (operator API keys always may). */
                allowedOwners: Type.Optional(Type.Array(Address, { minItems: 1, maxItems: 10_000 })),
                /** How old an upload signature may be; 300 s by default. */
                maxAgeSeconds: Type.Optional(Type.Integer({ minimum: 10, maximum: 3600 })),
                /** Uploads per caller per rate-limit window; 60 by default. */
                rateLimitMax: Type.Optional(Type.Integer({ minimum: 1 })),
              },
              { additionalProperties: false },
            ),
          ),
          /** Behind a reverse proxy: trust it (true), so many hops, or these addresses / CIDRs for the caller's IP. */
          trustProxy: Type.Optional(
            Type.Union([
              Type.Boolean(),
              Type.Integer({ minimum: 1, maximum: 16 }),
              Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
            ]),
          ),
          /** Browser origins allowed to call the API; CORS is off without it. */
          cors: Type.Optional(
            Type.Object(
              {
                origins: Type.Array(Type.String({ pattern: '^https?://[^/?#\\s]+$' }), { minItems: 1 }),
              },
              { additionalProperties: false },
            ),
          ),
          /** How long the API waits for slow callers (ms): headers, the whole request, silent sockets, keep-alive. */
          timeouts: Type.Optional(
            Type.Object(
              {
                headersMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 300_000 })),
                requestMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 3_600_000 })),
                idleMs: Type.Optional(Type.Integer({ minimum: 1_000, maximum: 3_600_000 })),
                keepAliveMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 600_000 })),
              },
              { additionalProperties: false },
            ),
          ),
          /** Sockets open at once; unlimited by default. */
          maxConnections: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
        },
        { additionalProperties: false },
      ),
    ),
    /**
     * Result quorums (docs/protocol.md, section 6): the other nodes' API base URLs this node sends its signed
     * answers to, and how long the node ranked r for a request waits (r × failoverDelayMs) before it submits the
     * quorum itself. Without peers this node only ever holds its own answer: a k > 1 request stays pending.
     */
    quorum: Type.Optional(
      Type.Object(
        {
          peers: Type.Array(Type.String({ pattern: '^https?://[^?#\\s]+$' }), {
            maxItems: 64,
            uniqueItems: true,
          }),
          /** 5000 ms by default: long enough for a mined transaction to be seen by the others. */
          failoverDelayMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 600_000 })),
          /**
           * How long a node that holds k agreeing answers waits for the other nodes' answers (ended early once all
           * answered), so dissenters are named; 300 ms by default.
           */
          settleMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 60_000 })),
        },
        { additionalProperties: false },
      ),
    ),
    /** What Redis keeps of request jobs, per job and in all; read by the API and the worker. */
    retention: Type.Optional(Retention),
    evm: Type.Optional(Type.Array(EvmChain)),
    substrate: Type.Optional(Type.Array(SubstrateChain)),
  },
  { additionalProperties: false },
)

export type NodeConfig = Static<typeof NodeConfigSchema>
