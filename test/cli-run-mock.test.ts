import { execFile, spawn } from 'node:child_process'
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runTeefn } from './support/runTeefn.js'
import { type StartHttpServerReturnType, startHttpServer } from './support/startHttpServer.js'

let dir: string
let api: StartHttpServerReturnType

const file = async (name: string, content: string) => {
  const path = join(dir, name)
  await writeFile(path, content)
  return path
}

/** Fetches each URL of the request (one per line) and returns what it got, or the fetch error's code and message. */
const fetchAll = `export default async function main(request) {
  const out = []
  for (const url of request.split('\\n')) {
    try {
      const response = await fetch(url, { headers: { 'X-Api-Key': 'k1' } })
      out.push({ status: response.status, type: response.headers.get('content-type'), body: await response.text() })
    } catch (error) {
      out.push({ code: error.code, message: error.message })
    }
  }
  return JSON.stringify(out)
}`

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'teefn-mock-'))
  api = await startHttpServer((_request, response) => response.end('real'))
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
  await api?.close()
})

describe('teefn run --mock', () => {
  it('answers from the mocks and sends nothing to the network, even to an allowed host', async () => {
    const entry = await file('fetchAll.js', fetchAll)
    const mocks = await file(
      'mocks.json',
      JSON.stringify([
        { request: { url: `${api.url}/price?pair=ETH` }, response: { json: { price: 3000.5 } } },
        { request: { url: `${api.url}/v1/*`, headers: { 'x-api-key': 'k1' } }, response: { body: 'prefix' } },
        { request: { url: `${api.url}/v2/*`, headers: { 'x-api-key': 'other' } }, response: { body: 'no' } },
      ]),
    )
    const hits = api.requests.length
    const urls = [`${api.url}/price?pair=ETH`, `${api.url}/v1/a?b=c`, `${api.url}/v2/a`]
    const { status, stdout, stderr } = await runTeefn([
      'run',
      entry,
      '--mock',
      mocks,
      '--allow-host',
      `127.0.0.1:${api.port}`,
      '--request',
      urls.join('\n'),
      '--json',
    ])
    expect(status, stderr).toBe(0)
    const report = JSON.parse(stdout)
    expect(JSON.parse(report.result)).toEqual([
      { status: 200, type: 'application/json', body: '{"price":3000.5}' },
      { status: 200, type: null, body: 'prefix' },
      { code: 'NETWORK_ERROR', message: expect.stringContaining(`No mock matches GET ${api.url}/v2/a.`) },
    ])
    expect(report.stats.fetches).toBe(3)
    expect(api.requests).toHaveLength(hits)
  })

  it('counts mocked fetches against the limit: the 17th fails as a real 17th does', async () => {
    const entry = await file('fetchAll.js', fetchAll)
    const mocks = await file(
      'everything.json',
      JSON.stringify([{ request: { url: `${api.url}/*` }, response: { body: 'x' } }]),
    )
    const request = Array.from({ length: 17 }, (_, index) => `${api.url}/${index}`).join('\n')
    const args = ['run', entry, '--allow-host', `127.0.0.1:${api.port}`, '--request', request, '--json']
    const hits = api.requests.length
    const mocked = JSON.parse((await runTeefn([...args, '--mock', mocks])).stdout)
    expect(api.requests).toHaveLength(hits)
    const real = JSON.parse((await runTeefn(args)).stdout)
    expect(api.requests).toHaveLength(hits + 16)
    const lastMocked = JSON.parse(mocked.result).at(-1)
    expect(lastMocked.code).toBe('TOO_MANY_REQUESTS')
    expect(lastMocked).toEqual(JSON.parse(real.result).at(-1))
    expect(JSON.parse(mocked.result).slice(0, 16)).toEqual(
      Array(16).fill({ status: 200, type: null, body: 'x' }),
    )
  })

  it('applies the response size limit to mocked bodies', async () => {
    const entry = await file('fetchAll.js', fetchAll)
    const mocks = await file(
      'large.json',
      JSON.stringify([
        {
          request: { url: 'https://api.example.com/large' },
          response: { body: 'x'.repeat(5 * 1024 * 1024 + 1) },
        },
      ]),
    )
    const { stdout } = await runTeefn([
      'run',
      entry,
      '--mock',
      mocks,
      '--request',
      'https://api.example.com/large',
      '--json',
    ])
    expect(JSON.parse(JSON.parse(stdout).result)).toEqual([
      { code: 'RESPONSE_TOO_LARGE', message: expect.stringContaining('larger than the limit of 5 MiB') },
    ])
  })

  it.each([
    ['bad JSON', '[{"request": ', /--mock .*bad JSON\.json is not valid JSON/],
    ['a missing url', '[{"request": {}, "response": {}}]', /mocks\[0\]\.request\.url must be a URL string/],
    [
      'both body and json',
      '[{"request": {"url": "https://a.example/"}, "response": {"body": "", "json": 1}}]',
      /mocks\[0\]\.response has both body and json/,
    ],
    [
      'a status out of range',
      '[{"request": {"url": "https://a.example/"}, "response": {}}, {"request": {"url": "https://a.example/"}, "response": {"status": 600}}]',
      /mocks\[1\]\.response\.status must be a whole number from 200 to 599 \(got 600\)/,
    ],
  ])('refuses a mock file with %s: exit 2, naming the entry and field', async (name, content, message) => {
    const entry = await file('fetchAll.js', fetchAll)
    const mocks = await file(`${name}.json`, content)
    const { status, stdout, stderr } = await runTeefn(['run', entry, '--mock', mocks, '--json'])
    expect(status).toBe(2)
    expect(stdout).toBe('')
    expect(stderr).toMatch(message)
  })
})

describe('teefn/testing', () => {
  it('exports runFunction with mocks to a project that installed teefn', async () => {
    const hits = api.requests.length
    const project = join(dir, 'project')
    await mkdir(join(project, 'node_modules'), { recursive: true })
    await symlink(
      fileURLToPath(new URL('..', import.meta.url)),
      join(project, 'node_modules', 'teefn'),
      'dir',
    )
    await writeFile(
      join(project, 'index.ts'),
      'export default async (url: string) => (await fetch(url)).text()',
    )
    await writeFile(
      join(project, 'check.mjs'),
      `import { runFunction } from 'teefn/testing'
      const report = await runFunction({
        entry: 'index.ts',
        request: ${JSON.stringify(`${api.url}/a`)},
        allowHosts: ['127.0.0.1:${api.port}'],
        mocks: [{ request: { url: ${JSON.stringify(`${api.url}/a`)} }, response: { body: 'mocked' } }],
      })
      console.log(JSON.stringify(report))`,
    )
    const { stdout } = await promisify(execFile)(process.execPath, ['check.mjs'], { cwd: project })
    expect(JSON.parse(stdout)).toMatchObject({ ok: true, result: 'mocked', stats: { fetches: 1 } })
    expect(api.requests).toHaveLength(hits)
  })
})

describe('teefn run --watch --mock', () => {
  it('reads the mock file again and runs again when it is saved', async () => {
    const entry = await file('text.js', 'export default async (url) => (await fetch(url)).text()')
    const mocks = await file('watched.json', mockOf('one'))
    const bin = fileURLToPath(new URL('../bin/teefn.js', import.meta.url))
    const args = [
      bin,
      'run',
      entry,
      '--mock',
      mocks,
      '--request',
      'https://api.example.com/a',
      '--watch',
      '--json',
    ]
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => {
      stdout += chunk
    })
    child.stderr.on('data', (chunk) => {
      stderr += chunk
    })
    const lines = async (count: number) => {
      const deadline = Date.now() + 30_000
      while (stdout.split('\n').length <= count) {
        if (Date.now() > deadline || child.exitCode !== null)
          throw new Error(`stdout: ${stdout}\nstderr: ${stderr}`)
        await new Promise((wake) => setTimeout(wake, 100))
      }
      return stdout
        .split('\n')
        .slice(0, count)
        .map((line) => JSON.parse(line))
    }
    try {
      expect((await lines(1))[0]).toMatchObject({ ok: true, result: 'one' })
      await writeFile(mocks, mockOf('two'))
      expect((await lines(2))[1]).toMatchObject({ ok: true, result: 'two' })
    } finally {
      const exited = new Promise((done) => child.once('exit', done))
      child.kill('SIGINT')
      await exited
    }
  })
})

function mockOf(body: string): string {
  return JSON.stringify([{ request: { url: 'https://api.example.com/a' }, response: { body } }])
}
