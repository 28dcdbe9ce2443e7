/** What the end-to-end benchmarks share: local price sources in their own process, CPU from /proc, waiting. */
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { JsonRpcProvider, Wallet } from 'ethers'
import type { Redis } from 'ioredis'
import { deployPriceOracle, deployRegistry } from '../contracts/artifacts.js'
import { attestationHash } from '../runtime/enclave/attestationHash.js'
import { attestWorker } from '../runtime/enclave/attestWorker.js'
import { createDevProvider } from '../runtime/enclave/devProvider.js'
import { createRedisFunctionStore } from '../runtime/store/createRedisFunctionStore.js'
import { mined } from '../test/support/teefnContracts.js'

export type PriceSources = { url: string; port: number; pid: number; close(): Promise<void> }

/** A node process serving `{ price }` on 127.0.0.1 (keep-alive, like a real API). */
export async function startPriceSources(): Promise<PriceSources> {
  const code = `
    const prices = { '/a': 3000, '/b': 3001, '/c': 3002.5 }
    const server = require('node:http').createServer((request, response) => {
      response.setHeader('content-type', 'application/json')
      response.end(JSON.stringify({ price: prices[request.url] ?? 1 }))
    })
    server.listen(0, '127.0.0.1', () => console.log(server.address().port))
    process.on('SIGTERM', () => process.exit(0))`
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] })
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())))
    child.once('exit', (exitCode) => reject(new Error(`the price sources exited (${exitCode})`)))
  })
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    pid: child.pid!,
    close: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      await exited
    },
  }
}

/** CPU time (user + system) a process used so far, in ms, from /proc. */
export function cpuMsOf(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  // utime and stime are fields 14 and 15 of stat (11 and 12 after the command), in clock ticks (100 Hz).
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100
}

/** Polls `done` every 5 ms; false once `timeoutMs` passed without it. */
export async function waitUntil(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (!done()) {
    if (Date.now() > deadline) return false
    await sleep(5)
  }
  return true
}

export type DeployOracleFixtureParameters = {
  connection: Redis
  http: JsonRpcProvider
  /** Deploys the registry and admits the worker. */
  admin: Wallet
  /** Registers the function. */
  functionOwner: Wallet
  /** Deploys the PriceOracle consumer. */
  oracleOwner: Wallet
  functionId: string
  /** The bundle the function runs: uploaded to the store and registered under `functionId`. */
  code: string
  /** Where the worker's dev key file goes. */
  dir: string
}

/**
 * What both end-to-end benchmarks stand on: the function in the store and the registry, a dev worker admitted for
 * a day, and a PriceOracle asking for it. Returns the worker's key file for the node's config.
 */
export async function deployOracleFixture({
  connection,
  http,
  admin,
  functionOwner,
  oracleOwner,
  functionId,
  code,
  dir,
}: DeployOracleFixtureParameters) {
  const { codeHash } = await createRedisFunctionStore({ redis: connection }).putFunction(code)
  const keyFile = join(dir, 'worker.json')
  const provider = await createDevProvider({ keyFile })
  const attestation = await attestWorker({ provider, measurement: codeHash })
  const registry = await deployRegistry(admin)
  await mined(registry.connect(functionOwner).registerFunction(functionId, codeHash))
  const now = (await http.getBlock('latest'))!.timestamp
  await mined(
    registry.admitWorker(provider.publicKeys.evmAddress, attestationHash(attestation.quote), now + 86_400),
  )
  const oracle = await deployPriceOracle(oracleOwner, { registry: String(registry.target), functionId })
  return { codeHash, keyFile, provider, registry, oracle, oracleAddress: String(oracle.target) }
}
