import { createConnection, createServer, type Server, type Socket } from 'node:net'

export type TcpProxy = {
  /** `ws://127.0.0.1:PORT`: the proxy's own address (the same across `drop` / `restore`). */
  url: string
  port: number
  /** Cuts every connection and stops listening: clients see a dropped socket, and refusals when they retry. */
  drop(): Promise<void>
  /** Listens again on the same port. */
  restore(): Promise<void>
  close(): Promise<void>
}

/** A TCP proxy on 127.0.0.1 to a local port, to drop a client's connection on purpose. */
export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>()
  let server: Server | undefined
  let port = 0
  const listen = async () => {
    server = createServer((client) => {
      const upstream = createConnection({ host: '127.0.0.1', port: targetPort })
      for (const socket of [client, upstream]) {
        sockets.add(socket)
        socket.on('close', () => sockets.delete(socket))
        socket.on('error', () => {})
      }
      client.pipe(upstream).pipe(client)
      client.on('close', () => upstream.destroy())
      upstream.on('close', () => client.destroy())
    })
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject)
      server!.listen(port, '127.0.0.1', () => resolve())
    })
    port = (server.address() as { port: number }).port
  }
  const drop = async () => {
    const closing = server
      ? new Promise<void>((resolve) => server!.close(() => resolve()))
      : Promise.resolve()
    server = undefined
    for (const socket of sockets) socket.destroy()
    await closing
  }
  await listen()
  return {
    url: `ws://127.0.0.1:${port}`,
    port,
    drop,
    restore: listen,
    close: drop,
  }
}
