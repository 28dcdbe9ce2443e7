import type { Envelope } from '../../../runtime/enclave/envelope.js'

/** The parts of the API's answers the dashboard reads (see `/openapi.json` for the whole). */
export type ListedJob = {
  jobId: string
  shortId: string
  state: string
  trigger: string
  chainId: string
  requestId: string
  functionId: string
  codeHash?: string
  queuedAt: number
  finishedAt?: number
}

export type Delivery = {
  state: string
  attempts: number
  transactionHash?: string
  blockNumber?: number
  reason?: string
}

export type JobDetails = {
  jobId: string
  state: string
  access: 'public' | 'full'
  trigger: string
  codeHash?: string
  timings: { queuedAt: number; startedAt?: number; finishedAt?: number; runMs?: number; queuedMs?: number }
  envelope?: Envelope
  delivery?: Delivery
}

export type Attestation = {
  provider: 'dstack' | 'dev'
  publicKeys: { evmAddress: string; secp256k1: string; sr25519: string; encryption: string }
  quote: string
  reportData: string
  measurement: string
}

export type Percentiles = { p50: number; p95: number; max: number }

export type LaneOverview = {
  counts: { waiting: number; active: number; delayed: number; completed: number; failed: number }
  latency?: {
    jobs: number
    queuedMs: Percentiles
    runMs: Percentiles
    recent: { finishedAt: number; queuedMs: number; runMs: number }[]
  }
}

export type Overview = {
  lanes: { chain: LaneOverview; http: LaneOverview }
  workers: {
    chainId: string
    registry: string
    worker: string
    active?: boolean
    expiresAt?: number
    attestationHash?: string
    error?: string
  }[]
  at: number
}

export type FunctionMetadata = { codeHash: string; bytes: number; owner?: string; uploadedAt: number }
