import { type ChildProcess, spawn } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'
import { BaseError } from '../runtime/errors/BaseError.js'
import { anvilError } from './anvilError.js'
import { anvilRpcCall } from './anvilRpcCall.js'
import { terminateProcess } from './terminateProcess.js'
import { trackAnvilProcess } from './trackAnvilProcesses.js'

const OUTPUT_LINES = 200

export type SpawnAnvilOptions = { binary: string; lines: string[]; startTimeoutMs: number; chainId: number }

/**
 * Spawns one anvil process and resolves once it listens and `eth_chainId` answers with `chainId`; its output
 * (the last 200 lines, keys redacted) goes to `lines`. A process that does not come up is terminated.
 */
export async function spawnAnvil(
  args: string[],
  options: SpawnAnvilOptions,
): Promise<{ child: ChildProcess; port: number }> {
  const { binary, lines, startTimeoutMs, chainId } = options
  const output = () => lines.join('\n')
  const deadline = Date.now() + startTimeoutMs
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  trackAnvilProcess(child)

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
    await terminateProcess(child, 2_000)
    throw error
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
      const id = Number(await anvilRpcCall<string>(url, 'eth_chainId', [], output))
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
