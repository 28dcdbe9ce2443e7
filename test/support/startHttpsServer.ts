import type { IncomingMessage, ServerResponse } from 'node:http'
import { createServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import type { TLSSocket } from 'node:tls'
import { createSelfSignedCertificate } from './createSelfSignedCertificate.js'

export type StartHttpsServerReturnType = {
  /** `https://localhost:PORT` (the certificate names `localhost`). */
  url: string
  port: number
  /** The self-signed certificate, to trust as a CA. */
  cert: string
  /** Requests seen so far, with the TLS server name (SNI) the client sent. */
  requests: { method: string; url: string; servername: string | false }[]
  close: () => Promise<void>
}

/** Starts a real HTTPS server on 127.0.0.1 with a fresh self-signed certificate for `localhost`. */
export async function startHttpsServer(
  handler: (request: IncomingMessage, response: ServerResponse) => void,
): Promise<StartHttpsServerReturnType> {
  const { cert, key } = createSelfSignedCertificate('localhost')
  const requests: StartHttpsServerReturnType['requests'] = []
  const server = createServer({ cert, key }, (request, response) => {
    const servername = (request.socket as TLSSocket).servername ?? false
    requests.push({ method: request.method ?? 'GET', url: request.url ?? '/', servername })
    handler(request, response)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `https://localhost:${port}`,
    port,
    cert,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
