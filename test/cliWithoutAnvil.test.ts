import { execFile } from 'node:child_process'
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runTeefn } from './support/runTeefn.js'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')

/**
 * The built install as it is on a machine without `@foundry-rs/anvil-linux-amd64` (macOS, ARM, or
 * `--omit=optional`): package.json, bin/ and a copy of dist/ (copied, so that modules resolve packages from
 * the copy's node_modules), with node_modules holding links to every installed package except `@foundry-rs`.
 * dist/test and dist/bench (left by an older build) are not copied: nothing the CLI ships may need them.
 */
let install: string
let bin: string
let work: string
/** No TEEFN_ANVIL_BIN: the CLI must find no anvil at all. */
const env = { ...process.env, TEEFN_ANVIL_BIN: '' }

beforeAll(() => {
  install = mkdtempSync(join(tmpdir(), 'teefn-install-'))
  cpSync(join(root, 'package.json'), join(install, 'package.json'))
  cpSync(join(root, 'bin'), join(install, 'bin'), { recursive: true })
  cpSync(join(root, 'templates'), join(install, 'templates'), { recursive: true })
  const skipped = [join(root, 'dist', 'test'), join(root, 'dist', 'bench')]
  cpSync(join(root, 'dist'), join(install, 'dist'), {
    recursive: true,
    filter: (source) => !skipped.some((dir) => source === dir || source.startsWith(`${dir}${sep}`)),
  })
  const modules = join(root, 'node_modules')
  mkdirSync(join(install, 'node_modules'))
  for (const name of readdirSync(modules)) {
    if (name === '@foundry-rs') continue
    symlinkSync(join(modules, name), join(install, 'node_modules', name))
  }
  bin = join(install, 'bin', 'teefn.js')
  work = mkdtempSync(join(tmpdir(), 'teefn-no-anvil-'))
})

afterAll(() => {
  if (install) rmSync(install, { recursive: true, force: true })
  if (work) rmSync(work, { recursive: true, force: true })
})

const teefn = (args: string[]) => runTeefn(args, { bin, env, cwd: work, timeoutMs: 60_000 })

describe('teefn without the anvil package', () => {
  it('has no anvil to find: the copy holds no @foundry-rs package, and none is above it', async () => {
    const found = await promisify(execFile)(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "import { createRequire } from 'node:module'; try { createRequire(process.argv[1]).resolve('@foundry-rs/anvil-linux-amd64/bin/anvil'); console.log('found') } catch { console.log('absent') }",
        join(install, 'dist', 'dev', 'startAnvil.js'),
      ],
      { cwd: work },
    )
    expect(found.stdout.trim()).toBe('absent')
  })

  it('prints its help, its version and every command help, exiting 0', async () => {
    const help = await teefn(['--help'])
    expect(help.status, help.stderr).toBe(0)
    const commands = [
      'init',
      'build',
      'run',
      'deploy',
      'invoke',
      'jobs',
      'verify',
      'secrets',
      'settings',
      'attest',
      'chain',
    ]
    for (const command of [...commands, 'node', 'demo']) expect(help.stdout).toContain(`  ${command}`)

    const version = await teefn(['--version'])
    expect(version.status).toBe(0)
    expect(version.stdout.trim()).toBe(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version)

    const everyCommand = [
      ...commands,
      'node',
      'demo',
      'secrets encrypt',
      'secrets put',
      'secrets delete',
      'settings put',
      'attest verify',
      'chain deploy-registry',
      'chain deploy-consumer',
      'chain register',
      'chain upgrade',
      'chain lock',
      'chain admit',
      'chain policy',
      'chain gatekeepers',
      'chain set-gatekeepers',
      'chain pin-measurement',
      'chain renounce-admin',
      'chain sign-admission',
      'chain admit-by-quorum',
      'chain show',
      'chain show function',
      'chain show worker',
    ]
    for (const command of everyCommand) {
      const { status, stdout, stderr } = await teefn([...command.split(' '), '--help'])
      expect(status, `${command}: ${stderr}`).toBe(0)
      expect(stdout, command).toMatch(new RegExp(`^Usage: teefn ${command} `))
    }
  })

  it('runs a function, as is and bundled', async () => {
    const plain = join(work, 'hello.js')
    writeFileSync(plain, 'export default (request) => "hello " + request')
    const ran = await teefn(['run', plain, '--request', 'there', '--json'])
    expect(ran.status, ran.stderr).toBe(0)
    expect(JSON.parse(ran.stdout)).toMatchObject({ ok: true, result: 'hello there' })

    // TypeScript goes through esbuild: the bundler loads from the copy as well.
    const typed = join(work, 'typed.ts')
    writeFileSync(typed, 'export default (request: string): string => request.length.toString()')
    const bundled = await teefn(['run', typed, '--request', 'four', '--json'])
    expect(bundled.status, bundled.stderr).toBe(0)
    expect(JSON.parse(bundled.stdout)).toMatchObject({ ok: true, result: '4' })
  })

  it('creates a function project linked to the install that ran teefn init', async () => {
    const project = join(work, 'project')
    const { status, stdout, stderr } = await teefn(['init', project])
    expect(status, stderr).toBe(0)
    expect(stdout).toContain('npm test')
    const manifest = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8'))
    expect(manifest.devDependencies).toEqual({ teefn: `file:${install}` })
    expect(readFileSync(join(project, 'src', 'index.ts'), 'utf8')).toContain("from 'teefn/function'")
  })

  it('loads every command when it runs: each reaches its own checks (exit 1 or 2, never a load error)', async () => {
    const missing = join(work, 'missing')
    const occupied = join(work, 'occupied')
    mkdirSync(occupied, { recursive: true })
    writeFileSync(join(occupied, 'index.ts'), 'export default () => "mine"')
    const address = `0x${'00'.repeat(19)}01`
    const cases: [string[], number, RegExp][] = [
      [
        ['init', occupied],
        2,
        /^teefn: .*occupied is not empty \(it holds index\.ts\) \(teefn init writes into /,
      ],
      [['build', `${missing}.ts`], 1, /^teefn: Could not bundle /],
      [['migrate', `${missing}.js`, '--from', 'lit'], 2, /^teefn: cannot read the function file /],
      [['deploy', `${missing}.js`], 2, /^teefn: deploy needs the owner key/],
      [['invoke', 'nothex'], 2, /^teefn: nothex is not a codeHash/],
      [['jobs', 'BAD!'], 2, /^teefn: BAD! is not a job id/],
      [['verify', `${missing}.json`], 2, /^teefn: cannot read the envelope file /],
      [
        [
          'secrets',
          'encrypt',
          '--worker-key',
          '0x12',
          '--chain-id',
          '1',
          '--function-id',
          '0x01',
          '--secrets',
          '{}',
        ],
        2,
        /^teefn: --worker-key must be 32 bytes/,
      ],
      [
        [
          'secrets',
          'put',
          '--chain-id',
          '1',
          '--registry',
          address,
          '--function-id',
          'bad',
          '--secrets',
          '{}',
        ],
        2,
        /^teefn: --function-id /,
      ],
      [
        ['secrets', 'delete', '--chain-id', '1', '--registry', address, '--function-id', 'bad'],
        2,
        /^teefn: --function-id /,
      ],
      [
        [
          'settings',
          'put',
          '--http-secrets',
          'maybe',
          '--chain-id',
          '1',
          '--registry',
          address,
          '--function-id',
          '0x01',
        ],
        2,
        /^teefn: --http-secrets must be true or false/,
      ],
      [['attest', 'verify', '--quote', missing], 2, /^teefn: cannot read the quote file /],
      [['node', '--config', `${missing}.json`], 1, /^teefn: Cannot read the config file /],
      [
        ['chain', 'deploy-registry'],
        2,
        /^teefn: teefn chain deploy-registry signs a transaction: pass --key/,
      ],
      [
        ['chain', 'show', 'function', '0x01', '--registry', address],
        2,
        /^teefn: the functionId must be bytes32 /,
      ],
      [
        ['chain', 'admit', '--registry', address, '--expires-in', 'soon', '--key', 'env:TEEFN_UNSET'],
        2,
        /^teefn: --expires-in soon is not a duration/,
      ],
      [
        ['chain', 'renounce-admin', '--registry', address, '--key', 'env:TEEFN_UNSET'],
        2,
        /^teefn: renounce-admin is irreversible: no key can act as the admin again\. Pass --yes to renounce\./,
      ],
    ]
    for (const [args, exitCode, message] of cases) {
      const { status, stderr } = await teefn(args)
      expect(stderr, args.join(' ')).toMatch(message)
      expect(status, args.join(' ')).toBe(exitCode)
    }
  })

  it('teefn demo exits 1 saying anvil is not installed, what is missing and what to do (no stack trace)', async () => {
    const { status, stdout, stderr } = await teefn(['demo'])
    expect(status).toBe(1)
    expect(stdout).toBe('') // it stops before starting anything
    expect(stderr).toContain('teefn: anvil is not installed for this platform.')
    // On linux x64: @foundry-rs/anvil-linux-amd64; the platform's own package elsewhere.
    expect(stderr).toMatch(
      new RegExp(
        `\nDetails: ${process.platform} ${process.arch} needs the package @foundry-rs/anvil-[a-z0-9-]+, which is not installed.\n`,
      ),
    )
    expect(stderr).toMatch(/Hint: .*TEEFN_ANVIL_BIN.*linux x64/)
    expect(stderr).not.toMatch(/\n\s+at /)
  })
})

describe('the build', () => {
  it('compiles nothing from test/ or bench/ into dist/ (nothing it ships imports them)', async () => {
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [tsc, '-p', 'tsconfig.build.json', '--listFilesOnly'],
      { cwd: root, maxBuffer: 64 * 1024 * 1024 },
    )
    const ours = stdout
      .split('\n')
      .map((file) => relative(root, file.trim()))
      .filter((file) => file !== '' && !file.startsWith('..') && !file.startsWith('node_modules'))
    expect(ours.length).toBeGreaterThan(100)
    expect(ours.filter((file) => /^(test|bench)\//.test(file))).toEqual([])
    expect(ours).toContain(join('dev', 'runDemo.ts'))
    expect(existsSync(join(root, 'dist', 'cli', 'main.js'))).toBe(true)
  })
})
