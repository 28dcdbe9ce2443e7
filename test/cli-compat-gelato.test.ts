import { readFile, writeFile } from 'node:fs/promises'
import { Interface } from 'ethers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createGelatoProject, type GelatoProject } from './support/gelatoProject.js'
import { runTeefn } from './support/runTeefn.js'

const oracle = '0x00000000000000000000000000000000000000aa'
let project: GelatoProject
let mocks: string

beforeAll(async () => {
  project = await createGelatoProject()
  mocks = project.file('mocks.json')
  await writeFile(
    mocks,
    JSON.stringify([
      {
        request: { url: 'https://prices.example/price?asset=ETH', headers: { 'x-api-key': 'k1' } },
        response: { json: { price: 3000.5 } },
      },
      {
        request: { method: 'POST', url: 'https://rpc.example/' },
        response: { json: { jsonrpc: '2.0', id: 1, result: '0x10' } },
      },
    ]),
  )
})

afterAll(async () => {
  await project?.remove()
})

/** `teefn run --compat gelato` on a fixture of the project, with the mocks; the parsed `--json` report. */
async function runGelato(userArgs: Record<string, unknown>, extra: string[] = [], file = 'priceKeeper.ts') {
  const { status, stdout, stderr } = await runTeefn(
    [
      'run',
      project.file(file),
      '--compat',
      'gelato',
      '--user-args',
      JSON.stringify(userArgs),
      '--secrets',
      '{"API_KEY":"k1"}',
      '--mock',
      mocks,
      '--json',
      ...extra,
    ],
    { timeoutMs: 60_000, cwd: project.dir },
  )
  expect(stderr).toBe('')
  return { status, report: JSON.parse(stdout) }
}

const update = { scenario: 'update', api: 'https://prices.example', asset: 'ETH', minChangeBps: 50, oracle }

describe('teefn run --compat gelato', () => {
  it('runs a Web3 Function unmodified: userArgs, secrets, storage read and written back, gelatoArgs, callData', async () => {
    const storage = project.file('storage.json')
    await writeFile(storage, JSON.stringify({ runs: '4', stale: 'x', lastPrice: '2900' }))
    const args = ['--storage', storage, '--chain-id', '137', '--gas-price', '30000000000']
    const { status, report } = await runGelato(update, args)
    expect(report.error).toBeNull()
    expect(status).toBe(0)
    const data = new Interface(['function updatePrice(uint256 price, uint256 gasPrice)']).encodeFunctionData(
      'updatePrice',
      [300050n, 30_000_000_000n],
    )
    expect(report.result).toBe(`{"canExec":true,"callData":[{"to":"${oracle}","data":"${data}"}]}`)
    expect(report.logs.map((entry: { message: string }) => entry.message)).toEqual([
      'chain 137, gas price 30000000000 wei, run 5',
      'keys runs,lastPrice, size 31',
    ])
    expect(report.compat).toEqual({ storage: { runs: '5', lastPrice: '3000.5' } })
    expect(JSON.parse(await readFile(storage, 'utf8'))).toEqual({ runs: '5', lastPrice: '3000.5' })
    expect(report.stats.fetches).toBe(1)

    // The next run reads what this one stored: the price did not move enough.
    const again = await runGelato({ ...update, minChangeBps: 500 }, args)
    expect(again.report.result).toBe('{"canExec":false,"message":"Price moved 0.0 bps, below 500"}')
    expect(JSON.parse(await readFile(storage, 'utf8'))).toEqual({ runs: '6', lastPrice: '3000.5' })
  })

  it("gives Gelato's w3f test defaults as gelatoArgs without a chain to ask", async () => {
    const { report } = await runGelato(update)
    expect(report.logs[0].message).toBe('chain 11155111, gas price 10 wei, run 1')
  })

  it('fails a thrown Error with its message and position, and a thrown non-Error naming it; storage stays', async () => {
    const storage = project.file('kept.json')
    await writeFile(storage, '{"runs":"1"}')
    const thrown = await runGelato({ scenario: 'throw-error' }, ['--storage', storage])
    expect(thrown.status).toBe(1)
    expect(thrown.report.error.code).toBe('FUNCTION_ERROR')
    expect(thrown.report.error.message).toMatch(/^Error: feed down at .*priceKeeper\.ts:14:/)
    expect(thrown.report).not.toHaveProperty('compat')
    const string = await runGelato({ scenario: 'throw-string' }, ['--storage', storage])
    expect(string.report.error.message).toContain('Web3Function threw a string, not an Error: "feed down"')
    expect(await readFile(storage, 'utf8')).toBe('{"runs":"1"}')
  })

  it("refuses a result without canExec with Gelato's message, and the 1.0.0 callData string", async () => {
    const object = await runGelato({ scenario: 'no-canexec' })
    expect(object.report.error.message).toContain(
      'Web3Function must return {canExec: bool}. Instead returned: {"price":1}',
    )
    const number = await runGelato({ scenario: 'number' })
    expect(number.report.error.message).toContain(
      'Web3Function must return {canExec: bool}. Instead returned: 42',
    )
    const v1 = await runGelato({ scenario: 'v1-calldata' })
    expect(v1.report.error.message).toContain('names no target contract')
  })

  it('fails a function that never registers onRun', async () => {
    const { status, report } = await runGelato({}, [], 'notRegistered.js')
    expect(status).toBe(1)
    expect(report.error.message).toContain('Web3Function.onRun function is not registered')
  })

  it('fails a result over the 64 KiB limit naming it, unless the caller raises it', async () => {
    const { report } = await runGelato({ scenario: 'too-large' })
    expect(report.error).toMatchObject({ code: 'RESULT_TOO_LARGE', limit: 'resultBytes' })
    const raised = await runGelato({ scenario: 'too-large' }, ['--result-bytes', String(128 * 1024)])
    expect(raised.report.result).toBe(`{"canExec":false,"message":"${'x'.repeat(70 * 1024)}"}`)
  })

  it("stops a run at Gelato's 5 s, naming the limit", async () => {
    const { report } = await runGelato({ scenario: 'loop' })
    expect(report.error).toMatchObject({ code: 'TIMEOUT', limit: 'timeoutMs' })
    expect(report.error.message).toContain('5000 ms')
  })

  it('stops a run at the memory limit, naming it', async () => {
    const { report } = await runGelato({ scenario: 'memory' })
    expect(report.error).toMatchObject({ code: 'MEMORY_LIMIT', limit: 'memoryBytes' })
  })

  it('fails a run whose storage is over its limit, naming it, and writes nothing back', async () => {
    const storage = project.file('small.json')
    await writeFile(storage, '{}')
    const { report } = await runGelato({ scenario: 'big-storage' }, ['--storage', storage])
    expect(report.error).toMatchObject({ code: 'FUNCTION_ERROR', limit: 'storageBytes' })
    expect(report.error.message).toContain(
      'Web3Function storage exceeds limit: 307211 bytes, the limit is 261120',
    )
    expect(report).not.toHaveProperty('compat')
    expect(await readFile(storage, 'utf8')).toBe('{}')
  })

  it('refuses the sixth RPC call and fails the run even when the function caught it, unless raised', async () => {
    const rpc = ['--rpc', 'https://rpc.example/', '--chain-id', '1', '--gas-price', '1']
    const { status, report } = await runGelato({ scenario: 'rpc-six' }, rpc)
    expect(status).toBe(1)
    expect(report.error).toMatchObject({
      code: 'FUNCTION_ERROR',
      limit: 'rpcCalls',
      message: expect.stringContaining('Web3Function exited with code=250 (RPC requests limit exceeded)'),
    })
    expect(report.logs[0].message).toBe(
      'call 6 refused: Request limit exceeded. (RPC call 6 of at most 5 per run)',
    )
    expect(report.stats.fetches).toBe(5)
    const raised = await runGelato({ scenario: 'rpc-six' }, [...rpc, '--rpc-calls', '6'])
    expect(raised.report.result).toBe('{"canExec":false,"message":"caught the refusal"}')
    expect(raised.report.stats.fetches).toBe(6)
  })
})

describe('teefn build --compat gelato', () => {
  it('builds the mode into the bundle: its own codeHash, and the built file runs as the source does', async () => {
    const output = project.file('built.js')
    const built = await runTeefn([
      'build',
      project.file('priceKeeper.ts'),
      '--compat',
      'gelato',
      '-o',
      output,
      '--json',
    ])
    expect(built.status, built.stderr).toBe(0)
    const { codeHash, compat } = JSON.parse(built.stdout)
    expect(compat).toBe('gelato')
    expect(codeHash).toMatch(/^0x[0-9a-f]{64}$/)
    const code = await readFile(output, 'utf8')
    expect(code.startsWith('// teefn-compat: gelato\n')).toBe(true)
    // Not wrapped again: userArgs reach it, and it gets the mode's limits from its first line.
    const { report } = await runGelato({ scenario: 'no-canexec' }, [], 'built.js')
    expect(report.error.message).toContain('Instead returned: {"price":1}')
  })

  it("fails the build on Deno's API and on npm: specifiers, saying what to do", async () => {
    const deno = await runTeefn(['build', project.file('usesDeno.ts'), '--compat', 'gelato'])
    expect(deno.status).not.toBe(0)
    expect(deno.stderr).toContain("Deno.env is Deno's API, which teefn's QuickJS sandbox does not have")
    expect(deno.stderr).toContain('usesDeno.ts:6:14')
    expect(deno.stderr).toContain('context.secrets.get(name)')
    const npm = await runTeefn(['build', project.file('usesNpmSpecifier.ts'), '--compat', 'gelato'])
    expect(npm.status).not.toBe(0)
    expect(npm.stderr).toContain('"npm:ky@1.2.0" is a Deno npm: specifier')
    expect(npm.stderr).toContain('npm install ky')
  })
})
