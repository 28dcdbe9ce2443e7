import type { Attestation, Overview } from './apiTypes.js'
import { element, replaceRows, shortHex } from './element.js'

/** The worker's attestation: provider, addresses, measurement, report data, quote size. */
export function renderWorker(attestation: Attestation): void {
  const entries: [string, string, Node | string][] = [
    [
      'provider',
      'worker-provider',
      attestation.provider === 'dev' ? 'dev (not a TEE: NOT-A-TEE quote)' : 'dstack (TDX)',
    ],
    ['worker address', 'worker-address', attestation.publicKeys.evmAddress],
    ['sr25519', 'worker-sr25519', attestation.publicKeys.sr25519],
    ['measurement', 'worker-measurement', attestation.measurement],
    ['report data', 'worker-report-data', attestation.reportData],
    ['quote', 'worker-quote', `${(attestation.quote.length - 2) / 2} bytes`],
  ]
  document
    .getElementById('worker')!
    .replaceChildren(
      ...entries.flatMap(([name, id, value]) => [element('dt', {}, name), element('dd', { id }, value)]),
    )
}

/** The worker's admission on each chain the node reads. */
export function renderAdmissions(workers: Overview['workers']): void {
  replaceRows(
    'admissions',
    workers.map((admission) =>
      element(
        'tr',
        { 'data-chain-id': admission.chainId },
        element('td', {}, admission.chainId),
        element('td', {}, shortHex(admission.registry, 12)),
        admission.error !== undefined
          ? element('td', { class: 'admission inactive' }, `unknown: ${admission.error}`)
          : element(
              'td',
              { class: `admission ${admission.active ? 'active' : 'inactive'}` },
              admission.active ? 'admitted' : admission.expiresAt ? 'expired' : 'not admitted',
            ),
        element('td', { class: 'admission-expires' }, expiryOf(admission.expiresAt)),
        element('td', { class: 'admission-attestation' }, shortHex(admission.attestationHash, 18)),
      ),
    ),
  )
}

/** Both lanes' queue counts and latency percentiles. */
export function renderQueues(overview: Overview): void {
  replaceRows(
    'queues',
    (['chain', 'http'] as const).map((name) => {
      const lane = overview.lanes[name]
      const { counts, latency } = lane
      return element(
        'tr',
        { 'data-lane': name },
        element('td', {}, name),
        element('td', { class: 'count-waiting' }, counts.waiting),
        element('td', { class: 'count-active' }, counts.active),
        element('td', { class: 'count-delayed' }, counts.delayed),
        element('td', { class: 'count-completed' }, counts.completed),
        element('td', { class: 'count-failed' }, counts.failed),
        element('td', {}, latency ? `${latency.queuedMs.p50} / ${latency.queuedMs.p95} ms` : 'operator key'),
        element('td', {}, latency ? `${latency.runMs.p50} / ${latency.runMs.p95} ms` : 'operator key'),
      )
    }),
  )
}

/** An admission's end, as a date and how far away it is. */
function expiryOf(expiresAt: number | undefined): string {
  if (!expiresAt) return '—'
  const days = (expiresAt * 1000 - Date.now()) / 86_400_000
  const amount =
    Math.abs(days) >= 1 ? `${Math.round(Math.abs(days))} days` : `${Math.round(Math.abs(days) * 24)} hours`
  return `${new Date(expiresAt * 1000).toISOString()} (${days >= 0 ? `in ${amount}` : `${amount} ago`})`
}
