import Type from 'typebox'
import { Address, Bytes32, Hex, HttpUrl, RpcQuorum, SecretReference, WsUrl } from './configTypes.js'

/** The node config's chain sections: `evm[]` and `substrate[]`. */
export const EvmChain = Type.Object(
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

export const SubstrateChain = Type.Object(
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
    /**
     * Result quorums on this chain (docs/protocol.md, "6.x Substrate"): with `threshold` k above 1 the node
     * exchanges its worker's envelopes with the top-level `quorum.peers` and one node puts k agreeing ones in one
     * quorum result remark. `workers` is the operator-pinned set whose envelopes count (this node's own worker
     * counts too, listed or not), as `functions` is pinned.
     */
    resultQuorum: Type.Optional(
      Type.Object(
        {
          threshold: Type.Integer({ minimum: 1, maximum: 32 }),
          workers: Type.Array(Hex(32, 'an sr25519 public key'), { maxItems: 32 }),
          /** A request not answered this long after it was seen is given up; 600 by default. */
          timeoutSeconds: Type.Optional(Type.Integer({ minimum: 10, maximum: 86_400 })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
)
