import type { FunctionMetadata, JobDetails, ListedJob } from './apiTypes.js'
import { element, replaceRows, shortHex } from './element.js'
import type { EnvelopeVerdict } from './verifyEnvelopeSignature.js'

export type ShownJob = { listed: ListedJob; details?: JobDetails; verdict?: EnvelopeVerdict }

/** The jobs table: short id, state, function, timings, delivery with its transaction, envelope verification. */
export function renderJobs(jobs: readonly ShownJob[]): void {
  replaceRows(
    'jobs',
    jobs.map(({ listed, details, verdict }) => {
      const delivery = details?.delivery
      const row = element(
        'tr',
        { 'data-job-id': listed.jobId, 'data-trigger': listed.trigger, 'data-state': listed.state },
        element('td', { class: 'mono job-short-id', title: listed.jobId }, listed.shortId),
        element('td', {}, listed.trigger),
        element('td', { class: `job-state state-${listed.state}` }, details?.state ?? listed.state),
        element('td', {}, shortHex(isZero(listed.functionId) ? listed.codeHash : listed.functionId)),
        element('td', {}, new Date(listed.queuedAt).toLocaleTimeString()),
        element('td', {}, details?.timings.runMs ?? '—'),
        element(
          'td',
          {
            class: `job-delivery${delivery ? ` delivery-${delivery.state}` : ''}`,
            title: delivery?.reason ?? '',
          },
          delivery ? delivery.state : '—',
        ),
        element(
          'td',
          { class: 'mono job-transaction' },
          delivery?.transactionHash ?? '—',
          delivery?.blockNumber !== undefined ? ` (block ${delivery.blockNumber})` : undefined,
        ),
        envelopeCell(details, verdict),
      )
      return row
    }),
  )
}

function envelopeCell(details: JobDetails | undefined, verdict: EnvelopeVerdict | undefined) {
  if (!details?.envelope || !verdict) return element('td', { class: 'job-envelope muted' }, '—')
  if (verdict.verified === true) {
    return element('td', { class: 'job-envelope verified', title: `signed by ${verdict.signer}` }, 'verified')
  }
  if (verdict.verified === false) {
    return element(
      'td',
      { class: 'job-envelope not-verified', title: verdict.reason },
      `not verified: ${verdict.reason}`,
    )
  }
  return element('td', { class: 'job-envelope muted', title: verdict.reason }, 'not checked here')
}

/** The functions the listed jobs ran: codeHash, functionIds, bundle size, owner, upload time, job count. */
export function renderFunctions(
  jobs: readonly ShownJob[],
  metadata: ReadonlyMap<string, FunctionMetadata | null>,
) {
  const byCode = new Map<string, { functionIds: Set<string>; jobs: number }>()
  for (const { listed, details } of jobs) {
    const codeHash = listed.codeHash ?? details?.codeHash ?? details?.envelope?.codeHash
    if (!codeHash) continue
    const entry = byCode.get(codeHash) ?? { functionIds: new Set(), jobs: 0 }
    if (!isZero(listed.functionId)) entry.functionIds.add(listed.functionId)
    entry.jobs++
    byCode.set(codeHash, entry)
  }
  replaceRows(
    'functions',
    [...byCode].map(([codeHash, entry]) => {
      const meta = metadata.get(codeHash)
      return element(
        'tr',
        { 'data-code-hash': codeHash },
        element('td', {}, shortHex(codeHash, 18)),
        element('td', { class: 'wrap' }, ...[...entry.functionIds].flatMap((id) => [shortHex(id), ' '])),
        element('td', {}, meta ? meta.bytes : '—'),
        element('td', {}, shortHex(meta?.owner, 12)),
        element(
          'td',
          {},
          meta ? new Date(meta.uploadedAt).toLocaleString() : meta === null ? 'not stored' : '—',
        ),
        element('td', {}, entry.jobs),
      )
    }),
  )
}

/** The codeHashes of the shown jobs, for their metadata. */
export function codeHashesOf(jobs: readonly ShownJob[]): string[] {
  const hashes = jobs.map(({ listed, details }) => listed.codeHash ?? details?.envelope?.codeHash)
  return [...new Set(hashes.filter((hash): hash is string => hash !== undefined))]
}

function isZero(hex: string): boolean {
  return /^0x0*$/.test(hex)
}
