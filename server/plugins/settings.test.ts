import type { Wallet } from 'ethers'
import { beforeAll, describe, expect, it } from 'vitest'
import { type FunctionScope, scopeId } from '../../runtime/enclave/functionScope.js'
import { signFunctionSettings } from '../../runtime/enclave/ownerRecords.js'
import { type ApiOnChain, useApiOnChain } from '../../test/support/useApiOnChain.js'

let api: ApiOnChain
useApiOnChain((ready) => {
  api = ready
})

let owner: Wallet
let stranger: Wallet
beforeAll(() => {
  owner = api.f.functionOwner
  stranger = api.f.stranger
})

const signed = (scope: FunctionScope, httpSecrets: boolean, version: number, signer: Wallet = owner) =>
  signFunctionSettings(signer, { scope, httpSecrets, version })
const put = (record: unknown) =>
  api.app.inject({ method: 'PUT', url: '/v1/settings', payload: record as object })
const read = (scope: FunctionScope) =>
  api.app.inject({
    method: 'GET',
    url: `/v1/settings?chainId=${scope.chainId}&registry=${scope.registry}&functionId=${scope.functionId}`,
  })
const errorOf = (response: { json: () => unknown }) =>
  (response.json() as { error: { code: string; message: string } }).error

describe('PUT /v1/settings and GET /v1/settings', () => {
  it("stores the owner's settings, newest version only, and shows them", async () => {
    const scope = api.scopeOf(await api.registerFunction('settings'))
    expect(errorOf(await read(scope)).code).toBe('SETTINGS_NOT_FOUND')
    const on = await signed(scope, true, 1)
    const response = await put(on)
    expect(response.statusCode, response.body).toBe(200)
    const metadata = {
      scope,
      scopeId: scopeId(scope),
      version: 1,
      httpSecrets: true,
      signer: owner.address.toLowerCase(),
    }
    expect(response.json()).toEqual(metadata)
    expect((await read(scope)).json()).toEqual(metadata)
    expect(await api.store.getSettings(scope)).toEqual(on)

    const off = await signed(scope, false, 2)
    expect((await put(off)).json()).toMatchObject({ version: 2, httpSecrets: false })
    // Replaying the older "on" is refused with both versions named.
    const replay = await put(on)
    expect(replay.statusCode).toBe(409)
    expect(errorOf(replay)).toMatchObject({
      code: 'VERSION_NOT_NEWER',
      message: expect.stringContaining('at version 2; version 1 is not newer'),
    })
    expect(await api.store.getSettings(scope)).toEqual(off)
  })

  it("refuses a stranger's settings with 403 and stores nothing", async () => {
    const scope = api.scopeOf(await api.registerFunction('settings stranger'))
    const response = await put(await signed(scope, true, 1, stranger))
    expect(response.statusCode).toBe(403)
    expect(errorOf(response)).toMatchObject({
      code: 'NOT_FUNCTION_OWNER',
      message: expect.stringContaining(`must be signed by its owner ${owner.address}`),
    })
    expect(errorOf(response).message).toContain(`signed by ${stranger.address.toLowerCase()}`)
    // The owner's signature over httpSecrets false does not make httpSecrets true.
    const flipped = { ...(await signed(scope, false, 2)), httpSecrets: true }
    expect(errorOf(await put(flipped)).code).toBe('NOT_FUNCTION_OWNER')
    expect(await api.store.getSettings(scope)).toBeUndefined()
  })

  it('refuses malformed settings, other chains and unregistered functions, storing nothing', async () => {
    const scope = api.scopeOf(await api.registerFunction('settings refusals'))
    const record = await signed(scope, true, 1)
    const malformed = await put({ ...record, httpSecrets: 'yes' })
    expect(malformed.statusCode).toBe(400)
    expect(errorOf(malformed)).toMatchObject({
      code: 'VALIDATION_FAILED',
      message: expect.stringContaining('body/httpSecrets must be boolean'),
    })
    const otherChain = await put(await signed({ ...scope, chainId: '10' }, true, 1))
    expect(otherChain.statusCode).toBe(400)
    expect(errorOf(otherChain).code).toBe('CHAIN_NOT_SERVED')
    const unregistered = api.scopeOf(`0x${'5f'.repeat(32)}`)
    const missing = await put(await signed(unregistered, true, 1))
    expect(missing.statusCode).toBe(404)
    expect(errorOf(missing).code).toBe('FUNCTION_NOT_REGISTERED')
    expect(await api.store.getSettings(scope)).toBeUndefined()
    expect(await api.store.getSettings(unregistered)).toBeUndefined()
    const unserved = await api.app.inject({
      method: 'GET',
      url: `/v1/settings?chainId=10&functionId=${scope.functionId}`,
    })
    expect(errorOf(unserved).code).toBe('CHAIN_NOT_SERVED')
  })
})
