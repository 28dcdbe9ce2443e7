import type { Logger } from '../../runtime/logging/createLogger.js'
import type { StatementBook, StatementEntry, WorkerStatementKind } from './statementBook.js'
import { statementFromJson, statementKey, statementToJson } from './statementJson.js'

export type ExchangeParameters = {
  peers: readonly string[]
  book: StatementBook
  isGatekeeper(address: string): boolean
  timeoutMs: number
  logger: Logger
}

/** The API path of a statement kind: `/v1/admissions`, `/v1/removals`. */
export const statementPath = (kind: WorkerStatementKind) => `/v1/${statementKey(kind)}s`

/** Posts `entry` with every signature held to each peer (`POST /v1/admissions` or `/v1/removals`); an unreachable peer is skipped. */
export async function pushStatement(
  entry: StatementEntry,
  { peers, timeoutMs, logger }: ExchangeParameters,
): Promise<void> {
  const body = JSON.stringify(statementToJson(entry.kind, entry.statement, [...entry.signatures.values()]))
  await Promise.all(
    peers.map(async (peer) => {
      try {
        const response = await fetch(new URL(statementPath(entry.kind), peer), {
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

/** Fetches the statements of `kind` each peer holds about `worker` (`GET ...?worker=`) into the book (self-verified). */
export async function pullStatements(
  kind: WorkerStatementKind,
  worker: string,
  { peers, book, isGatekeeper, timeoutMs, logger }: ExchangeParameters,
): Promise<void> {
  const key = `${statementKey(kind)}s`
  await Promise.all(
    peers.map(async (peer) => {
      try {
        const url = new URL(statementPath(kind), peer)
        url.searchParams.set('worker', worker)
        const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) })
        const body = (await response.json()) as Record<string, unknown>
        const items = body[key]
        if (!Array.isArray(items)) return
        for (const item of items.slice(0, 16)) {
          const parsed = statementFromJson(kind, item)
          if (typeof parsed !== 'string') book.add(kind, parsed.statement, parsed.signatures, isGatekeeper)
        }
      } catch (error) {
        logger.debug({ peer, err: String(error) }, 'a peer gatekeeper did not answer')
      }
    }),
  )
}
