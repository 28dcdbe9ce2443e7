import { type Contract, hexlify, randomBytes, toUtf8Bytes } from 'ethers'
import { describe, expect, it } from 'vitest'
import { eventsNamed, mined, revertOf, type TeefnContractsFixture } from '../test/support/teefnContracts.js'
import { useTeefnChain } from '../test/support/useTeefnChain.js'
import { deploy } from './artifacts.js'

const HOOK_GAS_LIMIT = 200_000
const DATA = hexlify(toUtf8Bytes('CBOR of a Functions request'))

let f: TeefnContractsFixture
useTeefnChain({ isolate: true }, (chain) => {
  ;({ f } = chain)
})

async function deployRouter(hookGasLimit = HOOK_GAS_LIMIT): Promise<Contract> {
  const args = [String(f.registry.target), hookGasLimit, 3_600]
  return (await deploy('TeefnFunctionsRouter', f.admin, args)) as unknown as Contract
}

/** A router and a client that records the gas its callback got; sends one request with `callbackGasLimit`. */
async function requestThroughProbe(callbackGasLimit: number | bigint) {
  const router = await deployRouter()
  const probe = (await deploy('GasProbeFunctionsClient', f.stranger, [
    String(router.target),
  ])) as unknown as Contract
  const receipt = await mined(probe.send!(DATA, callbackGasLimit, f.functionId))
  const [sent] = eventsNamed(receipt, router, 'RequestSent')
  return { router, probe, requestId: sent!.args.requestId as string, receipt }
}

describe('TeefnFunctionsRouter', () => {
  it('gives the client exactly its callbackGasLimit, and clears the callback once it ran', async () => {
    const { router, probe, requestId } = await requestThroughProbe(50_000)
    expect(await router.callbackOf!(requestId)).toEqual([String(probe.target), 50_000n])
    const envelope = await f.sign(
      { requestId, result: hexlify(randomBytes(32)) },
      { consumer: String(router.target) },
    )
    await mined((router.connect(f.relayer) as Contract).fulfill!(envelope, { gasLimit: 2_000_000 }))
    const left = (await probe.gasAtCallback!()) as bigint
    // What the CALL forwarded, less the callee's dispatch before its first statement.
    expect(left).toBeLessThanOrEqual(50_000n)
    expect(left).toBeGreaterThan(49_000n)
    expect(await probe.responseLength!()).toBe(32n)
    expect(await probe.errLength!()).toBe(0n)
    expect(await router.callbackOf!(requestId)).toEqual(['0x0000000000000000000000000000000000000000', 0n])
  })

  it('can give the largest callbackGasLimit it accepts, with a 4 KiB error message', async () => {
    const router = await deployRouter()
    const max = (await router.maxCallbackGasLimit!()) as bigint
    expect(max).toBe(BigInt(Math.floor(((HOOK_GAS_LIMIT - 40_000) * 63) / 64)))
    const { router: probeRouter, probe, requestId } = await requestThroughProbe(max)
    const envelope = await f.sign(
      { requestId, status: 1, result: hexlify(randomBytes(4096)) },
      { consumer: String(probeRouter.target) },
    )
    const receipt = await mined(
      (probeRouter.connect(f.relayer) as Contract).fulfill!(envelope, { gasLimit: 3_000_000 }),
    )
    expect(eventsNamed(receipt, probeRouter, 'HookFailed')).toEqual([])
    expect(await probe.errLength!()).toBe(4096n)
    expect(await probe.responseLength!()).toBe(0n)
    expect(await probe.gasAtCallback!()).toBeGreaterThan(max - 1_000n)
  })

  it('refuses a callbackGasLimit above the maximum, and a hook gas limit that leaves none', async () => {
    const router = await deployRouter()
    const max = (await router.maxCallbackGasLimit!()) as bigint
    const probe = (await deploy('GasProbeFunctionsClient', f.stranger, [
      String(router.target),
    ])) as unknown as Contract
    expect(await revertOf(probe.send!(DATA, max + 1n, f.functionId))).toEqual({
      name: 'GasLimitTooBig',
      args: [max],
    })
    expect(await revertOf(deployRouter(40_000))).toEqual({
      name: 'HookGasLimitTooLow',
      args: [40_000n, 40_000n],
    })
  })

  it('logs the subscription id, the client, the function and the gas limit of every request', async () => {
    const { router, probe, requestId, receipt } = await requestThroughProbe(70_000)
    const [event] = eventsNamed(receipt, router, 'FunctionsRequestSent')
    expect([...event!.args]).toEqual([requestId, String(probe.target), 1n, f.functionId, 70_000n])
    const [sent] = eventsNamed(receipt, router, 'RequestSent')
    // The teefn request: the client is the requester, the CBOR is the payload.
    expect(sent!.args.requester).toBe(String(probe.target))
    expect(sent!.args.payload).toBe(DATA)
  })
})
