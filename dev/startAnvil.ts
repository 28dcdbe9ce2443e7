import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { computeAddress, JsonRpcProvider, Network, type TransactionReceipt, WebSocketProvider } from 'ethers'
import { BaseError } from '../runtime/errors/BaseError.js'
import { resolveAnvilBinary } from './resolveAnvilBinary.js'

/** anvil's default mnemonic. Test-only: these keys are public. */
export const ANVIL_MNEMONIC = 'test test test test test test test test test test test junk'

/** The private keys anvil funds by default (m/44'/60'/0'/0/0..9 of ANVIL_MNEMONIC, 10 000 ETH each). Test-only. */
export const ANVIL_PRIVATE_KEYS = [
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
  '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a',
  '0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6',
  '0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a',
  '0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba',
  '0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e',
  '0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356',
  '0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97',
  '0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6',
] as const

/** Checksummed addresses of ANVIL_PRIVATE_KEYS, in the same order. */
export const ANVIL_ACCOUNTS: readonly string[] = ANVIL_PRIVATE_KEYS.map((key) => computeAddress(key))

export type StartAnvilParameters = {
  /** TCP port; 0 (default) lets the OS pick a free one. */
  port?: number | undefined
  /** 31337 by default. */
  chainId?: number | undefined
  /** Interval mining every this many seconds; without it every transaction is mined at once (automine). */
  blockTime?: number | undefined
  /** Mine only on `evm_mine` (`--no-mining`). */
  noMining?: boolean | undefined
  /**
   * `--state <file>`: load the chain from it at start (if it exists) and dump it there on exit. Without it a
   * private temp file is used (and removed by `stop()`), so `restart()` always keeps the chain.
   */
  stateFile?: string | undefined
  /** `--hardfork`, e.g. `cancun`; anvil's latest by default. */
  hardfork?: string | undefined
  /** More anvil arguments, passed as they are. */
  args?: readonly string[] | undefined
  /** Time to wait for the RPC to answer; 15 s by default. */
  startTimeoutMs?: number | undefined
  /** Time between SIGTERM and SIGKILL when stopping; 5 s by default. */
  stopGraceMs?: number | undefined
}

export type AnvilInstance = {
  /** `http://127.0.0.1:PORT`; stays the same across `restart()`. */
  rpcUrl: string
  /** `ws://127.0.0.1:PORT` (anvil serves both on one port). */
  wsUrl: string
  port: number
  chainId: number
  /** Funded accounts (checksummed) and their private keys, index-aligned. Test-only keys. */
  accounts: readonly string[]
  privateKeys: readonly string[]
  mnemonic: string
  /** PID of the running anvil process; changes on restart; undefined while halted or stopped. */
  readonly pid: number | undefined
  /** Whether an anvil process is up (also true while frozen). */
  readonly running: boolean
  /** Raw JSON-RPC call, e.g. `rpc('evm_increaseTime', [60])`. */
  rpc<T = unknown>(method: string, params?: unknown[]): Promise<T>
  /** Mines `blocks` blocks (1 by default). */
  mine(blocks?: number): Promise<void>
  /** Moves chain time forward by `seconds` and mines a block that carries the new time. */
  increaseTime(seconds: number): Promise<void>
  /** `evm_snapshot`: returns an id for `revert`. */
  snapshot(): Promise<string>
  /** `evm_revert` to `id`; a snapshot can be reverted to once (take a new one after). */
  revert(id: string): Promise<void>
  /**
   * Ends the process (SIGTERM, which dumps the chain to the state file) and starts anvil again on the same
   * port from that state: blocks, receipts, logs, balances, nonces and contracts survive. Open HTTP keep-alive
   * and WebSocket connections are closed, as with a real node restart; `evm_snapshot` ids are lost.
   * `downtimeMs` keeps the port closed for that long in between.
   */
  restart(options?: { downtimeMs?: number }): Promise<void>
  /** The first half of `restart()`: the process exits, the port refuses connections, the state is kept. */
  halt(): Promise<void>
  /** The second half of `restart()`: starts anvil again on the same port from the kept state. */
  resume(): Promise<void>
  /**
   * SIGSTOP: the port accepts connections but nothing answers (a hung node). Resolves once every thread of
   * anvil is stopped. `thaw()` continues it (SIGCONT).
   */
  freeze(): Promise<void>
  thaw(): Promise<void>
  /** Ends anvil for good (SIGTERM, then SIGKILL after the grace) and removes its temp state. Idempotent. */
  stop(): Promise<void>
  /** The last lines anvil printed (stdout and stderr), for failure messages. */
  output(): string
}

const OUTPUT_LINES = 200
const live = new Set<ChildProcess>()
const tempDirs = new Set<string>()
let exitHookInstalled = false

/**
 * Starts a private anvil on 127.0.0.1 (a free port by default) and resolves once `eth_chainId` answers.
 * The binary (`TEEFN_ANVIL_BIN`, else this platform's `@foundry-rs/anvil-*` package; `AnvilNotInstalledError`
 * without either) is spawned directly (not through npx) and stopped by its own PID; a process left running
 * when Node exits is killed.
 *
 * @example
 * const anvil = await startAnvil()
 * const provider = createProvider(anvil.rpcUrl, anvil.chainId)
 * const wallet = new Wallet(anvil.privateKeys[0], provider)
 * // ...
 * provider.destroy()
 * await anvil.stop()
 */
export async function startAnvil(parameters: StartAnvilParameters = {}): Promise<AnvilInstance> {
  const binary = resolveAnvilBinary()
  installExitHook()
  const chainId = parameters.chainId ?? 31337
  const startTimeoutMs = parameters.startTimeoutMs ?? 15_000
  const stopGraceMs = parameters.stopGraceMs ?? 5_000

  let tempDir: string | undefined
  let stateFile = parameters.stateFile
  if (stateFile === undefined) {
    tempDir = mkdtempSync(join(tmpdir(), 'teefn-anvil-'))
    tempDirs.add(tempDir)
    stateFile = join(tempDir, 'state.json')
  }

  const baseArgs = ['--host', '127.0.0.1', '--chain-id', String(chainId), '--state', stateFile]
  if (parameters.blockTime !== undefined) baseArgs.push('--block-time', String(parameters.blockTime))
  if (parameters.noMining) baseArgs.push('--no-mining')
  if (parameters.hardfork !== undefined) baseArgs.push('--hardfork', parameters.hardfork)
  baseArgs.push(...(parameters.args ?? []))

  const lines: string[] = []
  const output = () => lines.join('\n')
  let child: ChildProcess | undefined
  let frozen = false
  let stopped = false

  const first = await spawnAnvil([...baseArgs, '--port', String(parameters.port ?? 0)], {
    binary,
    lines,
    startTimeoutMs,
    chainId,
  }).catch((error: unknown) => {
    if (tempDir) removeTempDir(tempDir)
    throw error
  })
  const port = first.port
  // A crash clears `child`, so `running` tells the truth and `resume()` can start a new process.
  const adopt = (next: ChildProcess) => {
    child = next
    next.once('exit', () => {
      if (child === next) child = undefined
    })
  }
  adopt(first.child)
  const rpcUrl = `http://127.0.0.1:${port}`

  const rpc = <T>(method: string, params: unknown[] = []) => rpcCall<T>(rpcUrl, method, params, output)

  const halt = async () => {
    const current = child
    child = undefined
    if (!current) return
    if (frozen) {
      current.kill('SIGCONT')
      frozen = false
    }
    await terminate(current, stopGraceMs)
  }

  const resume = async () => {
    if (stopped) throw anvilError('anvil was stopped for good; start a new one.', 'ANVIL_STOPPED', output)
    if (child) return
    const next = await spawnAnvil([...baseArgs, '--port', String(port)], {
      binary,
      lines,
      startTimeoutMs,
      chainId,
    })
    adopt(next.child)
  }

  return {
    rpcUrl,
    wsUrl: `ws://127.0.0.1:${port}`,
    port,
    chainId,
    accounts: ANVIL_ACCOUNTS,
    privateKeys: ANVIL_PRIVATE_KEYS,
    mnemonic: ANVIL_MNEMONIC,
    get pid() {
      return child?.pid
    },
    get running() {
      return child !== undefined
    },
    rpc,
    async mine(blocks = 1) {
      await rpc('anvil_mine', [`0x${blocks.toString(16)}`])
    },
    async increaseTime(seconds) {
      await rpc('evm_increaseTime', [seconds])
      await rpc('evm_mine')
    },
    snapshot: () => rpc<string>('evm_snapshot'),
    async revert(id) {
      const ok = await rpc<boolean>('evm_revert', [id])
      if (!ok) throw anvilError(`evm_revert to snapshot ${id} failed.`, 'ANVIL_REVERT_FAILED', output)
    },
    async restart(options = {}) {
      await halt()
      if (options.downtimeMs) await sleep(options.downtimeMs)
      await resume()
    },
    halt,
    resume,
    async freeze() {
      if (!child || frozen) return
      child.kill('SIGSTOP')
      frozen = true
      // A signal lands asynchronously: return only once every thread is stopped.
      await waitForThreads(child.pid!, (state) => state === 'T' || state === 't', output)
    },
    async thaw() {
      if (!child || !frozen) return
      child.kill('SIGCONT')
      frozen = false
      await waitForThreads(child.pid!, (state) => state !== 'T' && state !== 't', output)
    },
    async stop() {
      stopped = true
      await halt()
      if (tempDir) removeTempDir(tempDir)
    },
    output,
  }
}

export type CreateProviderParameters = {
  /** Polling interval for `tx.wait()` and polling subscriptions; 100 ms by default. */
  pollingInterval?: number | undefined
}

/**
 * An ethers v6 HTTP provider tuned for a local node (see ../shared/NOTES-chains.md): no request batching
 * (it adds ~45 ms a call), no result cache (it serves stale pending nonces under automine), fast polling,
 * and a static network (no `eth_chainId` before every call). Call `destroy()` when done, or Node stays alive.
 */
export function createProvider(
  url: string,
  chainId?: number,
  parameters: CreateProviderParameters = {},
): JsonRpcProvider {
  return new JsonRpcProvider(url, chainId === undefined ? undefined : Network.from(chainId), {
    staticNetwork: true,
    cacheTimeout: -1,
    pollingInterval: parameters.pollingInterval ?? 100,
    batchMaxCount: 1,
  })
}

/**
 * An ethers v6 WebSocket provider with the same options. It does not reconnect: after a node restart, create
 * a new one, resubscribe and backfill with `getLogs`.
 */
export function createWsProvider(url: string, chainId?: number): WebSocketProvider {
  return new WebSocketProvider(url, chainId === undefined ? undefined : Network.from(chainId), {
    staticNetwork: true,
    cacheTimeout: -1,
    pollingInterval: 100,
    batchMaxCount: 1,
  })
}

export type WaitForReceiptParameters = {
  /** 10 s by default. */
  timeoutMs?: number | undefined
  /** 25 ms by default. */
  intervalMs?: number | undefined
}

/**
 * Polls `eth_getTransactionReceipt` until the transaction is mined, and returns the receipt whatever its
 * status. Use it instead of ethers' `tx.wait()` against automine: `wait()` can hang for good when the block
 * is mined between its first receipt check and its block poller's first `eth_blockNumber` (that block is
 * taken as already seen, and no later block comes).
 */
export async function waitForReceipt(
  provider: Pick<JsonRpcProvider, 'getTransactionReceipt'>,
  hash: string,
  parameters: WaitForReceiptParameters = {},
): Promise<TransactionReceipt> {
  const deadline = Date.now() + (parameters.timeoutMs ?? 10_000)
  for (;;) {
    const receipt = await provider.getTransactionReceipt(hash)
    if (receipt) return receipt
    if (Date.now() > deadline) {
      throw new BaseError('Transaction was not mined in time.', {
        code: 'TX_NOT_MINED',
        details: `No receipt for ${hash} after ${parameters.timeoutMs ?? 10_000} ms.`,
        hint: 'Check that the node mines (automine, --block-time) and that the transaction was accepted.',
      })
    }
    await sleep(parameters.intervalMs ?? 25)
  }
}

type SpawnOptions = { binary: string; lines: string[]; startTimeoutMs: number; chainId: number }

async function spawnAnvil(
  args: string[],
  options: SpawnOptions,
): Promise<{ child: ChildProcess; port: number }> {
  const { binary, lines, startTimeoutMs, chainId } = options
  const output = () => lines.join('\n')
  const deadline = Date.now() + startTimeoutMs
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  live.add(child)
  child.once('exit', () => live.delete(child))

  // Always drain both pipes: anvil logs every RPC call and blocks once a full pipe is not read.
  const listening = new Promise<number>((resolve, reject) => {
    let settled = false
    const settle = (fn: () => void) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      fn()
    }
    const timer = setTimeout(
      () =>
        settle(() =>
          reject(
            anvilError(`anvil did not listen within ${startTimeoutMs} ms.`, 'ANVIL_START_TIMEOUT', output),
          ),
        ),
      startTimeoutMs,
    )
    const onLine = (raw: string) => {
      // The banner lists the (public, test-only) keys; keep them out of error messages all the same.
      const line =
        /^\(\d+\) 0x[0-9a-fA-F]{64}\s*$/.test(raw) || raw.startsWith('Mnemonic:') ? '<redacted>' : raw
      lines.push(line)
      if (lines.length > OUTPUT_LINES) lines.splice(0, lines.length - OUTPUT_LINES)
      const match = /Listening on [\d.]+:(\d+)/.exec(line)
      if (match) settle(() => resolve(Number(match[1])))
    }
    readLines(child.stdout!, onLine)
    readLines(child.stderr!, onLine)
    child.once('error', (error) =>
      settle(() =>
        reject(
          new BaseError('anvil could not be started.', {
            code: 'ANVIL_SPAWN_FAILED',
            details: `${binary}: ${error.message}`,
            hint: 'Install @foundry-rs/anvil with its optional platform package (no --omit=optional), or set TEEFN_ANVIL_BIN to an anvil binary.',
            cause: error,
          }),
        ),
      ),
    )
    child.once('exit', (code, signal) =>
      settle(() =>
        reject(
          anvilError(
            `anvil exited before listening (code ${code}, signal ${signal}).`,
            'ANVIL_EXITED',
            output,
          ),
        ),
      ),
    )
  })

  try {
    const port = await listening
    await waitForRpc(`http://127.0.0.1:${port}`, chainId, deadline, output)
    // A test that forgets stop() must not keep Node alive; the exit hook kills the process then.
    child.unref()
    ;(child.stdout as { unref?: () => void } | null)?.unref?.()
    ;(child.stderr as { unref?: () => void } | null)?.unref?.()
    return { child, port }
  } catch (error) {
    await terminate(child, 2_000)
    throw error
  }
}

/** Waits until every thread of `pid` is in a state `accept`s (from /proc/<pid>/task/<tid>/stat). */
async function waitForThreads(
  pid: number,
  accept: (state: string) => boolean,
  output: () => string,
): Promise<void> {
  const deadline = Date.now() + 5_000
  for (;;) {
    let states: string[]
    try {
      states = readdirSync(`/proc/${pid}/task`).map((tid) => {
        const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')
        return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)
      })
    } catch {
      return // the process is gone: nothing left to wait for
    }
    if (states.every(accept)) return
    if (Date.now() > deadline) {
      throw anvilError(
        `anvil threads did not change state in time (${states.join('')}).`,
        'ANVIL_SIGNAL',
        output,
      )
    }
    await sleep(2)
  }
}

function readLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let rest = ''
  stream.setEncoding('utf8')
  stream.on('data', (chunk: string) => {
    const parts = (rest + chunk).split('\n')
    rest = parts.pop() ?? ''
    for (const part of parts) onLine(part)
  })
  stream.on('end', () => {
    if (rest) onLine(rest)
    rest = ''
  })
}

async function waitForRpc(
  url: string,
  chainId: number,
  deadline: number,
  output: () => string,
): Promise<void> {
  let last: unknown
  while (Date.now() < deadline) {
    try {
      const id = Number(await rpcCall<string>(url, 'eth_chainId', [], output))
      if (id !== chainId) {
        throw anvilError(
          `The node on ${url} reports chain ${id}, expected ${chainId}.`,
          'ANVIL_WRONG_CHAIN',
          output,
        )
      }
      return
    } catch (error) {
      if (error instanceof BaseError && error.code === 'ANVIL_WRONG_CHAIN') throw error
      last = error
    }
    await sleep(20)
  }
  throw anvilError(`anvil at ${url} did not answer eth_chainId in time.`, 'ANVIL_START_TIMEOUT', output, last)
}

async function rpcCall<T>(url: string, method: string, params: unknown[], output: () => string): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    signal: AbortSignal.timeout(30_000),
  })
  const body = (await response.json()) as { result?: T; error?: { code: number; message: string } }
  if (body.error) {
    throw anvilError(`anvil ${method} failed: ${body.error.message}`, 'ANVIL_RPC_ERROR', output)
  }
  return body.result as T
}

/** SIGTERM (anvil dumps its state), then SIGKILL if it is still alive after `graceMs`. */
async function terminate(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
  await exited
  clearTimeout(timer)
}

function anvilError(message: string, code: string, output: () => string, cause?: unknown): BaseError {
  const tail = output().split('\n').slice(-20).join('\n')
  return new BaseError(message, {
    code,
    details: tail ? `Last output of anvil:\n${tail}` : undefined,
    hint: 'Check that the port is free and that anvil runs (TEEFN_ANVIL_BIN, or the @foundry-rs/anvil package).',
    cause,
  })
}

function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true })
  tempDirs.delete(dir)
}

function killAll(): void {
  for (const child of live) child.kill('SIGKILL')
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true })
}

function installExitHook(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.once('exit', killAll)
  // 'exit' does not run when a signal ends the process (e.g. a test runner terminating a worker): clean up,
  // then let the signal take its default course unless someone else handles it.
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    const onSignal = () => {
      killAll()
      process.removeListener(signal, onSignal)
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal)
    }
    process.on(signal, onSignal)
  }
}
