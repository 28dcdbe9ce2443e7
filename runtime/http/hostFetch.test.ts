import { Agent as HttpAgent, type IncomingMessage, type ServerResponse } from 'node:http'
import { Agent as HttpsAgent } from 'node:https'
import { brotliCompressSync, constants, deflateRawSync, deflateSync, gzipSync } from 'node:zlib'
import { afterEach, describe, expect, it } from 'vitest'
import { rejectionOf } from '../../test/support/rejectionOf.js'
import { type StartHttpServerReturnType, startHttpServer } from '../../test/support/startHttpServer.js'
import { startHttpsServer } from '../../test/support/startHttpsServer.js'
import { streamBytes } from '../../test/support/streamBytes.js'
import { createNetworkPolicy, type NetworkPolicy } from './createNetworkPolicy.js'
import { FetchError, type FetchErrorCode } from './FetchError.js'
import { type HostFetchOptions, hostFetch } from './hostFetch.js'

const MiB = 1024 * 1024
const servers: { close: () => Promise<void> }[] = []

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()))
})

/** Handlers may return whatever `response.end()` returns; they are awaited. */
type Handler = (request: IncomingMessage, response: ServerResponse) => unknown

async function serve(handler: Handler): Promise<StartHttpServerReturnType> {
  const server = await startHttpServer(async (request, response) => {
    await handler(request, response)
  })
  servers.push(server)
  return server
}

/** A policy that admits the given test servers (127.0.0.1:PORT) and nothing else that is not public. */
function allow(...targets: { port: number }[]): NetworkPolicy {
  return createNetworkPolicy({ allowHosts: targets.map(({ port }) => `127.0.0.1:${port}`) })
}

function options(policy: NetworkPolicy, overrides: Partial<HostFetchOptions> = {}): HostFetchOptions {
  return { policy, timeoutMs: 5000, maxResponseBytes: MiB, ...overrides }
}

async function fetchError(promise: Promise<unknown>, code: FetchErrorCode): Promise<FetchError> {
  const error = await rejectionOf(promise)
  expect(error).toBeInstanceOf(FetchError)
  expect((error as FetchError).code, (error as Error).message).toBe(code)
  // Reasons, never stack traces.
  expect((error as FetchError).message).not.toMatch(/\n\s+at /)
  return error as FetchError
}

function readAll(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => resolve(Buffer.concat(chunks)))
    request.on('error', reject)
  })
}

const text = (body: Uint8Array) => new TextDecoder().decode(body)

describe('hostFetch: requests and responses', () => {
  it('GETs a URL, sending default and custom headers and returning lower-cased response headers', async () => {
    const server = await serve((_request, response) => {
      response.setHeader('X-Custom', 'yes')
      response.setHeader('Set-Cookie', ['a=1', 'b=2'])
      response.statusMessage = 'Fine'
      response.end('hello')
    })
    const response = await hostFetch(
      { url: `${server.url}/path?q=1#fragment`, headers: { 'X-Api-Key': 'k1' } },
      options(allow(server)),
    )
    expect(response).toMatchObject({
      status: 200,
      statusText: 'Fine',
      url: `${server.url}/path?q=1`,
      redirected: false,
    })
    expect(text(response.body)).toBe('hello')
    expect(response.body).toBeInstanceOf(Uint8Array)
    expect(response.headers).toContainEqual(['x-custom', 'yes'])
    expect(response.headers.filter(([name]) => name === 'set-cookie')).toEqual([
      ['set-cookie', 'a=1'],
      ['set-cookie', 'b=2'],
    ])
    expect(response.headers.every(([name]) => name === name.toLowerCase())).toBe(true)

    const [seen] = server.requests
    expect(seen).toMatchObject({ method: 'GET', url: '/path?q=1' })
    expect(seen!.headers).toMatchObject({
      'x-api-key': 'k1',
      'user-agent': 'teefn/0.1',
      'accept-encoding': 'gzip, deflate, br',
      host: `127.0.0.1:${server.port}`,
    })
  })

  it('POSTs a string body', async () => {
    const server = await serve(async (request, response) => {
      const body = await readAll(request)
      response.end(JSON.stringify({ body: body.toString('utf8'), type: request.headers['content-type'] }))
    })
    const response = await hostFetch(
      {
        url: server.url,
        method: 'post',
        headers: [['content-type', 'application/json']],
        body: '{"ünï":"cödé"}',
      },
      options(allow(server)),
    )
    expect(JSON.parse(text(response.body))).toEqual({ body: '{"ünï":"cödé"}', type: 'application/json' })
    expect(server.requests[0]).toMatchObject({ method: 'POST' })
    expect(server.requests[0]!.headers['content-length']).toBe(String(Buffer.byteLength('{"ünï":"cödé"}')))
  })

  it('PUTs a byte body, honouring the view offset, and returns bytes unchanged', async () => {
    const server = await serve(async (request, response) => {
      response.end(await readAll(request))
    })
    const backing = new Uint8Array(300)
    for (let index = 0; index < backing.length; index++) backing[index] = index % 256
    const body = backing.subarray(10, 266)
    const response = await hostFetch({ url: server.url, method: 'PUT', body }, options(allow(server)))
    expect(server.requests[0]!.method).toBe('PUT')
    expect(Array.from(response.body)).toEqual(Array.from(body))
  })

  it('keeps repeated request headers, lets the caller set user-agent, and drops host and framing headers', async () => {
    const server = await serve((_request, response) => response.end())
    await hostFetch(
      {
        url: server.url,
        headers: [
          ['X-Multi', 'a'],
          ['x-multi', 'b'],
          ['User-Agent', 'custom/1'],
          ['Host', 'internal.example'],
          ['Transfer-Encoding', 'chunked'],
          ['Connection', 'upgrade'],
        ],
      },
      options(allow(server)),
    )
    const headers = server.requests[0]!.headers
    expect(headers['x-multi']).toBe('a, b')
    expect(headers['user-agent']).toBe('custom/1')
    expect(headers.host).toBe(`127.0.0.1:${server.port}`)
    expect(headers['transfer-encoding']).toBeUndefined()
  })

  it('returns error statuses as responses', async () => {
    const server = await serve((_request, response) => {
      response.statusCode = 503
      response.end('busy')
    })
    const response = await hostFetch({ url: server.url }, options(allow(server)))
    expect(response.status).toBe(503)
    expect(text(response.body)).toBe('busy')
  })

  it('refuses URLs and requests it cannot send, without touching the network', async () => {
    const server = await serve((_request, response) => response.end())
    const policy = allow(server)
    const port = server.port
    const cases: [Parameters<typeof hostFetch>[0], RegExp][] = [
      [{ url: 'not a url' }, /not a valid absolute URL/],
      [{ url: `ftp://127.0.0.1:${port}/` }, /protocol ftp: is not supported/],
      [{ url: 'file:///etc/passwd' }, /protocol file: is not supported/],
      [{ url: `http://user:secret@127.0.0.1:${port}/` }, /contains credentials/],
      [{ url: server.url, method: 'GE T' }, /not a valid HTTP method/],
      [{ url: server.url, method: 'CONNECT' }, /CONNECT method is not allowed/],
      [{ url: server.url, headers: { 'x-bad': 'a\r\nx-injected: 1' } }, /header "x-bad" is invalid/],
      [{ url: server.url, headers: { 'bad header': 'a' } }, /header "bad header" is invalid/],
      [{ url: server.url, body: 42 as unknown as string }, /body must be a string or a Uint8Array/],
    ]
    for (const [request, message] of cases) {
      const error = await fetchError(hostFetch(request, options(policy)), 'NETWORK_ERROR')
      expect(error.message).toMatch(message)
      expect(error.message).not.toContain('secret')
    }
    expect(server.requests).toHaveLength(0)
  })
})

describe('hostFetch: network policy', () => {
  it('denies a loopback server that is not allowlisted, naming it and the way to allow it', async () => {
    const server = await serve((_request, response) => response.end('secret data'))
    const error = await fetchError(
      hostFetch({ url: `${server.url}/admin?token=abc` }, options(createNetworkPolicy())),
      'HOST_NOT_ALLOWED',
    )
    expect(error.message).toBe(
      `127.0.0.1:${server.port} is a loopback address; fetches to loopback, private, link-local and metadata addresses are denied.\n` +
        `Hint: If you trust it, allow it explicitly with --allow-host 127.0.0.1:${server.port}`,
    )
    expect(error.message).not.toContain('token')
    expect(server.requests).toHaveLength(0)
  })

  it('allows a loopback server listed by host:port, and by host for any port', async () => {
    const server = await serve((_request, response) => response.end('ok'))
    const byPort = await hostFetch(
      { url: server.url },
      options(createNetworkPolicy({ allowHosts: [`127.0.0.1:${server.port}`] })),
    )
    expect(text(byPort.body)).toBe('ok')
    const byHost = await hostFetch(
      { url: server.url },
      options(createNetworkPolicy({ allowHosts: ['127.0.0.1'] })),
    )
    expect(text(byHost.body)).toBe('ok')
    await fetchError(
      hostFetch(
        { url: server.url },
        options(createNetworkPolicy({ allowHosts: [`127.0.0.1:${server.port + 1}`] })),
      ),
      'HOST_NOT_ALLOWED',
    )
    expect(server.requests).toHaveLength(2)
  })

  it('checks the address a name resolves to: localhost is denied unless allowed by name or address', async () => {
    const server = await serve((_request, response) => response.end('ok'))
    const url = `http://localhost:${server.port}/`
    const denied = await fetchError(hostFetch({ url }, options(createNetworkPolicy())), 'HOST_NOT_ALLOWED')
    expect(denied.message).toContain(`localhost:${server.port} resolves to 127.0.0.1, a loopback address`)
    expect(denied.hint).toContain(`--allow-host localhost:${server.port}`)
    expect(server.requests).toHaveLength(0)

    const byAddress = await hostFetch({ url }, options(allow(server)))
    expect(text(byAddress.body)).toBe('ok')
    const byName = await hostFetch(
      { url },
      options(createNetworkPolicy({ allowHosts: [`localhost:${server.port}`] })),
    )
    expect(text(byName.body)).toBe('ok')
    // The Host header and the check used the name; the connection went to the checked address.
    expect(server.requests.map((request) => request.headers.host)).toEqual([
      `localhost:${server.port}`,
      `localhost:${server.port}`,
    ])
  })

  it('denies IP literals in every denied range before connecting', async () => {
    const server = await serve((_request, response) => response.end())
    const port = server.port
    const urls = [
      `http://[::1]:${port}/`,
      `http://[::ffff:127.0.0.1]:${port}/`,
      `http://0.0.0.0:${port}/`,
      `http://[::]:${port}/`,
      `http://0x7f.1:${port}/`,
      `http://2130706433:${port}/`,
      'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
      'http://[fd00:ec2::254]/latest/meta-data/',
      'http://10.0.0.1/',
      'http://172.16.5.4:8080/',
      'http://192.168.1.1/',
      'http://[fe80::1]/',
      'http://[fd00::1]/',
      'http://100.64.0.1/',
      'http://224.0.0.1/',
      'http://255.255.255.255/',
      'http://198.18.0.1/',
      'http://[64:ff9b::a00:1]/',
      'https://[2002:c0a8:101::1]/',
    ]
    for (const url of urls) {
      const error = await fetchError(
        hostFetch({ url }, options(createNetworkPolicy(), { timeoutMs: 2000 })),
        'HOST_NOT_ALLOWED',
      )
      expect(error.message).not.toContain('/latest')
    }
    expect(server.requests).toHaveLength(0)
  })

  it('names the metadata endpoint as such', async () => {
    const error = await fetchError(
      hostFetch({ url: 'http://169.254.169.254/' }, options(createNetworkPolicy())),
      'HOST_NOT_ALLOWED',
    )
    expect(error.shortMessage).toMatch(/^169\.254\.169\.254:80 is a cloud metadata address;/)
  })
})

describe('hostFetch: redirects', () => {
  it('follows a redirect and reports the final URL', async () => {
    const server = await serve((request, response) => {
      if (request.url === '/start') {
        response.writeHead(302, { location: '/middle' }).end()
      } else if (request.url === '/middle') {
        response.writeHead(308, { location: '/end?x=1' }).end()
      } else {
        response.end(`at ${request.url}`)
      }
    })
    const response = await hostFetch({ url: `${server.url}/start` }, options(allow(server)))
    expect(response).toMatchObject({ status: 200, redirected: true, url: `${server.url}/end?x=1` })
    expect(text(response.body)).toBe('at /end?x=1')
    expect(server.requests.map((request) => request.url)).toEqual(['/start', '/middle', '/end?x=1'])
  })

  it('turns 303, and 301/302 after POST, into a GET without body; keeps method and body on 307/308', async () => {
    const server = await serve(async (request, response) => {
      const body = (await readAll(request)).toString()
      const match = /^\/(\d{3})$/.exec(request.url ?? '')
      if (match) {
        response.writeHead(Number(match[1]), { location: '/echo' }).end()
        return
      }
      response.end(
        JSON.stringify({ method: request.method, body, type: request.headers['content-type'] ?? null }),
      )
    })
    const post = (status: number) =>
      hostFetch(
        {
          url: `${server.url}/${status}`,
          method: 'POST',
          headers: { 'content-type': 'text/plain' },
          body: 'payload',
        },
        options(allow(server)),
      ).then((response) => JSON.parse(text(response.body)))
    const asGet = { method: 'GET', body: '', type: null }
    const asPost = { method: 'POST', body: 'payload', type: 'text/plain' }
    expect(await post(301)).toEqual(asGet)
    expect(await post(302)).toEqual(asGet)
    expect(await post(303)).toEqual(asGet)
    expect(await post(307)).toEqual(asPost)
    expect(await post(308)).toEqual(asPost)
    const put303 = await hostFetch(
      { url: `${server.url}/303`, method: 'PUT', body: 'x' },
      options(allow(server)),
    )
    expect(JSON.parse(text(put303.body))).toMatchObject({ method: 'GET', body: '' })
    const put302 = await hostFetch(
      { url: `${server.url}/302`, method: 'PUT', body: 'x' },
      options(allow(server)),
    )
    expect(JSON.parse(text(put302.body))).toMatchObject({ method: 'PUT', body: 'x' })
  })

  it('keeps every header on a same-origin hop, and only CORS-safelisted ones on a cross-origin hop', async () => {
    const target = await serve((_request, response) => response.end())
    const origin = await serve((request, response) => {
      if (request.url === '/same') response.writeHead(307, { location: '/landing' }).end()
      else if (request.url === '/cross') response.writeHead(307, { location: `${target.url}/landing` }).end()
      else response.end()
    })
    const custom = {
      authorization: 'Bearer s3cret',
      cookie: 'session=1',
      'x-api-key': 'k-s3cret',
      'x-other': 'custom',
      'user-agent': 'my-agent token=s3cret',
    }
    const safelisted = {
      accept: 'application/json',
      'accept-language': 'en-GB, fr;q=0.8',
      'content-language': 'en',
    }
    const headers = { ...custom, ...safelisted }
    await hostFetch({ url: `${origin.url}/same`, headers }, options(allow(origin, target)))
    expect(origin.requests[1]!.headers).toMatchObject(headers)

    await hostFetch({ url: `${origin.url}/cross`, headers }, options(allow(origin, target)))
    expect(target.requests).toHaveLength(1)
    const seen = target.requests[0]!.headers
    for (const name of ['authorization', 'cookie', 'x-api-key', 'x-other']) expect(seen[name]).toBeUndefined()
    expect(seen).toMatchObject({
      ...safelisted,
      'user-agent': 'teefn/0.1',
      'accept-encoding': 'gzip, deflate, br',
    })
    expect(JSON.stringify(seen)).not.toContain('s3cret')
  })

  it('keeps content-type across origins only when a form or plain text', async () => {
    const target = await serve((_request, response) => response.end())
    const origin = await serve((_request, response) =>
      response.writeHead(307, { location: `${target.url}/landing` }).end(),
    )
    const post = (type: string) =>
      hostFetch(
        { url: origin.url, method: 'POST', headers: { 'content-type': type }, body: 'a=1' },
        options(allow(origin, target)),
      )
    await post('text/plain; charset=utf-8')
    await post('application/json')
    expect(target.requests.map(({ headers }) => headers['content-type'])).toEqual([
      'text/plain; charset=utf-8',
      undefined,
    ])
  })

  it('keeps the headers named in crossOriginHeaders across origins, and no others', async () => {
    const target = await serve((_request, response) => response.end())
    const origin = await serve((_request, response) =>
      response.writeHead(302, { location: `${target.url}/landing` }).end(),
    )
    await hostFetch(
      {
        url: origin.url,
        headers: { 'x-api-key': 'k1', authorization: 'Bearer t', 'x-other': 'o' },
        crossOriginHeaders: ['X-Api-Key'],
      },
      options(allow(origin, target)),
    )
    expect(target.requests[0]!.headers['x-api-key']).toBe('k1')
    expect(target.requests[0]!.headers.authorization).toBeUndefined()
    expect(target.requests[0]!.headers['x-other']).toBeUndefined()
  })

  it('refuses crossOriginHeaders that are not header names', async () => {
    const error = await fetchError(
      hostFetch(
        { url: 'http://127.0.0.1:1/', crossOriginHeaders: ['bad name'] },
        options(createNetworkPolicy()),
      ),
      'NETWORK_ERROR',
    )
    expect(error.message).toContain('crossOriginHeaders names an invalid header')
  })

  it('checks every hop: a redirect from an allowed server to another port is denied', async () => {
    const other = await serve((_request, response) => response.end('should not be reached'))
    const server = await serve((_request, response) =>
      response.writeHead(302, { location: `${other.url}/` }).end(),
    )
    const error = await fetchError(hostFetch({ url: server.url }, options(allow(server))), 'HOST_NOT_ALLOWED')
    expect(error.message).toContain(`127.0.0.1:${other.port} is a loopback address`)
    expect(server.requests).toHaveLength(1)
    expect(other.requests).toHaveLength(0)
  })

  it('checks every hop: a redirect to the metadata address or to localhost is denied', async () => {
    const server = await serve((request, response) => {
      const location =
        request.url === '/metadata' ? 'http://169.254.169.254/latest/meta-data/' : 'http://localhost:1/'
      response.writeHead(301, { location }).end()
    })
    const metadata = await fetchError(
      hostFetch({ url: `${server.url}/metadata` }, options(allow(server))),
      'HOST_NOT_ALLOWED',
    )
    expect(metadata.message).toContain('169.254.169.254:80 is a cloud metadata address')
    const local = await fetchError(
      hostFetch({ url: `${server.url}/local` }, options(allow(server))),
      'HOST_NOT_ALLOWED',
    )
    expect(local.message).toContain('localhost:1 resolves to 127.0.0.1')
  })

  it('fails after maxRedirects redirects', async () => {
    const server = await serve((request, response) => {
      const step = Number(request.url?.slice(1))
      if (step < 3) response.writeHead(302, { location: `/${step + 1}` }).end()
      else response.end('done')
    })
    const ok = await hostFetch({ url: `${server.url}/0` }, options(allow(server), { maxRedirects: 3 }))
    expect(text(ok.body)).toBe('done')
    const error = await fetchError(
      hostFetch({ url: `${server.url}/0` }, options(allow(server), { maxRedirects: 2 })),
      'NETWORK_ERROR',
    )
    expect(error.message).toContain('redirected more than 2 times')
  })

  it('stops a redirect loop at the default of 5', async () => {
    const server = await serve((_request, response) => response.writeHead(302, { location: '/' }).end())
    const error = await fetchError(hostFetch({ url: server.url }, options(allow(server))), 'NETWORK_ERROR')
    expect(error.message).toContain('redirected more than 5 times')
    expect(server.requests).toHaveLength(6)
  })

  it('refuses a redirect to a non-http URL', async () => {
    const server = await serve((_request, response) =>
      response.writeHead(302, { location: 'file:///etc/passwd' }).end(),
    )
    const error = await fetchError(hostFetch({ url: server.url }, options(allow(server))), 'NETWORK_ERROR')
    expect(error.message).toContain('redirected to a file: URL')
  })

  it('returns a 3xx without location as it is', async () => {
    const server = await serve((_request, response) => response.writeHead(302).end('no location'))
    const response = await hostFetch({ url: server.url }, options(allow(server)))
    expect(response).toMatchObject({ status: 302, redirected: false })
    expect(text(response.body)).toBe('no location')
  })
})

describe('hostFetch: time limit', () => {
  it('times out when headers are slow, and closes the connection', async () => {
    let connectionClosed: Promise<void> | undefined
    const server = await serve((request) => {
      connectionClosed = new Promise((resolve) => request.socket.once('close', () => resolve()))
    })
    const started = Date.now()
    const error = await fetchError(
      hostFetch({ url: server.url }, options(allow(server), { timeoutMs: 300 })),
      'TIMEOUT',
    )
    expect(Date.now() - started).toBeGreaterThanOrEqual(290)
    expect(error.message).toContain(`The fetch to ${server.url} did not complete within 300 ms.`)
    await connectionClosed
  })

  it('times out on an endless trickling body at about the timeout, and closes the connection', async () => {
    let connectionClosed: Promise<void> | undefined
    const server = await serve((request, response) => {
      connectionClosed = new Promise((resolve) => request.socket.once('close', () => resolve()))
      response.writeHead(200, { 'content-type': 'text/plain' })
      const timer = setInterval(() => response.write('.'), 20)
      response.on('close', () => clearInterval(timer))
    })
    const started = Date.now()
    await fetchError(hostFetch({ url: server.url }, options(allow(server), { timeoutMs: 400 })), 'TIMEOUT')
    const elapsed = Date.now() - started
    expect(elapsed).toBeGreaterThanOrEqual(390)
    expect(elapsed).toBeLessThan(1500)
    await connectionClosed
  })

  it('covers every redirect hop with one deadline', async () => {
    const server = await serve((request, response) => {
      const step = Number(request.url?.slice(1))
      setTimeout(() => response.writeHead(302, { location: `/${step + 1}` }).end(), 150)
    })
    const started = Date.now()
    await fetchError(
      hostFetch({ url: `${server.url}/0` }, options(allow(server), { timeoutMs: 400 })),
      'TIMEOUT',
    )
    expect(Date.now() - started).toBeLessThan(1500)
    // 150 ms per hop: the third hop was under way when the deadline passed.
    expect(server.requests.length).toBeLessThanOrEqual(3)
  })
})

describe('hostFetch: size limit', () => {
  it('accepts a body of exactly maxResponseBytes', async () => {
    const server = await serve((_request, response) => response.end(Buffer.alloc(1000, 0x62)))
    const response = await hostFetch({ url: server.url }, options(allow(server), { maxResponseBytes: 1000 }))
    expect(response.body.byteLength).toBe(1000)
  })

  it('accepts a HEAD response whose content-length is above the limit: it has no body', async () => {
    const server = await serve((_request, response) => {
      response.writeHead(200, { 'content-length': String(1024 * MiB) }).end()
    })
    const response = await hostFetch({ url: server.url, method: 'HEAD' }, options(allow(server)))
    expect(response.body.byteLength).toBe(0)
    expect(response.headers).toContainEqual(['content-length', String(1024 * MiB)])
  })

  it('fails at once on a content-length above the limit, before reading the body', async () => {
    let closed: Promise<number> | undefined
    const server = await serve((_request, response) => {
      response.writeHead(200, { 'content-length': String(1024 * MiB) })
      closed = streamBytes(response, 1024 * MiB).closed
    })
    const error = await fetchError(
      hostFetch({ url: server.url }, options(allow(server))),
      'RESPONSE_TOO_LARGE',
    )
    expect(error.message).toContain(`The response from ${server.url} is larger than the limit of 1 MiB.`)
    expect(error.details).toBe(`content-length is ${1024 * MiB} bytes`)
    expect(await closed).toBeLessThan(64 * MiB)
  })

  it('counts streamed bytes without content-length: a 1 GiB body ends quickly and does not fill memory', async () => {
    let closed: Promise<number> | undefined
    const server = await serve((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/octet-stream' })
      closed = streamBytes(response, 1024 * MiB).closed
    })
    const memoryBefore = process.memoryUsage().arrayBuffers
    const error = await fetchError(
      hostFetch({ url: server.url }, options(allow(server))),
      'RESPONSE_TOO_LARGE',
    )
    expect(error.details).toBe(`more than ${MiB} bytes received`)
    expect(process.memoryUsage().arrayBuffers - memoryBefore).toBeLessThan(64 * MiB)
    // The socket was destroyed: the server could hand only a few buffers' worth to the kernel.
    expect(await closed).toBeLessThan(64 * MiB)
  })

  it('reads no more than content-length when the server sends more', async () => {
    const server = await serve((request, response) => {
      // Lies about the length and sends more on the raw socket.
      request.socket.write(
        `HTTP/1.1 200 OK\r\ncontent-length: 10\r\nconnection: close\r\n\r\n${'x'.repeat(2 * MiB)}`,
      )
      request.socket.end()
      void response
    })
    const response = await hostFetch({ url: server.url }, options(allow(server)))
    // HTTP framing stops at content-length; nothing past it is read into the body.
    expect(response.body.byteLength).toBe(10)
  })

  it('fails on a body cut short of its content-length', async () => {
    const server = await serve((request) => {
      request.socket.write('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nonly ten b')
      setTimeout(() => request.socket.destroy(), 20)
    })
    const error = await fetchError(hostFetch({ url: server.url }, options(allow(server))), 'NETWORK_ERROR')
    expect(error.message).toContain('closed before the response body was complete')
  })
})

describe('hostFetch: compressed bodies', () => {
  const payload = JSON.stringify({ price: 1234.5, items: Array.from({ length: 200 }, (_, index) => index) })
  const encoders: [string, (input: Buffer) => Buffer][] = [
    ['gzip', (input) => gzipSync(input)],
    ['x-gzip', (input) => gzipSync(input)],
    ['deflate', (input) => deflateSync(input)],
    ['br', (input) => brotliCompressSync(input)],
  ]

  it.each(encoders)('decodes %s', async (encoding, encode) => {
    const server = await serve((_request, response) => {
      response.writeHead(200, { 'content-encoding': encoding }).end(encode(Buffer.from(payload)))
    })
    const response = await hostFetch({ url: server.url }, options(allow(server)))
    expect(text(response.body)).toBe(payload)
    expect(response.headers).toContainEqual(['content-encoding', encoding])
  })

  it('decodes raw deflate, which some servers send as deflate', async () => {
    const server = await serve((_request, response) => {
      response.writeHead(200, { 'content-encoding': 'deflate' }).end(deflateRawSync(Buffer.from(payload)))
    })
    expect(text((await hostFetch({ url: server.url }, options(allow(server)))).body)).toBe(payload)
  })

  it('decodes stacked encodings and multi-member gzip', async () => {
    const server = await serve((request, response) => {
      if (request.url === '/stacked') {
        response
          .writeHead(200, { 'content-encoding': 'gzip, br' })
          .end(brotliCompressSync(gzipSync(Buffer.from(payload))))
      } else {
        response
          .writeHead(200, { 'content-encoding': 'gzip' })
          .end(Buffer.concat([gzipSync(Buffer.from('first,')), gzipSync(Buffer.from('second'))]))
      }
    })
    expect(text((await hostFetch({ url: `${server.url}/stacked` }, options(allow(server)))).body)).toBe(
      payload,
    )
    expect(text((await hostFetch({ url: `${server.url}/members` }, options(allow(server)))).body)).toBe(
      'first,second',
    )
  })

  it('refuses a body in an encoding it cannot decode, and returns empty encoded bodies as empty', async () => {
    const server = await serve((request, response) => {
      if (request.method === 'HEAD') response.writeHead(200, { 'content-encoding': 'zstd' }).end()
      else response.writeHead(200, { 'content-encoding': 'zstd' }).end('opaque')
    })
    const error = await fetchError(hostFetch({ url: server.url }, options(allow(server))), 'NETWORK_ERROR')
    expect(error.shortMessage).toBe(
      `The response from ${server.url} uses content-encoding "zstd", which fetch cannot decode.`,
    )
    expect(error.details).toBe('supported: gzip, x-gzip, deflate, br')
    const head = await hostFetch({ url: server.url, method: 'HEAD' }, options(allow(server)))
    expect(head.body.byteLength).toBe(0)
  })

  it('refuses more than two encoding layers before reading the body: 1,500 gzip layers cost nothing', async () => {
    // 1,500 layers of gzip around a small payload: each layer is a few bytes more on the wire.
    let bomb = Buffer.from('{"price":1}')
    for (let layer = 0; layer < 1500; layer++) bomb = gzipSync(bomb)
    expect(bomb.byteLength).toBeLessThan(64 * 1024)
    let bodySent = false
    let closedBeforeBody: Promise<boolean> | undefined
    const server = await serve((_request, response) => {
      const encoding = Array.from({ length: 1500 }, () => 'gzip').join(', ')
      response.writeHead(200, { 'content-encoding': encoding, 'content-length': String(bomb.byteLength) })
      response.flushHeaders()
      // The body follows only if the client is still there a moment later: a refusal comes before it.
      closedBeforeBody = new Promise((resolve) => {
        const timer = setTimeout(() => {
          bodySent = true
          response.end(bomb)
        }, 300)
        response.on('close', () => {
          clearTimeout(timer)
          resolve(!bodySent)
        })
      })
    })
    const error = await fetchError(hostFetch({ url: server.url }, options(allow(server))), 'NETWORK_ERROR')
    expect(error.shortMessage).toBe(
      `The response from ${server.url} is encoded 1500 times; at most 2 content-encoding layers are decoded.`,
    )
    // No byte of the body was read, let alone decoded: the connection closed before the server sent it.
    expect(await closedBeforeBody).toBe(true)
    expect(bodySent).toBe(false)
  })

  it('decodes two layers, and refuses three even when small', async () => {
    const server = await serve((request, response) => {
      const layers = request.url === '/three' ? ['gzip', 'gzip', 'gzip'] : ['gzip', 'gzip']
      let body = Buffer.from(payload)
      for (const _ of layers) body = gzipSync(body)
      response.writeHead(200, { 'content-encoding': layers.join(', ') }).end(body)
    })
    expect(text((await hostFetch({ url: `${server.url}/two` }, options(allow(server)))).body)).toBe(payload)
    const error = await fetchError(
      hostFetch({ url: `${server.url}/three` }, options(allow(server))),
      'NETWORK_ERROR',
    )
    expect(error.details).toBe('content-encoding has 3 layers')
    const relaxed = await hostFetch(
      { url: `${server.url}/three` },
      options(allow(server), { maxEncodings: 3 }),
    )
    expect(text(relaxed.body)).toBe(payload)
  })

  it('fails on a corrupt encoded body', async () => {
    const server = await serve((_request, response) => {
      response.writeHead(200, { 'content-encoding': 'gzip' }).end('this is not gzip')
    })
    const error = await fetchError(hostFetch({ url: server.url }, options(allow(server))), 'NETWORK_ERROR')
    expect(error.message).toContain('could not be decoded (gzip)')
  })

  it('applies the limit to decoded bytes: a 1 MiB gzip bomb of 1 GiB fails without filling memory', async () => {
    // Concatenated gzip members: 1024 copies of 1 MiB of zeros, about 1 MiB on the wire.
    const member = gzipSync(Buffer.alloc(MiB))
    const bomb = Buffer.concat(Array.from({ length: 1024 }, () => member))
    expect(bomb.byteLength).toBeLessThan(2 * MiB)
    const server = await serve((_request, response) => {
      response
        .writeHead(200, { 'content-encoding': 'gzip', 'content-length': String(bomb.byteLength) })
        .end(bomb)
    })
    const memoryBefore = process.memoryUsage().arrayBuffers
    const error = await fetchError(
      hostFetch({ url: server.url }, options(allow(server), { maxResponseBytes: 5 * MiB })),
      'RESPONSE_TOO_LARGE',
    )
    expect(error.details).toBe(`more than ${5 * MiB} bytes received after decoding`)
    expect(process.memoryUsage().arrayBuffers - memoryBefore).toBeLessThan(128 * MiB)
  })

  it('applies the limit to a brotli bomb', async () => {
    const bomb = brotliCompressSync(Buffer.alloc(64 * MiB), {
      params: { [constants.BROTLI_PARAM_QUALITY]: 5 },
    })
    expect(bomb.byteLength).toBeLessThan(1024)
    const server = await serve((_request, response) => {
      response.writeHead(200, { 'content-encoding': 'br' }).end(bomb)
    })
    await fetchError(hostFetch({ url: server.url }, options(allow(server))), 'RESPONSE_TOO_LARGE')
  })

  it('asks for identity when the caller says so and does not decode what was not encoded', async () => {
    const server = await serve((_request, response) => response.end('plain'))
    await hostFetch({ url: server.url, headers: { 'Accept-Encoding': 'identity' } }, options(allow(server)))
    expect(server.requests[0]!.headers['accept-encoding']).toBe('identity')
  })
})

describe('hostFetch: failures and aborts', () => {
  it('reports a refused connection as NETWORK_ERROR with the reason', async () => {
    const server = await serve((_request, response) => response.end())
    const port = server.port
    await server.close()
    const error = await fetchError(
      hostFetch(
        { url: `http://127.0.0.1:${port}/x?key=secret` },
        options(createNetworkPolicy({ allowHosts: ['127.0.0.1'] })),
      ),
      'NETWORK_ERROR',
    )
    expect(error.message).toContain(
      `The fetch to http://127.0.0.1:${port} failed: connect ECONNREFUSED 127.0.0.1:${port}.`,
    )
    expect(error.details).toBe('code: ECONNREFUSED')
    expect(error.message).not.toContain('secret')
  })

  it('reports a name that does not resolve as NETWORK_ERROR', async () => {
    const error = await fetchError(
      hostFetch({ url: 'http://no-such-host.invalid/' }, options(createNetworkPolicy())),
      'NETWORK_ERROR',
    )
    expect(error.message).toContain('the host name could not be resolved')
  })

  it('rejects at once, without a request, when the signal is already aborted', async () => {
    const server = await serve((_request, response) => response.end())
    const controller = new AbortController()
    controller.abort()
    const error = await fetchError(
      hostFetch({ url: server.url }, options(allow(server), { signal: controller.signal })),
      'NETWORK_ERROR',
    )
    expect(error.message).toContain('was aborted')
    expect(server.requests).toHaveLength(0)
  })

  it('maps the abort reason: plain abort is NETWORK_ERROR, a TimeoutError or a TIMEOUT FetchError is TIMEOUT', async () => {
    const closes: Promise<void>[] = []
    const server = await serve((request) => {
      closes.push(new Promise((resolve) => request.socket.once('close', () => resolve())))
    })
    const plain = new AbortController()
    const pending = hostFetch({ url: server.url }, options(allow(server), { signal: plain.signal }))
    setTimeout(() => plain.abort(), 100)
    await fetchError(pending, 'NETWORK_ERROR')

    await fetchError(
      hostFetch({ url: server.url }, options(allow(server), { signal: AbortSignal.timeout(100) })),
      'TIMEOUT',
    )

    const deadline = new AbortController()
    const pendingDeadline = hostFetch(
      { url: server.url },
      options(allow(server), { signal: deadline.signal }),
    )
    setTimeout(
      () => deadline.abort(new FetchError("The invocation's deadline passed.", { code: 'TIMEOUT' })),
      100,
    )
    const error = await fetchError(pendingDeadline, 'TIMEOUT')
    expect(error.shortMessage).toBe(
      `The fetch to ${server.url} was stopped: The invocation's deadline passed.`,
    )
    // Every aborted request had its connection closed.
    await Promise.all(closes)
    expect(closes).toHaveLength(3)
  })
})

describe('hostFetch: TLS', () => {
  it('connects to the checked address and verifies the certificate against the URL host name (SNI)', async () => {
    const server = await startHttpsServer((_request, response) => response.end('secure'))
    servers.push(server)
    const agents = { http: new HttpAgent(), https: new HttpsAgent({ ca: server.cert }) }
    try {
      const policy = createNetworkPolicy({
        allowHosts: [`localhost:${server.port}`, `127.0.0.1:${server.port}`],
      })
      const response = await hostFetch({ url: `${server.url}/` }, options(policy, { agents }))
      expect(text(response.body)).toBe('secure')
      expect(server.requests[0]!.servername).toBe('localhost')

      // Same server by address: the certificate names localhost, not 127.0.0.1, so verification fails.
      const error = await fetchError(
        hostFetch({ url: `https://127.0.0.1:${server.port}/` }, options(policy, { agents })),
        'NETWORK_ERROR',
      )
      expect(error.details).toBe('code: ERR_TLS_CERT_ALTNAME_INVALID')
    } finally {
      agents.http.destroy()
      agents.https.destroy()
    }
  })

  it('rejects a certificate no CA vouches for', async () => {
    const server = await startHttpsServer((_request, response) => response.end('secure'))
    servers.push(server)
    const policy = createNetworkPolicy({ allowHosts: [`localhost:${server.port}`] })
    const error = await fetchError(hostFetch({ url: server.url }, options(policy)), 'NETWORK_ERROR')
    expect(error.message).toMatch(/self[- ]signed certificate/)
    expect(error.hint).toContain('TLS certificate')
    expect(server.requests).toHaveLength(0)
  })

  it('denies an https URL to a non-allowlisted loopback before any handshake', async () => {
    const server = await startHttpsServer((_request, response) => response.end())
    servers.push(server)
    await fetchError(hostFetch({ url: server.url }, options(createNetworkPolicy())), 'HOST_NOT_ALLOWED')
  })
})
