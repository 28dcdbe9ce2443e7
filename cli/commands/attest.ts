import { hexToBytes } from '../../runtime/bytes.js'
import { AttestationError } from '../../runtime/enclave/AttestationError.js'
import type { MeasurementPins, TcbStatus } from '../../runtime/enclave/verifyAttestation.js'
import { acceptableTcbStatuses } from '../attestation/TrustPolicy.js'
import { exitCodes } from '../exitCodes.js'
import { printJson, printRejection } from '../printJson.js'
import { decodeBinaryOrHex, readInputFile } from '../readInputFile.js'
import { UsageError } from '../UsageError.js'

type AttestVerifyOptions = {
  quote: string
  collateral?: string
  at?: string
  reportData?: string
  allowStatus?: string[]
  allowDev?: boolean
  json?: boolean
} & Partial<Record<'mrtd' | 'rtmr0' | 'rtmr1' | 'rtmr2' | 'rtmr3' | 'mrenclave' | 'mrsigner', string>>

/** `teefn attest verify`: verifies a DCAP quote offline against its collateral. */
export async function attestVerifyAction(options: AttestVerifyOptions): Promise<void> {
  const now = options.at === undefined ? new Date() : new Date(options.at)
  if (Number.isNaN(now.getTime()))
    throw new UsageError(`--at ${options.at} is not an ISO time`, 'e.g. 2025-07-01T00:00:00Z')
  let expectedReportData: Uint8Array | null = null
  if (options.reportData !== undefined) {
    const bytes = hexToBytes(
      options.reportData.startsWith('0x') ? options.reportData : `0x${options.reportData}`,
    )
    if (bytes?.length !== 64) throw new UsageError('--report-data must be 64 bytes of hex')
    expectedReportData = bytes
  }
  for (const status of options.allowStatus ?? []) {
    if (!(acceptableTcbStatuses as readonly string[]).includes(status)) {
      throw new UsageError(
        `--allow-status ${status} is not a TCB status`,
        `use ${acceptableTcbStatuses.join(', ')}`,
      )
    }
  }
  const measurements: MeasurementPins = {}
  for (const name of ['mrtd', 'rtmr0', 'rtmr1', 'rtmr2', 'rtmr3', 'mrenclave', 'mrsigner'] as const) {
    const value = options[name]
    if (value === undefined) continue
    if (!/^(0x)?([0-9a-fA-F]{2})+$/.test(value)) throw new UsageError(`--${name} must be hex`)
    measurements[name] = value
  }
  const quote = decodeBinaryOrHex(await readInputFile(options.quote, 'quote'))
  const collateral =
    options.collateral === undefined
      ? null
      : (await readInputFile(options.collateral, 'collateral')).toString('utf8')
  if (collateral !== null) {
    try {
      JSON.parse(collateral)
    } catch {
      throw new UsageError(`the collateral file ${options.collateral} is not JSON`)
    }
  }

  // Loaded here, not at start-up: the DCAP verifier pulls in ASN.1 and X.509 code other commands do not need.
  const { verifyAttestation } = await import('../../runtime/enclave/verifyAttestation.js')
  const { looksLikeDevQuote } = await import('../../runtime/enclave/devQuote.js')
  if (collateral === null && !looksLikeDevQuote(quote)) {
    throw new UsageError('--collateral is required for a DCAP quote', 'fetch it from a PCCS for this quote')
  }
  try {
    const result = verifyAttestation(quote, collateral, {
      now,
      expectedReportData,
      allowedStatuses: (options.allowStatus as TcbStatus[] | undefined) ?? ['UpToDate'],
      measurements,
      allowDev: options.allowDev === true,
    })
    if (options.json) {
      printJson({ valid: true, ...result, boundKeys: result.boundKeys ?? null })
      return
    }
    const lines = [
      `verified: ${result.kind.toUpperCase()} quote, TCB status ${result.status} at ${result.verifiedAt}`,
      `  advisories: ${result.advisoryIds.length > 0 ? result.advisoryIds.join(', ') : 'none'}`,
      `  report data: ${result.reportData} (${result.reportDataChecked ? 'matches --report-data' : 'not checked: pass --report-data'})`,
      ...Object.entries(result.measurements).map(([name, value]) => `  ${name}: ${value}`),
      '',
    ]
    process.stdout.write(lines.join('\n'))
  } catch (error) {
    if (!(error instanceof AttestationError)) throw error
    printRejection('rejected', error, options.json)
    process.exitCode = exitCodes.failed
  }
}
