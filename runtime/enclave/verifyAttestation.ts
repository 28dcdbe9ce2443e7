import { type Collateral, type TcbStatus, type TDReport10, verify } from '@phala/dcap-qvl'
import { bytesEqual, bytesToHex, type Hex, hexToBytes } from '../bytes.js'
import { AttestationError, type AttestationFailureReason } from './AttestationError.js'
import { looksLikeDevQuote, parseDevQuote } from './devQuote.js'
import { computeReportData } from './reportData.js'
import type { WorkerPublicKeys } from './TeeProvider.js'

export type { Collateral, TcbStatus }

/** TDX measurement registers a verifier can pin. */
export const tdxMeasurementNames = ['mrtd', 'rtmr0', 'rtmr1', 'rtmr2', 'rtmr3'] as const
/** SGX measurements a verifier can pin. */
export const sgxMeasurementNames = ['mrenclave', 'mrsigner'] as const

export type MeasurementName = (typeof tdxMeasurementNames)[number] | (typeof sgxMeasurementNames)[number]

/** Pinned measurements: each given one must equal (one of) the value(s), as 0x-hex. */
export type MeasurementPins = Partial<Record<MeasurementName, string | readonly string[]>>

/** What `verifyAttestation` must find in report_data. */
export type ExpectedReportData =
  | Uint8Array
  | Hex
  /** The worker's keys and measurement: report_data is recomputed, and the keys are returned as bound. */
  | { publicKeys: WorkerPublicKeys; measurement: Uint8Array | Hex }
  /** Explicitly skip the check (inspection only: nothing is then known to be bound). */
  | null

export type VerifyAttestationParameters = {
  /** Verification time; collateral must be valid then. Defaults to the real clock. */
  now?: Date
  expectedReportData: ExpectedReportData
  /** TCB statuses accepted; defaults to `['UpToDate']`. */
  allowedStatuses?: readonly TcbStatus[]
  measurements?: MeasurementPins
  /** Accept `dev` attestations (no TEE at all). Off by default: production must never set it. */
  allowDev?: boolean
}

export type VerifyAttestationReturnType = {
  kind: 'tdx' | 'sgx' | 'dev'
  /** The TCB status, or `Dev` for a dev attestation. */
  status: TcbStatus | 'Dev'
  advisoryIds: string[]
  reportData: Hex
  /** The two halves of report_data: sha256(tag || keys) and sha256(measurement). */
  binding: { keysHash: Hex; measurementHash: Hex }
  /** The keys report_data was checked against, when the caller passed them. */
  boundKeys: WorkerPublicKeys | undefined
  /** Whether report_data was compared (false only with `expectedReportData: null`). */
  reportDataChecked: boolean
  /** All measurements of the report (TDX: mrtd, rtmr0-3, mrseam, ...; SGX: mrenclave, mrsigner, ...), 0x-hex. */
  measurements: Record<string, Hex>
  verifiedAt: string
}

/**
 * Verifies an attestation offline: the DCAP quote against its collateral with `@phala/dcap-qvl` (signatures,
 * certificate chains, CRLs, validity at `now`, TCB level), then the TCB status allowlist, report_data and
 * measurement pins. Dev attestations only with `allowDev`. Throws `AttestationError` naming the failed check.
 */
export function verifyAttestation(
  quote: Uint8Array | Hex,
  collateral: Collateral | string | null | undefined,
  parameters: VerifyAttestationParameters,
): VerifyAttestationReturnType {
  const now = parameters.now ?? new Date()
  if (Number.isNaN(now.getTime())) throw new TypeError('verifyAttestation: `now` is not a valid date')
  const allowedStatuses = parameters.allowedStatuses ?? ['UpToDate']
  const quoteBytes = typeof quote === 'string' ? hexToBytes(quote) : quote
  if (!(quoteBytes instanceof Uint8Array) || quoteBytes.length === 0) {
    throw new AttestationError('The quote is empty or not bytes.', { code: 'QUOTE_MALFORMED' })
  }

  if (looksLikeDevQuote(quoteBytes)) {
    if (!parameters.allowDev) {
      throw new AttestationError('This is a dev attestation, made without a TEE.', {
        code: 'DEV_NOT_ALLOWED',
        details: 'the worker runs the dev provider',
        hint: 'Run the worker on dstack for production; only development verifiers may pass allowDev.',
      })
    }
    const reportData = parseDevQuote(quoteBytes)
    if (!reportData)
      throw new AttestationError('The dev attestation is malformed.', { code: 'QUOTE_MALFORMED' })
    if (parameters.measurements && Object.keys(parameters.measurements).length > 0) {
      throw new AttestationError('A dev attestation has no measurements to pin.', {
        code: 'MEASUREMENT_MISMATCH',
        details: `pinned: ${Object.keys(parameters.measurements).join(', ')}`,
      })
    }
    return finish('dev', 'Dev', [], reportData, {}, parameters, now)
  }

  const verified = runDcap(quoteBytes, parseCollateral(collateral), now)
  if (!allowedStatuses.includes(verified.status)) {
    throw new AttestationError('The TCB status is not allowed.', {
      code: 'STATUS_NOT_ALLOWED',
      details: `status ${verified.status}${verified.advisory_ids.length ? ` (advisories ${verified.advisory_ids.join(', ')})` : ''}; allowed: ${allowedStatuses.join(', ')}`,
      hint: 'Update the platform (microcode, TDX module, BIOS) or, knowingly, allow this status.',
    })
  }
  const { kind, reportData, measurements } = readReport(verified.report)
  const result = finish(
    kind,
    verified.status,
    [...verified.advisory_ids],
    reportData,
    measurements,
    parameters,
    now,
  )
  checkPins(kind, measurements, parameters.measurements)
  return result
}

function finish(
  kind: VerifyAttestationReturnType['kind'],
  status: VerifyAttestationReturnType['status'],
  advisoryIds: string[],
  reportData: Uint8Array,
  measurements: Record<string, Hex>,
  parameters: VerifyAttestationParameters,
  now: Date,
): VerifyAttestationReturnType {
  const expected = parameters.expectedReportData
  let boundKeys: WorkerPublicKeys | undefined
  if (expected !== null) {
    let expectedBytes: Uint8Array | undefined
    if (expected instanceof Uint8Array) expectedBytes = expected
    else if (typeof expected === 'string') expectedBytes = hexToBytes(expected)
    else if (expected && typeof expected === 'object') {
      expectedBytes = computeReportData(expected)
      boundKeys = expected.publicKeys
    }
    if (expectedBytes?.length !== 64) {
      throw new TypeError(
        'verifyAttestation: expectedReportData must be 64 bytes, keys and a measurement, or null',
      )
    }
    if (!bytesEqual(expectedBytes, reportData)) {
      throw new AttestationError('The quote binds other report data than expected.', {
        code: 'REPORT_DATA_MISMATCH',
        details: `quote ${bytesToHex(reportData)}, expected ${bytesToHex(expectedBytes)}`,
        hint: 'The quote was made for other worker keys or another runtime measurement.',
      })
    }
  }
  return {
    kind,
    status,
    advisoryIds,
    reportData: bytesToHex(reportData),
    binding: {
      keysHash: bytesToHex(reportData.subarray(0, 32)),
      measurementHash: bytesToHex(reportData.subarray(32, 64)),
    },
    boundKeys,
    reportDataChecked: expected !== null,
    measurements,
    verifiedAt: now.toISOString(),
  }
}

type DcapReport = ReturnType<typeof verify>

function runDcap(quote: Uint8Array, collateral: Collateral, now: Date): DcapReport {
  try {
    return verify(Buffer.from(quote), collateral, Math.floor(now.getTime() / 1000))
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : ''
    const reason = classify(message)
    throw new AttestationError(shortMessages[reason], {
      code: reason,
      details: `${message}${cause}`.slice(0, 500),
      hint: hints[reason],
    })
  }
}

// dcap-qvl reports failures as plain Errors; their messages are the only signal of which check failed.
const classifiers: [RegExp, AttestationFailureReason][] = [
  [/TCB status is invalid|No matching TCB level/i, 'STATUS_NOT_ALLOWED'],
  [/Certificate is revoked/i, 'CERTIFICATE_REVOKED'],
  [/expired|not yet valid|issue date is in the future/i, 'COLLATERAL_EXPIRED'],
  [
    /Failed to decode quote|Unsupported DCAP (quote version|TEE type|attestation key type|PCK cert format)|must have version|Not enough data|Unsupported (auth data|body type|quote version|cert type)|Invalid tee type|Invalid TEE type/i,
    'QUOTE_MALFORMED',
  ],
  [
    /ISV enclave report signature is invalid|qe_report in quote|QE report hash mismatch|^QE [A-Z]+ mismatch|QE ISVSVN/i,
    'SIGNATURE_INVALID',
  ],
  [/Debug mode|Reserved bits|SEPT_VE_DISABLE|mr service td/i, 'DEBUG_OR_INSECURE_ATTRIBUTES'],
]

function classify(message: string): AttestationFailureReason {
  for (const [pattern, reason] of classifiers) if (pattern.test(message)) return reason
  // Everything else is about the collateral: its signatures, chains, CRLs, TCB info or platform match.
  return 'COLLATERAL_INVALID'
}

const shortMessages: Record<AttestationFailureReason, string> = {
  QUOTE_MALFORMED: 'The quote is malformed or of an unsupported kind.',
  SIGNATURE_INVALID: 'The quote signature is invalid.',
  COLLATERAL_INVALID: 'The collateral does not verify.',
  COLLATERAL_EXPIRED: 'The collateral is not valid at the verification time.',
  CERTIFICATE_REVOKED: 'A certificate of the quote or collateral is revoked.',
  STATUS_NOT_ALLOWED: 'The TCB status is not allowed.',
  DEBUG_OR_INSECURE_ATTRIBUTES: 'The TEE runs in debug mode or with insecure attributes.',
  REPORT_DATA_MISMATCH: 'The quote binds other report data than expected.',
  MEASUREMENT_MISMATCH: 'A measurement differs from its pinned value.',
  DEV_NOT_ALLOWED: 'This is a dev attestation, made without a TEE.',
}

const hints: Partial<Record<AttestationFailureReason, string>> = {
  SIGNATURE_INVALID: 'The quote was altered or was not produced by a genuine Intel quoting enclave.',
  COLLATERAL_INVALID:
    'Fetch the collateral for this quote again from a PCCS (it was altered or is for another platform).',
  COLLATERAL_EXPIRED:
    'Fetch fresh collateral from a PCCS, or verify at a time when this collateral was valid (--at).',
  QUOTE_MALFORMED: 'Pass the raw quote bytes (binary, or hex text).',
}

function parseCollateral(collateral: Collateral | string | null | undefined): Collateral {
  let value: unknown = collateral
  if (typeof collateral === 'string') {
    try {
      value = JSON.parse(collateral)
    } catch {
      throw new AttestationError('The collateral is not JSON.', { code: 'COLLATERAL_INVALID' })
    }
  }
  const required = [
    'pck_crl_issuer_chain',
    'root_ca_crl',
    'pck_crl',
    'tcb_info_issuer_chain',
    'tcb_info',
    'tcb_info_signature',
    'qe_identity_issuer_chain',
    'qe_identity',
    'qe_identity_signature',
  ]
  if (typeof value !== 'object' || value === null) {
    throw new AttestationError('No collateral was given for a DCAP quote.', {
      code: 'COLLATERAL_INVALID',
      hint: 'Fetch the collateral for the quote from a PCCS (getCollateral in @phala/dcap-qvl).',
    })
  }
  const missing = required.filter((name) => !(name in value))
  if (missing.length > 0) {
    throw new AttestationError('The collateral is incomplete.', {
      code: 'COLLATERAL_INVALID',
      details: `missing ${missing.join(', ')}`,
    })
  }
  return value as Collateral
}

function readReport(report: DcapReport['report']): {
  kind: 'tdx' | 'sgx'
  reportData: Uint8Array
  measurements: Record<string, Hex>
} {
  const sgx = report.asSgx()
  if (sgx) {
    return {
      kind: 'sgx',
      reportData: Uint8Array.from(sgx.reportData),
      measurements: {
        mrenclave: bytesToHex(sgx.mrEnclave),
        mrsigner: bytesToHex(sgx.mrSigner),
        isvprodid: bytesToHex(Uint8Array.of(sgx.isvProdId >> 8, sgx.isvProdId & 0xff)),
        isvsvn: bytesToHex(Uint8Array.of(sgx.isvSvn >> 8, sgx.isvSvn & 0xff)),
        attributes: bytesToHex(sgx.attributes),
      },
    }
  }
  const td: TDReport10 | null = report.asTd10() ?? report.asTd15()?.base ?? null
  if (!td)
    throw new AttestationError('The quote has neither an SGX nor a TDX report.', { code: 'QUOTE_MALFORMED' })
  return {
    kind: 'tdx',
    reportData: Uint8Array.from(td.reportData),
    measurements: {
      mrtd: bytesToHex(td.mrTd),
      rtmr0: bytesToHex(td.rtMr0),
      rtmr1: bytesToHex(td.rtMr1),
      rtmr2: bytesToHex(td.rtMr2),
      rtmr3: bytesToHex(td.rtMr3),
      mrseam: bytesToHex(td.mrSeam),
      mrsignerseam: bytesToHex(td.mrSignerSeam),
      mrconfigid: bytesToHex(td.mrConfigId),
      mrowner: bytesToHex(td.mrOwner),
      mrownerconfig: bytesToHex(td.mrOwnerConfig),
      tdattributes: bytesToHex(td.tdAttributes),
      xfam: bytesToHex(td.xfam),
      teetcbsvn: bytesToHex(td.teeTcbSvn),
    },
  }
}

function checkPins(
  kind: 'tdx' | 'sgx',
  measurements: Record<string, Hex>,
  pins: MeasurementPins | undefined,
) {
  if (!pins) return
  const own: readonly string[] = kind === 'tdx' ? tdxMeasurementNames : sgxMeasurementNames
  for (const [name, wanted] of Object.entries(pins)) {
    if (wanted === undefined) continue
    const allowed = (typeof wanted === 'string' ? [wanted] : wanted).map((value) =>
      value.toLowerCase().replace(/^(?!0x)/, '0x'),
    )
    if (!own.includes(name)) {
      throw new AttestationError(`${name} is pinned, but a ${kind.toUpperCase()} quote has no ${name}.`, {
        code: 'MEASUREMENT_MISMATCH',
        details: `${kind} quotes carry ${own.join(', ')}`,
      })
    }
    const actual = measurements[name]!
    if (!allowed.includes(actual)) {
      throw new AttestationError(`${name} differs from its pinned value.`, {
        code: 'MEASUREMENT_MISMATCH',
        details: `quote ${name} ${actual}, pinned ${allowed.join(' or ')}`,
        hint: 'The worker runs other code or another image than the one pinned.',
      })
    }
  }
}
