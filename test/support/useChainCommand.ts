import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect } from 'vitest'
import { type AnvilInstance, createProvider, startAnvil } from '../../dev/startAnvil.js'
import { type RunTeefnReturnType, runTeefn } from './runTeefn.js'

/** The anvil accounts' roles in `teefn chain` tests, by index; each key is passed as `--key env:TEEFN_TEST_<ROLE>_KEY`. */
export const CHAIN_ROLES = ['ADMIN', 'OWNER', 'GK1', 'GK2', 'GK3'] as const
export type ChainRole = (typeof CHAIN_ROLES)[number]

export type UseChainCommandReturnType = {
  anvil(): AnvilInstance
  /** A temporary folder, removed after the file's tests. */
  dir(): string
  /** `teefn chain ...` against the file's anvil, signed by `as` (none for read-only commands). */
  chain(args: string[], as?: ChainRole): Promise<RunTeefnReturnType>
  /** The same with `--json`, expecting exit 0. */
  chainJson<T = Record<string, unknown>>(args: string[], as?: ChainRole): Promise<T>
  /** A registry the admin deployed. */
  deployRegistry(): Promise<string>
  /** The latest block's timestamp (anvil's clock, not this machine's). */
  latestTimestamp(): Promise<number>
}

/**
 * A test file's `teefn chain` runs against its own anvil: started before its tests, stopped after them, and every
 * output checked after them to hold none of the roles' private keys.
 */
export function useChainCommand(): UseChainCommandReturnType {
  let anvil: AnvilInstance
  let dir: string
  const outputs: string[] = []
  const keyEnv: NodeJS.ProcessEnv = {}
  beforeAll(async () => {
    anvil = await startAnvil()
    dir = await mkdtemp(join(tmpdir(), 'teefn-chain-'))
    CHAIN_ROLES.forEach((role, i) => {
      keyEnv[`TEEFN_TEST_${role}_KEY`] = anvil.privateKeys[i]
    })
  })
  afterAll(async () => {
    await anvil?.stop()
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
    for (const key of anvil.privateKeys.slice(0, CHAIN_ROLES.length)) {
      for (const output of outputs) expect(output).not.toContain(key.slice(2))
    }
  })
  const chain = async (args: string[], as?: ChainRole) => {
    const key = as === undefined ? [] : ['--key', `env:TEEFN_TEST_${as}_KEY`]
    const result = await runTeefn(['chain', ...args, '--rpc', anvil.rpcUrl, ...key], {
      timeoutMs: 60_000,
      env: { ...process.env, ...keyEnv },
    })
    outputs.push(result.stdout, result.stderr)
    return result
  }
  const chainJson = async <T>(args: string[], as?: ChainRole): Promise<T> => {
    const { status, stdout, stderr } = await chain([...args, '--json'], as)
    expect(status, stderr).toBe(0)
    return JSON.parse(stdout) as T
  }
  return {
    anvil: () => anvil,
    dir: () => dir,
    chain,
    chainJson,
    deployRegistry: async () =>
      (await chainJson<{ registry: string }>(['deploy-registry'], 'ADMIN')).registry,
    latestTimestamp: async () => {
      const provider = createProvider(anvil.rpcUrl, anvil.chainId)
      try {
        return (await provider.getBlock('latest'))!.timestamp
      } finally {
        provider.destroy()
      }
    },
  }
}
