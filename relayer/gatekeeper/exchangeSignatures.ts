import type { Logger } from '../../runtime/logging/createLogger.js'
import type { AdmissionBook, AdmissionEntry } from './admissionBook.js'
import { admissionFromJson, admissionToJson } from './admissionJson.js'

export type ExchangeParameters = {
  peers: readonly string[]
  book: AdmissionBook
  isGatekeeper(address: string): boolean
  timeoutMs: number
  logger: Logger
}

/** Posts `entry` with every signature held to each peer (`POST /v1/admissions`); an unreachable peer is skipped. */
export async function pushAdmission(
  entry: AdmissionEntry,
  { peers, timeoutMs, logger }: ExchangeParameters,
): Promise<void> {
  const body = JSON.stringify(admissionToJson(entry.admission, [...entry.signatures.values()]))
  await Promise.all(
    peers.map(async (peer) => {
      try {
        const response = await fetch(new URL('/v1/admissions', peer), {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(timeoutMs),
        })
        await response.body?.cancel()
      } catch (error) {
        logger.debug({ peer, err: String(error) }, 'a peer gatekeeper did not take signatures')
      }
    }),
  )
}

/** Fetches what each peer holds about `worker` (`GET /v1/admissions?worker=`) into the book (self-verified). */
export async function pullAdmissions(
  worker: string,
  { peers, book, isGatekeeper, timeoutMs, logger }: ExchangeParameters,
): Promise<void> {
  await Promise.all(
    peers.map(async (peer) => {
      try {
        const url = new URL('/v1/admissions', peer)
        url.searchParams.set('worker', worker)
        const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) })
        const body = (await response.json()) as { admissions?: unknown }
        if (!Array.isArray(body.admissions)) return
        for (const item of body.admissions.slice(0, 16)) {
          const parsed = admissionFromJson(item)
          if (typeof parsed !== 'string') book.add(parsed.admission, parsed.signatures, isGatekeeper)
        }
      } catch (error) {
        logger.debug({ peer, err: String(error) }, 'a peer gatekeeper did not answer')
      }
    }),
  )
}
