import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export type StartHttpServerReturnType = {
  /** `http://127.0.0.1:PORT` */
  url: string
  port: number
  /** Requests seen so far, in arrival order. */
  requests: { method: string; url: string; headers: IncomingMessage['headers'] }[]
  close: () => Promise<void>
}

/** Starts a real HTTP server on 127.0.0.1 and a free port, for tests that need a peer for `fetch`. */
export async function startHttpServer(
  handler: (request: IncomingMessage, response: ServerResponse) => unknown,
): Promise<StartHttpServerReturnType> {
  const requests: StartHttpServerReturnType['requests'] = []
  const server = createServer((request, response) => {
    requests.push({ method: request.method ?? 'GET', url: request.url ?? '/', headers: request.headers })
    Promise.resolve(handler(request, response)).catch((error: unknown) => {
      response.statusCode = 500
      response.end(String(error))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
