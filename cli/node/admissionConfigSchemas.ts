import Type from 'typebox'
import { Address, HttpUrl, SecretReference } from './configTypes.js'

/** The node config's admission sections: `gatekeeper` and `admission` (docs/protocol.md section 5). */
export const TcbStatusName = Type.Union([
  Type.Literal('UpToDate'),
  Type.Literal('SWHardeningNeeded'),
  Type.Literal('ConfigurationNeeded'),
  Type.Literal('ConfigurationAndSWHardeningNeeded'),
  Type.Literal('OutOfDate'),
  Type.Literal('OutOfDateConfigurationNeeded'),
])

/** `gatekeeper`: a k-of-n gatekeeper of the registry (relayer/gatekeeper/startGatekeeper.ts). */
export const Gatekeeper = Type.Object(
  {
    /** The gatekeeper's key: signs `Admission` and `Removal` statements and pays for the submissions it makes. */
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
    /** How often each admitted worker's served quote is judged again (a failing one is removed); 10 min by default. */
    recheckSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 30 * 86_400 })),
    /** Failed rechecks in a row that remove a worker (an unpinned or changed measurement removes at once); 3. */
    removeAfterFailures: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000 })),
    /** The wait, per rank, before a lower-ranked gatekeeper submits instead; 10 s by default. */
    failoverSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 3_600 })),
    pollIntervalMs: Type.Optional(Type.Integer({ minimum: 50, maximum: 600_000 })),
    /** The first block scanned for `AdmissionRequested` (a restarted gatekeeper catches up); the head by default. */
    fromBlock: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
)

/** `admission`: this node's worker asks the gatekeepers for admission, and again before it expires. */
export const Admission = Type.Object(
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
