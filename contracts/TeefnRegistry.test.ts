import { id, keccak256, type Wallet, ZeroAddress, ZeroHash } from 'ethers'
import { describe, expect, it } from 'vitest'
import { type AnvilInstance, waitForReceipt } from '../dev/startAnvil.js'
import { eventsNamed, mined, revertOf, type TeefnContractsFixture } from '../test/support/teefnContracts.js'
import { useTeefnChain } from '../test/support/useTeefnChain.js'
import { deployRegistry } from './artifacts.js'
import type { TeefnRegistryContract } from './contractTypes.js'

let anvil: AnvilInstance
let f: TeefnContractsFixture
let registry: TeefnRegistryContract

const fnId = id('teefn.test.registry')
const code1 = keccak256(Buffer.from('code v1'))
const code2 = keccak256(Buffer.from('code v2'))

useTeefnChain({ isolate: true }, (chain) => {
  ;({ anvil, f } = chain)
  registry = f.registry
})

const as = (wallet: Wallet) => registry.connect(wallet)

async function now(): Promise<bigint> {
  return BigInt((await f.provider.getBlock('latest'))!.timestamp)
}

describe('functions', () => {
  it('registers first-come with the caller as owner, and emits', async () => {
    expect(await registry.codeHashOf(fnId)).toBe(ZeroHash)
    const receipt = await mined(as(f.stranger).registerFunction(fnId, code1))
    expect(eventsNamed(receipt, registry, 'FunctionRegistered')[0]?.args.toObject()).toEqual({
      functionId: fnId,
      owner: f.stranger.address,
      codeHash: code1,
    })
    expect(await registry.codeHashOf(fnId)).toBe(code1)
    expect([...(await registry.functionInfo(fnId))]).toEqual([code1, f.stranger.address, false])
    expect(await revertOf(as(f.functionOwner).registerFunction(fnId, code2))).toEqual({
      name: 'FunctionAlreadyRegistered',
      args: [fnId],
    })
  })

  it('refuses a zero function id or codeHash', async () => {
    expect((await revertOf(as(f.stranger).registerFunction(ZeroHash, code1))).name).toBe('ZeroFunctionId')
    expect((await revertOf(as(f.stranger).registerFunction(fnId, ZeroHash))).name).toBe('ZeroCodeHash')
  })

  it('lets only the owner upgrade, and emits the old and new codeHash', async () => {
    await mined(as(f.stranger).registerFunction(fnId, code1))
    expect(await revertOf(as(f.admin).upgradeFunction(fnId, code2))).toEqual({
      name: 'NotFunctionOwner',
      args: [fnId, f.admin.address],
    })
    const receipt = await mined(as(f.stranger).upgradeFunction(fnId, code2))
    expect(eventsNamed(receipt, registry, 'FunctionUpgraded')[0]?.args.toObject()).toEqual({
      functionId: fnId,
      previousCodeHash: code1,
      newCodeHash: code2,
    })
    expect(await registry.codeHashOf(fnId)).toBe(code2)
    expect((await revertOf(as(f.stranger).upgradeFunction(fnId, ZeroHash))).name).toBe('ZeroCodeHash')
  })

  it('refuses owner operations on an unregistered function', async () => {
    const unknown = id('unknown')
    // Thunks: one call at a time, so no rejection waits unhandled.
    for (const call of [
      () => as(f.stranger).upgradeFunction(unknown, code1),
      () => as(f.stranger).lockFunction(unknown),
      () => as(f.stranger).transferFunctionOwnership(unknown, f.admin.address),
    ]) {
      expect(await revertOf(call())).toEqual({ name: 'FunctionNotRegistered', args: [unknown] })
    }
  })

  it('locks for good: no upgrade, no second lock, no unlock; the codeHash stays served', async () => {
    await mined(as(f.stranger).registerFunction(fnId, code1))
    expect((await revertOf(as(f.admin).lockFunction(fnId))).name).toBe('NotFunctionOwner')
    const receipt = await mined(as(f.stranger).lockFunction(fnId))
    expect(eventsNamed(receipt, registry, 'FunctionLocked')[0]?.args.toObject()).toEqual({
      functionId: fnId,
      codeHash: code1,
    })
    expect(await revertOf(as(f.stranger).upgradeFunction(fnId, code2))).toEqual({
      name: 'FunctionIsLocked',
      args: [fnId],
    })
    expect(await revertOf(as(f.stranger).lockFunction(fnId))).toEqual({
      name: 'FunctionIsLocked',
      args: [fnId],
    })
    // A new owner cannot unlock it either.
    await mined(as(f.stranger).transferFunctionOwnership(fnId, f.relayer.address))
    expect((await revertOf(as(f.relayer).upgradeFunction(fnId, code2))).name).toBe('FunctionIsLocked')
    expect([...(await registry.functionInfo(fnId))]).toEqual([code1, f.relayer.address, true])
    expect(await registry.codeHashOf(fnId)).toBe(code1)
  })

  it('transfers ownership: the new owner upgrades, the old one no longer can', async () => {
    await mined(as(f.stranger).registerFunction(fnId, code1))
    expect((await revertOf(as(f.admin).transferFunctionOwnership(fnId, f.admin.address))).name).toBe(
      'NotFunctionOwner',
    )
    expect((await revertOf(as(f.stranger).transferFunctionOwnership(fnId, ZeroAddress))).name).toBe(
      'ZeroAddress',
    )
    const receipt = await mined(as(f.stranger).transferFunctionOwnership(fnId, f.relayer.address))
    expect(eventsNamed(receipt, registry, 'FunctionOwnershipTransferred')[0]?.args.toObject()).toEqual({
      functionId: fnId,
      previousOwner: f.stranger.address,
      newOwner: f.relayer.address,
    })
    expect((await revertOf(as(f.stranger).upgradeFunction(fnId, code2))).name).toBe('NotFunctionOwner')
    await mined(as(f.relayer).upgradeFunction(fnId, code2))
    expect(await registry.codeHashOf(fnId)).toBe(code2)
  })
})

describe('workers', () => {
  const worker = '0x000000000000000000000000000000000000bEEF'
  const attestation = id('quote of worker beef')

  it('lets only the admin admit, records the attestation and expiry, and emits', async () => {
    const expiresAt = (await now()) + 3_600n
    expect(await revertOf(as(f.stranger).admitWorker(worker, attestation, expiresAt))).toEqual({
      name: 'NotAdmin',
      args: [f.stranger.address],
    })
    expect(await registry.isWorkerActive(worker)).toBe(false)
    const receipt = await mined(as(f.admin).admitWorker(worker, attestation, expiresAt))
    expect(eventsNamed(receipt, registry, 'WorkerAdmitted')[0]?.args.toObject()).toEqual({
      worker,
      attestationHash: attestation,
      expiresAt,
    })
    expect(await registry.isWorkerActive(worker)).toBe(true)
    expect([...(await registry.workerInfo(worker))]).toEqual([attestation, expiresAt])
  })

  it('refuses a zero worker, a zero attestation hash, and an expiry not in the future', async () => {
    const later = (await now()) + 3_600n
    expect((await revertOf(as(f.admin).admitWorker(ZeroAddress, attestation, later))).name).toBe(
      'ZeroAddress',
    )
    expect((await revertOf(as(f.admin).admitWorker(worker, ZeroHash, later))).name).toBe(
      'ZeroAttestationHash',
    )
    const past = (await now()) - 1n
    expect((await revertOf(as(f.admin).admitWorker(worker, attestation, past))).name).toBe(
      'ExpiryNotInFuture',
    )
  })

  it('expires at expiresAt (exclusive)', async () => {
    const expiresAt = (await now()) + 100n
    await mined(as(f.admin).admitWorker(worker, attestation, expiresAt))
    await anvil.rpc('evm_setNextBlockTimestamp', [Number(expiresAt - 1n)])
    await anvil.mine()
    expect(await registry.isWorkerActive(worker, { blockTag: 'latest' })).toBe(true)
    await anvil.rpc('evm_setNextBlockTimestamp', [Number(expiresAt)])
    await anvil.mine()
    expect(await registry.isWorkerActive(worker, { blockTag: 'latest' })).toBe(false)
    // Still recorded (the admin may remove it or admit it again).
    expect((await registry.workerInfo(worker)).expiresAt).toBe(expiresAt)
  })

  it('re-admission refreshes attestation and expiry', async () => {
    await mined(as(f.admin).admitWorker(worker, attestation, (await now()) + 100n))
    const renewed = id('renewed quote')
    const expiresAt = (await now()) + 10_000n
    await mined(as(f.admin).admitWorker(worker, renewed, expiresAt))
    expect([...(await registry.workerInfo(worker))]).toEqual([renewed, expiresAt])
  })

  it('lets only the admin remove, at once, and emits', async () => {
    await mined(as(f.admin).admitWorker(worker, attestation, (await now()) + 3_600n))
    expect((await revertOf(as(f.stranger).removeWorker(worker))).name).toBe('NotAdmin')
    const receipt = await mined(as(f.admin).removeWorker(worker))
    expect(eventsNamed(receipt, registry, 'WorkerRemoved')[0]?.args.toObject()).toEqual({
      worker,
      attestationHash: attestation,
    })
    expect(await registry.isWorkerActive(worker)).toBe(false)
    expect([...(await registry.workerInfo(worker))]).toEqual([ZeroHash, 0n])
    expect(await revertOf(as(f.admin).removeWorker(worker))).toEqual({
      name: 'WorkerNotAdmitted',
      args: [worker],
    })
  })
})

describe('admin', () => {
  it('emits the initial admin on deployment', async () => {
    const fresh = await deployRegistry(f.stranger)
    const receipt = await waitForReceipt(f.provider, fresh.deploymentTransaction()!.hash)
    expect(eventsNamed(receipt, fresh, 'AdminTransferred')[0]?.args.toObject()).toEqual({
      previousAdmin: ZeroAddress,
      newAdmin: f.stranger.address,
    })
    expect(await fresh.admin()).toBe(f.stranger.address)
  })

  it('hands over the role: only the new admin admits afterwards', async () => {
    expect((await revertOf(as(f.stranger).transferAdmin(f.stranger.address))).name).toBe('NotAdmin')
    expect((await revertOf(as(f.admin).transferAdmin(ZeroAddress))).name).toBe('ZeroAddress')
    const receipt = await mined(as(f.admin).transferAdmin(f.relayer.address))
    expect(eventsNamed(receipt, registry, 'AdminTransferred')[0]?.args.toObject()).toEqual({
      previousAdmin: f.admin.address,
      newAdmin: f.relayer.address,
    })
    expect(await registry.admin()).toBe(f.relayer.address)
    const expiresAt = (await now()) + 3_600n
    expect((await revertOf(as(f.admin).admitWorker(f.stranger.address, id('a'), expiresAt))).name).toBe(
      'NotAdmin',
    )
    await mined(as(f.relayer).admitWorker(f.stranger.address, id('a'), expiresAt))
    expect(await registry.isWorkerActive(f.stranger.address)).toBe(true)
  })
})

describe('consumers', () => {
  it('lets any caller sign itself up, once, and emits; isConsumer says so', async () => {
    expect(await registry.isConsumer(f.stranger.address)).toBe(false)
    const receipt = await mined(as(f.stranger).registerConsumer())
    expect(eventsNamed(receipt, registry, 'ConsumerRegistered')[0]?.args.toObject()).toEqual({
      consumer: f.stranger.address,
    })
    expect(await registry.isConsumer(f.stranger.address)).toBe(true)
    // Only the caller: registering oneself names no one else.
    expect(await registry.isConsumer(f.relayer.address)).toBe(false)
    expect(await revertOf(as(f.stranger).registerConsumer())).toEqual({
      name: 'ConsumerAlreadyRegistered',
      args: [f.stranger.address],
    })
    // gas: a first sign-up writes one slot from zero and logs one event.
    expect(receipt.gasUsed).toBeLessThan(50_000n)
  })

  it('lets a consumer deregister itself, and only itself, and register again', async () => {
    await mined(as(f.stranger).registerConsumer())
    expect(await revertOf(as(f.relayer).deregisterConsumer())).toEqual({
      name: 'ConsumerNotRegistered',
      args: [f.relayer.address],
    })
    expect(await registry.isConsumer(f.stranger.address)).toBe(true)
    const receipt = await mined(as(f.stranger).deregisterConsumer())
    expect(eventsNamed(receipt, registry, 'ConsumerDeregistered')[0]?.args.toObject()).toEqual({
      consumer: f.stranger.address,
    })
    expect(await registry.isConsumer(f.stranger.address)).toBe(false)
    await mined(as(f.stranger).registerConsumer())
    expect(await registry.isConsumer(f.stranger.address)).toBe(true)
  })
})

describe('events', () => {
  it('every state change emits exactly one event', async () => {
    const expiresAt = (await now()) + 3_600n
    const changes = [
      ['FunctionRegistered', () => as(f.stranger).registerFunction(fnId, code1)],
      ['FunctionUpgraded', () => as(f.stranger).upgradeFunction(fnId, code2)],
      [
        'FunctionOwnershipTransferred',
        () => as(f.stranger).transferFunctionOwnership(fnId, f.relayer.address),
      ],
      ['FunctionLocked', () => as(f.relayer).lockFunction(fnId)],
      ['WorkerAdmitted', () => as(f.admin).admitWorker(f.stranger.address, id('q'), expiresAt)],
      ['WorkerRemoved', () => as(f.admin).removeWorker(f.stranger.address)],
      ['ConsumerRegistered', () => as(f.stranger).registerConsumer()],
      ['ConsumerDeregistered', () => as(f.stranger).deregisterConsumer()],
      ['AdminTransferred', () => as(f.admin).transferAdmin(f.relayer.address)],
    ] as const
    for (const [event, change] of changes) {
      const receipt = await mined(change())
      const names = receipt.logs.map((log) => registry.interface.parseLog(log)?.name)
      expect(names, event).toEqual([event])
    }
  })
})
