import type { ChildProcess } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { ANVIL_ACCOUNTS, ANVIL_MNEMONIC, ANVIL_PRIVATE_KEYS } from './anvilAccounts.js'
import { anvilError } from './anvilError.js'
import { anvilRpcCall } from './anvilRpcCall.js'
import { resolveAnvilBinary } from './resolveAnvilBinary.js'
import { spawnAnvil } from './spawnAnvil.js'
import { terminateProcess } from './terminateProcess.js'
import { installExitHook, removeTempDir, trackTempDir } from './trackAnvilProcesses.js'
import { waitForThreads } from './waitForThreads.js'

// What tests and the demo import with startAnvil, from one place.
export { ANVIL_ACCOUNTS, ANVIL_MNEMONIC, ANVIL_PRIVATE_KEYS } from './anvilAccounts.js'
export { type CreateProviderParameters, createProvider, createWsProvider } from './createProvider.js'
export { type WaitForReceiptParameters, waitForReceipt } from './waitForReceipt.js'

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
    trackTempDir(tempDir)
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

  const rpc = <T>(method: string, params: unknown[] = []) => anvilRpcCall<T>(rpcUrl, method, params, output)

  const halt = async () => {
    const current = child
    child = undefined
    if (!current) return
    if (frozen) {
      current.kill('SIGCONT')
      frozen = false
    }
    await terminateProcess(current, stopGraceMs)
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
