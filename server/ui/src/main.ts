import type { Attestation, FunctionMetadata, JobDetails, ListedJob, Overview } from './apiTypes.js'
import { drawBarChart } from './drawBarChart.js'
import { drawLineChart } from './drawLineChart.js'
import { ApiRefusal, fetchApi } from './fetchApi.js'
import { readOperatorKey, writeOperatorKey } from './operatorKey.js'
import { codeHashesOf, renderFunctions, renderJobs, type ShownJob } from './renderJobs.js'
import { renderAdmissions, renderQueues, renderWorker } from './renderWorker.js'
import { verifyEnvelopeSignature } from './verifyEnvelopeSignature.js'

// The dashboard: reads the node's own API every few seconds and draws it. Nothing else is contacted.

const refreshMs = 4_000
const historyLength = 60
const finalDeliveries = new Set(['delivered', 'already_delivered', 'refused'])
// A job still on its way is read again at most this often: 50 of them stay well inside the API's rate limit.
const unsettledRereadMs = 12_000

const depthHistory = { chain: [] as number[], http: [] as number[] }
const detailsCache = new Map<string, { shown: ShownJob; settled: boolean; at: number }>()
const functionCache = new Map<string, FunctionMetadata | null>()
let attestation: Attestation | undefined
let refreshing = false

async function refresh(): Promise<void> {
  if (refreshing) return
  refreshing = true
  try {
    attestation ??= await fetchApi<Attestation>('/v1/attestation', { operator: false })
    renderWorker(attestation)
    const [overview, listed] = await Promise.all([
      fetchApi<Overview>('/v1/overview'),
      fetchApi<{ jobs: ListedJob[] }>('/v1/jobs?limit=50'),
    ])
    renderAdmissions(overview.workers)
    renderQueues(overview)
    for (const name of ['chain', 'http'] as const) {
      const { waiting, active } = overview.lanes[name].counts
      depthHistory[name] = [...depthHistory[name], waiting + active].slice(-historyLength)
    }
    drawLineChart(document.getElementById('queue-chart') as unknown as SVGSVGElement, [
      { name: 'chain', values: depthHistory.chain },
      { name: 'http', values: depthHistory.http },
    ])
    drawBarChart(
      document.getElementById('latency-chart') as unknown as SVGSVGElement,
      overview.lanes.chain.latency?.recent.slice(-50) ?? [],
    )
    const jobs = await Promise.all(listed.jobs.map((job) => showJob(job, attestation!)))
    renderJobs(jobs)
    await Promise.all(codeHashesOf(jobs).map(loadFunction))
    renderFunctions(jobs, functionCache)
    setStatus(`updated ${new Date().toLocaleTimeString()}: ${jobs.length} jobs`)
  } catch (error) {
    setStatus(error instanceof ApiRefusal ? `${error.code}: ${error.message}` : String(error))
  } finally {
    refreshing = false
  }
}

/** A listed job with its details: a settled one (delivered, refused, failed, a finished HTTP job) is read once. */
async function showJob(listed: ListedJob, attestation: Attestation): Promise<ShownJob> {
  const cached = detailsCache.get(listed.jobId)
  if (
    cached?.shown.listed.state === listed.state &&
    (cached.settled || Date.now() - cached.at < unsettledRereadMs)
  ) {
    return cached.shown
  }
  const details = await fetchApi<JobDetails>(`/v1/jobs/${encodeURIComponent(listed.jobId)}`).catch(
    () => undefined,
  )
  const verdict = details?.envelope
    ? await verifyEnvelopeSignature(details.envelope, attestation.publicKeys.evmAddress)
    : undefined
  const shown: ShownJob = { listed, ...(details ? { details } : {}), ...(verdict ? { verdict } : {}) }
  const settled =
    (listed.state === 'completed' &&
      (listed.trigger === 'http' || finalDeliveries.has(details?.delivery?.state ?? ''))) ||
    listed.state === 'failed'
  if (details) detailsCache.set(listed.jobId, { shown, settled, at: Date.now() })
  return shown
}

async function loadFunction(codeHash: string): Promise<void> {
  if (functionCache.has(codeHash)) return
  try {
    functionCache.set(
      codeHash,
      await fetchApi<FunctionMetadata>(`/v1/functions/${codeHash}`, { operator: false }),
    )
  } catch (error) {
    if (error instanceof ApiRefusal && error.status === 404) functionCache.set(codeHash, null)
  }
}

function setStatus(text: string): void {
  document.getElementById('status')!.textContent = text
}

function showOperatorState(): void {
  document.getElementById('operator-state')!.textContent = readOperatorKey()
    ? 'operator: HTTP jobs shown'
    : 'read-only: chain jobs only'
}

function start(): void {
  const form = document.getElementById('operator-form') as HTMLFormElement
  const input = document.getElementById('operator-key') as HTMLInputElement
  form.addEventListener('submit', (event) => {
    event.preventDefault()
    writeOperatorKey(input.value.trim() || undefined)
    input.value = ''
    detailsCache.clear()
    showOperatorState()
    void refresh()
  })
  document.getElementById('operator-clear')!.addEventListener('click', () => {
    writeOperatorKey(undefined)
    detailsCache.clear()
    showOperatorState()
    void refresh()
  })
  showOperatorState()
  void refresh()
  setInterval(() => void refresh(), refreshMs)
}

start()
