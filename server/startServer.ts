import type { AddressInfo } from 'node:net'
import { type BuildServerParameters, buildServer, type TeefnServer } from './buildServer.js'

export type StartServerParameters = BuildServerParameters & {
  /** Default 127.0.0.1; `0.0.0.0` to serve other hosts. */
  host?: string | undefined
  /** Default 8787; 0 picks a free port. */
  port?: number | undefined
}

export type StartServerReturnType = {
  app: TeefnServer
  /** `http://host:port` as listening. */
  url: string
  port: number
  /** Stops accepting, answers waiting invocations with their job ids, closes the queue handles. Idempotent. */
  close(): Promise<void>
}

/** Builds the HTTP API and listens. `teefn node` calls it with the worker's dependencies; tests with port 0. */
export async function startServer({
  host = '127.0.0.1',
  port = 8787,
  ...parameters
}: StartServerParameters): Promise<StartServerReturnType> {
  // Signatures name the node: without a public URL, the address it listens on (known once it listens).
  let listening: string | undefined
  const app = await buildServer({ ...parameters, publicUrl: parameters.publicUrl ?? (() => listening) })
  try {
    await app.listen({ host, port })
  } catch (error) {
    await app.close()
    throw error
  }
  const address = app.server.address() as AddressInfo
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address
  let closing: Promise<void> | undefined
  listening = `http://${shownHost}:${address.port}`
  return {
    app,
    url: listening,
    port: address.port,
    close: () => {
      closing ??= app.close()
      return closing
    },
  }
}
