import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { hkdf } from '@noble/hashes/hkdf.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type StartDstackAgentReturnType, startDstackAgent } from '../../test/support/startDstackAgent.js'
import { type Hex, utf8 } from '../bytes.js'
import { deriveSecretFromFunctionKey, maxDeriveSecretPathBytes } from './deriveSecretFromFunctionKey.js'
import { createDevProvider } from './devProvider.js'
import { createDstackProvider } from './dstackProvider.js'
import type { FunctionScope } from './functionScope.js'

const functionA: FunctionScope = {
  family: 'evm',
  chainId: '31337',
  registry: `0x${'5f'.repeat(20)}`,
  functionId: `0x${'0a'.repeat(32)}` as Hex,
}
const functionB: FunctionScope = { ...functionA, functionId: `0x${'0b'.repeat(32)}` }
// Another deployment of the same functionId (another registry on the same chain).
const functionAElsewhere: FunctionScope = { ...functionA, registry: `0x${'6f'.repeat(20)}` }

let dir: string
let agent: StartDstackAgentReturnType
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'teefn-derive-'))
  agent = await startDstackAgent()
})
afterAll(async () => {
  await agent.close()
  await rm(dir, { recursive: true, force: true })
})

describe('deriveSecretFromFunctionKey', () => {
  it('is HKDF-SHA256(function key, "teefn/deriveSecret/v1", path), 32 bytes', () => {
    const key = new Uint8Array(32).fill(1)
    expect(deriveSecretFromFunctionKey(key, 'signing/v1')).toEqual(
      hkdf(sha256, key, utf8('teefn/deriveSecret/v1'), utf8('signing/v1'), 32),
    )
  })

  for (const kind of ['dev', 'dstack'] as const) {
    it(`${kind}: same (scope, path) across restarts; different for another scope or path`, async () => {
      const start = () =>
        kind === 'dev'
          ? createDevProvider({ keyFile: join(dir, 'worker.json') })
          : createDstackProvider({ endpoint: agent.endpoint })
      const first = await start()
      const restarted = await start()
      const secret = deriveSecretFromFunctionKey(await first.deriveFunctionKey(functionA), 'wallet/0')
      expect(secret).toHaveLength(32)
      expect(deriveSecretFromFunctionKey(await restarted.deriveFunctionKey(functionA), 'wallet/0')).toEqual(
        secret,
      )
      expect(deriveSecretFromFunctionKey(await first.deriveFunctionKey(functionB), 'wallet/0')).not.toEqual(
        secret,
      )
      expect(
        deriveSecretFromFunctionKey(await first.deriveFunctionKey(functionAElsewhere), 'wallet/0'),
      ).not.toEqual(secret)
      expect(deriveSecretFromFunctionKey(await first.deriveFunctionKey(functionA), 'wallet/1')).not.toEqual(
        secret,
      )
      expect(deriveSecretFromFunctionKey(await first.deriveFunctionKey(functionA), '')).not.toEqual(secret)
    })
  }

  it('refuses a wrong key size and overlong or non-string paths', () => {
    expect(() => deriveSecretFromFunctionKey(new Uint8Array(16), 'x')).toThrowError(/32-byte function key/)
    expect(() =>
      deriveSecretFromFunctionKey(new Uint8Array(32), 'x'.repeat(maxDeriveSecretPathBytes + 1)),
    ).toThrowError(/too long/)
    expect(() => deriveSecretFromFunctionKey(new Uint8Array(32), 5 as unknown as string)).toThrowError(
      /string path/,
    )
  })
})
