import { createHmac } from 'node:crypto'
import { rm } from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export type StartDstackAgentParameters = {
  /** The app's KMS secret: keys are HMAC-SHA256(appSecret, path), so they depend on the app and the path only. */
  appSecret?: string
  /** Listen on this unix socket (as the real agent does) instead of 127.0.0.1 and a free port. */
  socketPath?: string
  /** RPC names (e.g. `GetKey`) that answer with an error, to test failure handling. */
  failing?: string[]
}

export type DstackAgentRequest = { path: string; body: Record<string, unknown> }

export type StartDstackAgentReturnType = {
  /** `http://127.0.0.1:PORT` or the socket path: what `DstackClient` takes as its endpoint. */
  endpoint: string
  requests: DstackAgentRequest[]
  /** The key the agent derives for a path (tests compare with it to prove keys never leak). */
  keyFor: (path: string) => Uint8Array
  close: () => Promise<void>
}

/** The marker of the agent's simulated quotes: not a DCAP quote, so real verification must refuse it. */
export const simulatedQuotePrefix = Buffer.from('SIMULATED-TDX-QUOTE:')

export const simulatedTcb = {
  mrtd: 'a'.repeat(96),
  rtmr0: 'b'.repeat(96),
  rtmr1: 'c'.repeat(96),
  rtmr2: 'd'.repeat(96),
  rtmr3: 'e'.repeat(96),
}

/**
 * A local stand-in for the dstack guest agent speaking its wire format: `POST /GetKey`, `/GetQuote`, `/Info`
 * with JSON bodies (hex-encoded bytes), as `@phala/dstack-sdk` sends them over HTTP or a unix socket.
 */
export async function startDstackAgent({
  appSecret = 'teefn-test-app',
  socketPath,
  failing = [],
}: StartDstackAgentParameters = {}): Promise<StartDstackAgentReturnType> {
  const requests: DstackAgentRequest[] = []
  const keyFor = (path: string) => new Uint8Array(createHmac('sha256', appSecret).update(path).digest())

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const path = request.url ?? '/'
      let body: Record<string, unknown> = {}
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}')
      } catch {
        return send(response, 400, { error: 'invalid JSON' })
      }
      requests.push({ path, body })
      const method = path.replace(/^\//, '')
      if (failing.includes(method)) return send(response, 500, { error: `${method} is unavailable` })
      switch (method) {
        case 'GetKey': {
          const keyPath = String(body.path ?? '')
          return send(response, 200, {
            key: Buffer.from(keyFor(keyPath)).toString('hex'),
            signature_chain: [createHmac('sha256', `${appSecret}/chain`).update(keyPath).digest('hex')],
          })
        }
        case 'GetQuote': {
          const reportData = String(body.report_data ?? '')
          if (!/^[0-9a-f]{0,128}$/.test(reportData)) return send(response, 400, { error: 'bad report_data' })
          const quote = Buffer.concat([simulatedQuotePrefix, Buffer.from(reportData.padEnd(128, '0'), 'hex')])
          return send(response, 200, {
            quote: quote.toString('hex'),
            event_log: JSON.stringify([
              { imr: 3, event_type: 134217729, digest: 'f'.repeat(96), event: 'app-id', event_payload: '' },
            ]),
            report_data: reportData,
            vm_config: '{}',
          })
        }
        case 'Info':
          return send(response, 200, {
            app_id: createHmac('sha256', appSecret).update('app-id').digest('hex').slice(0, 40),
            instance_id: 'instance-1',
            app_cert: '',
            tcb_info: JSON.stringify({ ...simulatedTcb, app_compose: '{}', event_log: [] }),
            app_name: 'teefn-worker',
            device_id: '00',
            key_provider_info: '{}',
            compose_hash: '1'.repeat(64),
          })
        default:
          return send(response, 404, { error: `no such RPC ${method}` })
      }
    })
  })

  let endpoint: string
  if (socketPath) {
    await rm(socketPath, { force: true })
    await new Promise<void>((resolve) => server.listen(socketPath, resolve))
    endpoint = socketPath
  } else {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  }
  return {
    endpoint,
    requests,
    keyFor,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  // An explicit length: the SDK's unix-socket client reads exactly Content-Length bytes (no chunked encoding).
  response.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
  })
  response.end(text)
}
