import { bytesToHex, type Hex, hexToBytes } from '../bytes.js'
import { computeReportData } from './reportData.js'
import type { TeeKind, TeeProvider, WorkerPublicKeys } from './TeeProvider.js'

export type WorkerAttestation = {
  kind: TeeKind
  quote: Hex
  reportData: Hex
  publicKeys: WorkerPublicKeys
  measurement: Hex
  eventLog?: string
}

export type AttestWorkerParameters = {
  provider: Pick<TeeProvider, 'publicKeys' | 'quote'>
  /** The runtime measurement the quote vouches for (e.g. the worker image digest or bundle hash). */
  measurement: Uint8Array | Hex
}

/**
 * Quotes the worker's identity: report_data = computeReportData({ publicKeys, measurement }). The JSON
 * result is what an admitter verifies (with `verifyAttestation` and `expectedReportData: { publicKeys, measurement }`).
 */
export async function attestWorker({
  provider,
  measurement,
}: AttestWorkerParameters): Promise<WorkerAttestation> {
  const measurementBytes = typeof measurement === 'string' ? hexToBytes(measurement) : measurement
  const reportData = computeReportData({ publicKeys: provider.publicKeys, measurement: measurement })
  const quote = await provider.quote(reportData)
  return {
    kind: quote.kind,
    quote: bytesToHex(quote.quote),
    reportData: bytesToHex(reportData),
    publicKeys: provider.publicKeys,
    measurement: bytesToHex(measurementBytes!),
    ...(quote.eventLog !== undefined ? { eventLog: quote.eventLog } : {}),
  }
}
