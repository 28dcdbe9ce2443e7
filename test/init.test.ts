import { type ChildProcessByStdio, execFile, spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import type { Readable, Writable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runTeefn } from './support/runTeefn.js'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const bin = join(root, 'bin', 'teefn.js')
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')

/** The environment of a user's shell: none of the npm_* variables of the npm that may be running vitest. */
const userEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)))

type Ran = { status: number | null; stdout: string; stderr: string }

/** Runs a program to its end and collects its output (a failing exit status is a result, not an error). */
function runProgram(file: string, args: string[], cwd: string): Promise<Ran> {
  return new Promise((done) => {
    execFile(file, args, { cwd, env: userEnv, timeout: 120_000 }, (error, stdout, stderr) => {
      const status = error ? (typeof error.code === 'number' ? error.code : null) : 0
      done({ status, stdout, stderr })
    })
  })
}

let work: string
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'teefn-init-'))
})
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true })
})

describe('teefn init: from an empty folder to a tested function', () => {
  let project: string

  it('creates the project, npm installs it without the network, and npm test passes', async () => {
    project = join(work, 'My Price Feed')
    const init = await runTeefn(['init', project], { cwd: work, timeoutMs: 30_000 })
    expect(init.status, init.stderr).toBe(0)
    expect(init.stdout).toContain('npm install')
    for (const file of [
      'package.json',
      'README.md',
      '.gitignore',
      'tsconfig.json',
      'src/index.ts',
      'test/index.test.js',
      'contracts/PriceConsumer.sol',
    ]) {
      expect(existsSync(join(project, file)), file).toBe(true)
    }
    const manifest = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8'))
    expect(manifest.name).toBe('my-price-feed')
    expect(manifest.devDependencies).toEqual({ teefn: `file:${root}` })
    expect(manifest.scripts.test).toBe('node --test')

    // teefn is a file: link: npm needs nothing from the registry (--offline makes sure of it). No scripts:
    // npm would run the linked checkout's prepare, a build of the dist/ other tests are running.
    const install = await runProgram(
      'npm',
      ['install', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'],
      project,
    )
    expect(install.status, install.stderr).toBe(0)
    expect(existsSync(join(project, 'node_modules', 'teefn', 'bin', 'teefn.js'))).toBe(true)

    const tested = await runProgram('npm', ['test'], project)
    expect(tested.status, `${tested.stdout}\n${tested.stderr}`).toBe(0)
    expect(tested.stdout).toMatch(/^# pass 3$/m)
    expect(tested.stdout).toMatch(/^# fail 0$/m)
  }, 120_000)

  it("has a test that fails when the function's answer is wrong", async () => {
    const entry = join(project, 'src', 'index.ts')
    const source = readFileSync(entry, 'utf8')
    try {
      writeFileSync(entry, source.replace('price * 1e8', 'price * 1e6'))
      const tested = await runProgram('npm', ['test'], project)
      expect(tested.status).not.toBe(0)
      expect(tested.stdout).toMatch(/^not ok 1 - returns the price as a uint256 with 8 decimals$/m)
    } finally {
      writeFileSync(entry, source)
    }
  }, 60_000)

  it('type-checks against teefn/function, and a function returning the wrong type does not', async () => {
    // teefn's own fetch option is part of the types as well.
    const withOption = join(project, 'src', 'withOption.ts')
    writeFileSync(
      withOption,
      "export const get = (key: string) => fetch('https://api.example.com', { headers: { 'x-api-key': key }, crossOriginHeaders: ['x-api-key'] })\n",
    )
    const checked = await runProgram(process.execPath, [tsc, '-p', '.'], project)
    rmSync(withOption)
    expect(checked.status, checked.stdout).toBe(0)

    const wrong = join(project, 'src', 'wrong.ts')
    writeFileSync(
      wrong,
      "import type { Main } from 'teefn/function'\nconst main: Main = () => 42\nexport default main\n",
    )
    try {
      const refused = await runProgram(process.execPath, [tsc, '-p', '.'], project)
      expect(refused.status).not.toBe(0)
      expect(refused.stdout).toContain("src/wrong.ts(2,26): error TS2322: Type 'number' is not assignable")
    } finally {
      rmSync(wrong)
    }
  }, 60_000)

  it('has a consumer contract that compiles against TeefnConsumer from the installed package', () => {
    const fromProject = createRequire(join(project, 'package.json'))
    const fromTeefn = createRequire(fromProject.resolve('teefn/package.json'))
    const solc = createRequire(import.meta.url)('solc') as {
      compile: (input: string, callbacks: object) => string
    }
    const input = {
      language: 'Solidity',
      sources: {
        'contracts/PriceConsumer.sol': {
          content: readFileSync(join(project, 'contracts', 'PriceConsumer.sol'), 'utf8'),
        },
      },
      settings: { outputSelection: { 'contracts/PriceConsumer.sol': { PriceConsumer: ['abi'] } } },
    }
    // The remappings the project's README gives: teefn/ from the project, the rest from teefn's dependencies.
    const findImport = (path: string) => {
      try {
        const require = path.startsWith('teefn/') ? fromProject : fromTeefn
        return { contents: readFileSync(require.resolve(path), 'utf8') }
      } catch (error) {
        return { error: String(error) }
      }
    }
    const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImport })) as {
      errors?: { severity: string; formattedMessage: string }[]
      contracts?: Record<string, Record<string, { abi: { name?: string }[] }>>
    }
    const errors = (output.errors ?? []).filter((error) => error.severity === 'error')
    expect(errors.map((error) => error.formattedMessage)).toEqual([])
    const abi = output.contracts?.['contracts/PriceConsumer.sol']?.PriceConsumer?.abi ?? []
    expect(abi.map((entry) => entry.name)).toEqual(
      expect.arrayContaining(['requestPrice', 'fulfill', 'latestPrice', 'functionId']),
    )
  }, 60_000)

  it('refuses a folder that is not empty, and writes nothing into it', async () => {
    const occupied = join(work, 'occupied')
    mkdirSync(occupied)
    writeFileSync(join(occupied, 'notes.txt'), 'mine')
    const { status, stdout, stderr } = await runTeefn(['init', occupied], { cwd: work, timeoutMs: 30_000 })
    expect(status).toBe(2)
    expect(stdout).toBe('')
    expect(stderr).toBe(
      `teefn: ${occupied} is not empty (it holds notes.txt) (teefn init writes into a new or empty folder: teefn init <new folder>)\n`,
    )
    expect(existsSync(join(occupied, 'package.json'))).toBe(false)
  })
})

/** A `teefn` process whose stdout is read line by line while it runs. */
class LiveTeefn {
  readonly child: ChildProcessByStdio<Writable, Readable, Readable>
  readonly lines: string[] = []
  stderr = ''
  #waiters: (() => void)[] = []

  constructor(args: string[], cwd: string) {
    this.child = spawn(process.execPath, [bin, ...args], { cwd, stdio: ['pipe', 'pipe', 'pipe'] })
    let partial = ''
    this.child.stdout.on('data', (chunk) => {
      partial += chunk
      const complete = partial.split('\n')
      partial = complete.pop() ?? ''
      this.lines.push(...complete)
      for (const wake of this.#waiters.splice(0)) wake()
    })
    this.child.stderr.on('data', (chunk) => {
      this.stderr += chunk
    })
  }

  /** Resolves once stdout holds `count` lines; rejects after `timeoutMs` with what it printed. */
  async waitForLines(count: number, timeoutMs = 30_000): Promise<string[]> {
    const deadline = Date.now() + timeoutMs
    while (this.lines.length < count) {
      if (Date.now() > deadline || this.child.exitCode !== null) {
        throw new Error(`expected ${count} lines, got: ${this.lines.join('\n')}\nstderr: ${this.stderr}`)
      }
      await new Promise<void>((wake) => {
        this.#waiters.push(wake)
        setTimeout(wake, 200)
      })
    }
    return this.lines.slice(0, count)
  }

  /** Sends `signal` and resolves with the exit status. */
  stop(signal: NodeJS.Signals): Promise<number | null> {
    return new Promise((done) => {
      if (this.child.exitCode !== null) return done(this.child.exitCode)
      this.child.once('exit', (status) => done(status))
      this.child.kill(signal)
    })
  }
}

describe('teefn run --watch', () => {
  it('runs again when a file the function imports is saved, prints each run, and exits 0 on Ctrl-C', async () => {
    const dir = join(work, 'watched')
    mkdirSync(join(dir, 'src'), { recursive: true })
    writeFileSync(join(dir, 'src', 'word.ts'), "export const word: string = 'one'\n")
    writeFileSync(
      join(dir, 'src', 'index.ts'),
      "import { word } from './word.js'\nexport default (): string => word\n",
    )
    const watching = new LiveTeefn(['run', 'src/index.ts', '--watch', '--json'], dir)
    try {
      const [first] = await watching.waitForLines(1)
      expect(JSON.parse(first!)).toMatchObject({ ok: true, result: 'one' })

      // Saved twice in quick succession (an editor writing in steps): one more run, with the last content.
      writeFileSync(join(dir, 'src', 'word.ts'), "export const word: string = 'tw'\n")
      writeFileSync(join(dir, 'src', 'word.ts'), "export const word: string = 'two'\n")
      const [, second] = await watching.waitForLines(2)
      expect(JSON.parse(second!)).toMatchObject({ ok: true, result: 'two' })
      expect(watching.stderr).toContain('src/word.ts changed, running again')

      // An imported file that does not parse is a run that reports it; fixing it runs again.
      writeFileSync(join(dir, 'src', 'word.ts'), "export const word: string = 'two\n")
      const [, , broken] = await watching.waitForLines(3)
      expect(JSON.parse(broken!)).toMatchObject({ ok: false, error: { code: 'SYNTAX_ERROR' } })
      writeFileSync(join(dir, 'src', 'word.ts'), "export const word: string = 'fixed'\n")
      const [, , , fixed] = await watching.waitForLines(4)
      expect(JSON.parse(fixed!)).toMatchObject({ ok: true, result: 'fixed' })

      // A save that breaks the function is a run too: its error names the source line.
      writeFileSync(
        join(dir, 'src', 'index.ts'),
        "export default (): string => {\n  throw new Error('three')\n}\n",
      )
      const [, , , , thrown] = await watching.waitForLines(5)
      expect(JSON.parse(thrown!)).toMatchObject({
        ok: false,
        error: { code: 'FUNCTION_ERROR', message: expect.stringMatching(/three .*src\/index\.ts:2:\d+/) },
      })
    } finally {
      const status = await watching.stop('SIGINT')
      expect(status, watching.stderr).toBe(0)
    }
    expect(watching.lines).toHaveLength(5)
  }, 60_000)

  it('exits 2 for wrong usage, as without --watch, instead of watching', async () => {
    const entry = join(work, 'usage.js')
    writeFileSync(entry, 'export default () => "x"')
    const cases: [string[], RegExp][] = [
      [['run', join(work, 'missing.ts'), '--watch'], /^teefn: cannot read the function file .*missing\.ts/],
      [['run', entry, '--watch', '--timeout', '99999999'], /^teefn: .*timeout/i],
      [['run', '-', '--watch'], /^teefn: --watch needs a file to watch, not stdin/],
    ]
    for (const [args, message] of cases) {
      const { status, stderr } = await runTeefn(args, { cwd: work, timeoutMs: 30_000 })
      expect(stderr, args.join(' ')).toMatch(message)
      expect(status, args.join(' ')).toBe(2)
    }
  })
})

describe('teefn run: errors point at the source line', () => {
  it('maps the sandbox position of a thrown error back to the TypeScript file, line and column', async () => {
    const dir = join(work, 'mapped')
    mkdirSync(join(dir, 'src'), { recursive: true })
    writeFileSync(
      join(dir, 'src', 'parse.ts'),
      [
        'type Quote = { price: number }',
        '',
        '/** Types and comments take lines in the source that the bundle does not have. */',
        'export function parse(text: string): Quote {',
        '  const quote = JSON.parse(text) as Quote',
        "  if (typeof quote.price !== 'number') throw new TypeError('no price')",
        '  return quote',
        '}',
        '',
      ].join('\n'),
    )
    writeFileSync(
      join(dir, 'src', 'index.ts'),
      "import { parse } from './parse.js'\n\nexport default (request: string): string => String(parse(request).price)\n",
    )
    const failed = await runTeefn(['run', 'src/index.ts', '--request', '{}', '--json'], {
      cwd: dir,
      timeoutMs: 30_000,
    })
    expect(failed.status).toBe(1)
    const { error } = JSON.parse(failed.stdout)
    expect(error.code).toBe('FUNCTION_ERROR')
    // Line 6, column 50 (`TypeError(`, where QuickJS places the call): not the bundle's function.js position.
    expect(error.message).toBe('TypeError: no price at parse (src/parse.ts:6:50)')

    const ok = await runTeefn(['run', 'src/index.ts', '--request', '{"price":3}', '--json'], {
      cwd: dir,
      timeoutMs: 30_000,
    })
    expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true, result: '3' })
  }, 60_000)
})
