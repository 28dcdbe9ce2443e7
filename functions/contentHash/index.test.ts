import { fileURLToPath } from 'node:url'
import { bytesToHex } from '@noble/hashes/utils'
import { keccak256 } from 'ethers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bundleFunction } from '../../cli/build/bundleFunction.js'
import { createSandboxPool, type SandboxPool } from '../../runtime/sandbox/index.js'
import { invokeFunction } from '../../test/support/invokeFunction.js'
import { type StartHttpServerReturnType, startHttpServer } from '../../test/support/startHttpServer.js'

const document = Buffer.from('{"reserves":"1000000","asOf":"2026-11-22"}\n')
let pool: SandboxPool
let api: StartHttpServerReturnType

beforeAll(async () => {
  pool = await createSandboxPool({ threads: 1 })
  api = await startHttpServer((_request, response) => response.end(document))
})

afterAll(async () => {
  await pool?.close()
  await api?.close()
})

describe('contentHash', () => {
  it('bundles its npm dependency into one module and returns keccak256 of the document', async () => {
    const bundle = await bundleFunction({ entry: fileURLToPath(new URL('./index.ts', import.meta.url)) })
    expect(bundle.importedFiles).toBeGreaterThan(2)
    expect(bundle.code).not.toMatch(/^\s*import\s/m)
    const outcome = await invokeFunction(pool, bundle.code, {
      request: `${api.url}/reserves.json`,
      allowHosts: [`127.0.0.1:${api.port}`],
    })
    expect(outcome.ok).toBe(true)
    expect(`0x${bytesToHex(outcome.result as Uint8Array)}`).toBe(keccak256(document))
    expect(outcome.logs[0]?.message).toBe(`${api.url}/reserves.json: ${document.length} bytes`)
  })
})
