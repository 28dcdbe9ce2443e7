import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { isAddress } from 'ethers'
import { statementPath } from './exchangeSignatures.js'
import type { StatementBook, WorkerStatementKind } from './statementBook.js'
import { statementFromJson, statementKey, statementToJson } from './statementJson.js'

export type StartGatekeeperApiParameters = {
  book: StatementBook
  /** Whether `address` is a current gatekeeper (the registry's set). */
  isGatekeeper(address: string): boolean
  host: string
  port: number
}

/** Posted bodies larger than this are refused: 32 signatures and a statement fit in far less. */
const maxBody = 16 * 1024

/** The statement kind each path serves. */
const kinds = new Map<string, WorkerStatementKind>(
  (['Admission', 'Removal'] as const).map((kind) => [statementPath(kind), kind]),
)

/**
 * The gatekeeper's API, for `Admission` (`/v1/admissions`) and `Removal` (`/v1/removals`) statements alike:
 * `POST` adds the valid signatures of a posted statement (anyone may post; only current gatekeepers' signatures
 * of that statement are kept) and `GET ?worker=` lists the statements of that kind held about a worker with
 * their signatures. Plain HTTP: the payloads are self-verifying.
 */
export async function startGatekeeperApi(
  parameters: StartGatekeeperApiParameters,
): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((request, response) => {
    serve(parameters, request, response).catch(() => send(response, 500, { error: 'internal error' }))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(parameters.port, parameters.host, resolve)
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://${parameters.host.includes(':') ? `[${parameters.host}]` : parameters.host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        // Peers keep connections alive: closing must not wait for them.
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

async function serve(
  { book, isGatekeeper }: StartGatekeeperApiParameters,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://gatekeeper')
  const kind = kinds.get(url.pathname)
  if (!kind) return send(response, 404, { error: 'not found' })
  if (request.method === 'GET') {
    const worker = url.searchParams.get('worker') ?? ''
    if (!isAddress(worker)) return send(response, 400, { error: 'worker must be an address' })
    const entries = book
      .forWorker(kind, worker)
      .map((entry) => statementToJson(kind, entry.statement, [...entry.signatures.values()]))
    return send(response, 200, { [`${statementKey(kind)}s`]: entries })
  }
  if (request.method !== 'POST') return send(response, 405, { error: 'GET or POST' })
  const text = await readBody(request)
  if (text === undefined) return send(response, 413, { error: `the body exceeds ${maxBody} bytes` })
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return send(response, 400, { error: 'the body is not JSON' })
  }
  const posted = statementFromJson(kind, parsed)
  if (typeof posted === 'string') return send(response, 400, { error: posted })
  const added = book.add(kind, posted.statement, posted.signatures, isGatekeeper)
  return send(response, 200, { added })
}

async function readBody(request: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of request) {
    size += (chunk as Buffer).length
    if (size > maxBody) return undefined
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks).toString('utf8')
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' })
  response.end(JSON.stringify(body))
}
