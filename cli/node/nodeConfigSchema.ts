import Type, { type Static } from 'typebox'

const Hex = (bytes: number, description: string) =>
  Type.String({ pattern: `^0x[0-9a-fA-F]{${bytes * 2}}$`, description })
const Address = Hex(20, 'an EVM address')
const Bytes32 = Hex(32, '32 bytes as 0x-hex')
/** A secret is never written in the file itself: `env:NAME` reads the environment variable NAME. */
const SecretReference = Type.String({
  pattern: '^env:[A-Za-z_][A-Za-z0-9_]*$',
  description: 'env:VARIABLE_NAME',
})

const HttpUrl = Type.String({ pattern: '^https?://' })
const WsUrl = Type.String({ pattern: '^wss?://' })
/** How many of the worker's endpoints must agree; 1 trusts any single one (refused unless written out). */
const RpcQuorum = Type.Integer({ minimum: 1, maximum: 16 })

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

const EvmChain = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1 })),
    chainId: Type.Integer({ minimum: 1 }),
    /** The relayer's endpoint (watcher backfill, transactions). */
    rpcUrl: HttpUrl,
    wsUrl: WsUrl,
    /** The endpoints the worker reads requests and the registry from; `[rpcUrl]` by default. */
    rpcUrls: Type.Optional(Type.Array(HttpUrl, { minItems: 1, maxItems: 16 })),
    /** How many of `rpcUrls` must agree; a majority by default. */
    rpcQuorum: Type.Optional(RpcQuorum),
    registry: Address,
    /** An allow-list of consumers; left out, every consumer the registry holds as registered is served. */
    consumers: Type.Optional(Type.Array(Address, { minItems: 1 })),
    /** Consumers never served, registered or not. */
    denyConsumers: Type.Optional(Type.Array(Address)),
    /**
     * `TeefnPhatAttestor` contracts (contracts/src/compat) whose Phat anchors this node relays for: each queued
     * message is sent to the function with `relay(index)`, paid by `submitterKey`.
     */
    phatAttestors: Type.Optional(Type.Array(Address, { minItems: 1 })),
    confirmations: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
    /** Where the watcher starts when Redis has no checkpoint yet. */
    fromBlock: Type.Optional(Type.Integer({ minimum: 0 })),
    /** The key that pays for fulfilments; without it this process's relayer only watches. */
    submitterKey: Type.Optional(SecretReference),
    /** Watcher timing (defaults suit most chains): head polling, WebSocket liveness probe. */
    watching: Type.Optional(
      Type.Object(
        {
          pollIntervalMs: Type.Optional(Type.Integer({ minimum: 50, maximum: 600_000 })),
          heartbeatIntervalMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 600_000 })),
          heartbeatTimeoutMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 600_000 })),
        },
        { additionalProperties: false },
      ),
    ),
    /** Submitter batching (defaults suit most chains): envelopes per transaction, transactions in flight, window. */
    batching: Type.Optional(
      Type.Object(
        {
          maxBatchSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
          maxInFlight: Type.Optional(Type.Integer({ minimum: 1, maximum: 64 })),
          batchWindowMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 60_000 })),
        },
        { additionalProperties: false },
      ),
    ),
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

const SubstrateChain = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1 })),
    /** The relayer's endpoint. */
    wsUrl: WsUrl,
    /** The chain's genesis hash; needed by a worker that runs without this chain's relayer. */
    genesisHash: Type.Optional(Bytes32),
    /** The endpoints the worker reads requests from; `[wsUrl]` by default. */
    wsUrls: Type.Optional(Type.Array(WsUrl, { minItems: 1, maxItems: 16 })),
    /** How many of `wsUrls` must agree; a majority by default. */
    rpcQuorum: Type.Optional(RpcQuorum),
    heads: Type.Optional(Type.Union([Type.Literal('best'), Type.Literal('finalized')])),
    /** The account (a secret URI such as a mnemonic or //Alice) that pays for result remarks. */
    submitterUri: SecretReference,
    /** The operator-pinned registry: functionId -> codeHash. */
    functions: Type.Record(Type.String({ pattern: '^0x[0-9a-fA-F]{64}$' }), Bytes32),
  },
  { additionalProperties: false },
)

/** The roles a node runs when none are named (`gatekeeper` only when asked for). */
export const nodeRoles = ['api', 'worker', 'relayer'] as const
/** Every role: the three above, and `gatekeeper` (admits workers by quorum; see docs/protocol.md section 5). */
export const allNodeRoles = [...nodeRoles, 'gatekeeper'] as const
export type NodeRole = (typeof allNodeRoles)[number]

const TcbStatusName = Type.Union([
  Type.Literal('UpToDate'),
  Type.Literal('SWHardeningNeeded'),
  Type.Literal('ConfigurationNeeded'),
  Type.Literal('ConfigurationAndSWHardeningNeeded'),
  Type.Literal('OutOfDate'),
  Type.Literal('OutOfDateConfigurationNeeded'),
])

/** `gatekeeper`: a k-of-n gatekeeper of the registry (relayer/gatekeeper/startGatekeeper.ts). */
const Gatekeeper = Type.Object(
  {
    /** The gatekeeper's key: signs `Admission` statements and pays for the submissions it makes. */
    key: SecretReference,
    /** The chain and registry; `evm[0]`'s by default. */
    rpcUrl: Type.Optional(HttpUrl),
    registry: Type.Optional(Address),
    confirmations: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
    /** TCB statuses accepted; `['UpToDate']` by default. */
    tcbStatus: Type.Optional(Type.Array(TcbStatusName, { minItems: 1, uniqueItems: true })),
    /** Sign admissions of dev attestations (no TEE): tests only; refused in production mode. */
    allowDev: Type.Optional(Type.Boolean()),
    /** A file holding the DCAP collateral (JSON, from a PCCS) quotes are verified against. */
    collateralFile: Type.Optional(Type.String({ minLength: 1 })),
    /** The other gatekeepers' API base URLs (`http://host:port`). */
    peers: Type.Optional(Type.Array(HttpUrl, { maxItems: 31 })),
    host: Type.Optional(Type.String({ minLength: 1 })),
    port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
    /** How long an admission lasts; every gatekeeper of the set must use the same value. 7 days by default. */
    admissionSeconds: Type.Optional(Type.Integer({ minimum: 60, maximum: 365 * 86_400 })),
    /** How long signatures stay usable after the request; 1 hour by default (same value everywhere). */
    deadlineSeconds: Type.Optional(Type.Integer({ minimum: 10, maximum: 30 * 86_400 })),
    /** The wait, per rank, before a lower-ranked gatekeeper submits instead; 10 s by default. */
    failoverSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 3_600 })),
    pollIntervalMs: Type.Optional(Type.Integer({ minimum: 50, maximum: 600_000 })),
    /** The first block scanned for `AdmissionRequested` (a restarted gatekeeper catches up); the head by default. */
    fromBlock: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
)

/** `admission`: this node's worker asks the gatekeepers for admission, and again before it expires. */
const Admission = Type.Object(
  {
    /** Where gatekeepers fetch the quote: this node's public `.../v1/attestation`. */
    quoteUrl: HttpUrl,
    rpcUrl: Type.Optional(HttpUrl),
    registry: Type.Optional(Address),
    /** Ask again this long before the admission expires; 1 day by default. */
    reattestBeforeSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 30 * 86_400 })),
    /** Ask again after this long when a request was not answered; 10 minutes by default. */
    retrySeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400 })),
    pollIntervalMs: Type.Optional(Type.Integer({ minimum: 50, maximum: 600_000 })),
  },
  { additionalProperties: false },
)

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
          /** How long a node that holds k agreeing answers waits for late ones before it ranks; 300 ms by default. */
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
