import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type StartDstackAgentReturnType, startDstackAgent } from '../../test/support/startDstackAgent.js'
import { selectProvider } from './selectProvider.js'

let dir: string
let agent: StartDstackAgentReturnType
let socketAgent: StartDstackAgentReturnType
let missingSocket: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'teefn-select-'))
  agent = await startDstackAgent()
  socketAgent = await startDstackAgent({ socketPath: join(dir, 'dstack.sock') })
  missingSocket = join(dir, 'absent.sock')
})
afterAll(async () => {
  await agent.close()
  await socketAgent.close()
  await rm(dir, { recursive: true, force: true })
})

describe('selectProvider', () => {
  it('picks dstack when DSTACK_SIMULATOR_ENDPOINT is set, even when dev is allowed', async () => {
    const provider = await selectProvider({
      env: { DSTACK_SIMULATOR_ENDPOINT: agent.endpoint },
      allowDev: true,
      dstackSocketPaths: [missingSocket],
    })
    expect(provider.kind).toBe('dstack')
  })

  it('picks dstack when the dstack socket exists', async () => {
    const provider = await selectProvider({
      env: {},
      dstackSocketPaths: [missingSocket, socketAgent.endpoint],
    })
    expect(provider.kind).toBe('dstack')
    expect(socketAgent.requests.some((request) => request.path === '/GetKey')).toBe(true)
  })

  it('refuses to fall back to dev silently', async () => {
    const error = await selectProvider({ env: {}, dstackSocketPaths: [missingSocket] }).catch(
      (e: unknown) => e,
    )
    expect(error).toMatchObject({ code: 'TEE_UNAVAILABLE' })
    expect((error as Error).message).toContain(missingSocket)
    expect((error as Error).message).toContain('TEEFN_TEE_PROVIDER=dev')
  })

  it('uses dev when allowed explicitly, by option or environment', async () => {
    const keyFile = join(dir, 'dev.json')
    const byOption = await selectProvider({
      env: {},
      allowDev: true,
      devKeyFile: keyFile,
      dstackSocketPaths: [],
    })
    expect(byOption.kind).toBe('dev')
    const byEnv = await selectProvider({
      env: { TEEFN_ALLOW_DEV_TEE: '1', TEEFN_DEV_KEY_FILE: keyFile },
      dstackSocketPaths: [],
    })
    expect(byEnv.publicKeys).toEqual(byOption.publicKeys)
    const forced = await selectProvider({
      env: {
        TEEFN_TEE_PROVIDER: 'dev',
        TEEFN_DEV_KEY_FILE: keyFile,
        DSTACK_SIMULATOR_ENDPOINT: agent.endpoint,
      },
    })
    expect(forced.kind).toBe('dev')
  })

  it('honours the dev passphrase from the environment', async () => {
    const keyFile = join(dir, 'passphrase.json')
    await selectProvider({ provider: 'dev', devKeyFile: keyFile, env: { TEEFN_DEV_SEAL_PASSPHRASE: 'one' } })
    await expect(
      selectProvider({ provider: 'dev', devKeyFile: keyFile, env: { TEEFN_DEV_SEAL_PASSPHRASE: 'two' } }),
    ).rejects.toMatchObject({ code: 'SEALED_KEY_FILE_UNSEAL_FAILED' })
  })

  it('fails clearly when dstack is requested but absent, or the provider name is unknown', async () => {
    await expect(
      selectProvider({ provider: 'dstack', env: {}, dstackSocketPaths: [missingSocket] }),
    ).rejects.toMatchObject({
      code: 'TEE_UNAVAILABLE',
    })
    await expect(selectProvider({ env: { TEEFN_TEE_PROVIDER: 'sgx' } })).rejects.toMatchObject({
      code: 'TEE_UNAVAILABLE',
      details: 'got "sgx"',
    })
  })
})
