/**
 * Gas of the teefn consumer path on a real anvil: deploying the example PriceOracle (its constructor signs it up
 * in the registry), signing up and leaving (`registerConsumer`, `deregisterConsumer`), request (empty and an
 * 18-byte JSON payload), single fulfil, a batch of 10, skipping, and cancelling after the deadline, with the
 * PriceOracle (hook gas bound 200 000). Prints JSON. Run: `npx tsx bench/fulfilGas.ts`.
 */
import { startAnvil } from '../dev/startAnvil.js'
import { deployTeefnContracts, encodePrice, mined } from '../test/support/teefnContracts.js'

const anvil = await startAnvil()
const f = await deployTeefnContracts(anvil)
try {
  const oracle = f.oracle.connect(f.relayer)
  const deployOracle = (await f.oracle.deploymentTransaction()!.wait())!.gasUsed
  const registry = f.registry.connect(f.stranger)
  const registerConsumer = (await mined(registry.registerConsumer())).gasUsed
  const deregisterConsumer = (await mined(registry.deregisterConsumer())).gasUsed
  const requestGas = (await mined(f.oracle.connect(f.oracleOwner).requestPrice('0x'))).gasUsed
  const payload = `0x${Buffer.from('{"pair":"ETH/USD"}').toString('hex')}`
  const requestPayloadGas = (await mined(f.oracle.connect(f.oracleOwner).requestPrice(payload))).gasUsed

  // The first answer writes the price slots from zero; later answers overwrite them.
  const firstId = await f.requestPrice()
  const first = await mined(oracle.fulfill(await f.sign({ requestId: firstId, result: encodePrice(1n) })))
  const steadyId = await f.requestPrice()
  const steady = await mined(oracle.fulfill(await f.sign({ requestId: steadyId, result: encodePrice(2n) })))
  const steadyEstimate = await (async () => {
    const id = await f.requestPrice()
    return oracle.fulfill.estimateGas(await f.sign({ requestId: id, result: encodePrice(3n) }))
  })()

  const ids: string[] = []
  for (let i = 0; i < 10; i++) ids.push(await f.requestPrice())
  const batch = await Promise.all(
    ids.map((requestId, i) => f.sign({ requestId, result: encodePrice(10n + BigInt(i)) })),
  )
  const batchEstimate = await oracle.fulfillBatch.estimateGas(batch)
  const batchReceipt = await mined(oracle.fulfillBatch(batch))
  // Re-submitting the same 10 (all already fulfilled) measures the cost of skipping.
  const skipped = await mined(oracle.fulfillBatch(batch))

  // Past the deadline: a batch records each request as Expired once; the requester cancels another.
  const lateIds: string[] = []
  for (let i = 0; i < 11; i++) lateIds.push(await f.requestPrice())
  const lateBatch = await Promise.all(
    lateIds.slice(0, 10).map((requestId) => f.sign({ requestId, result: encodePrice(1n) })),
  )
  await anvil.increaseTime(f.requestTimeout + 1)
  const expired = await mined(oracle.fulfillBatch(lateBatch))
  const cancel = await mined(f.oracle.connect(f.oracleOwner).cancelRequest(lateIds[10]!))

  process.stdout.write(
    `${JSON.stringify(
      {
        hookGasLimit: 200_000,
        deployPriceOracle: Number(deployOracle),
        registerConsumer: Number(registerConsumer),
        deregisterConsumer: Number(deregisterConsumer),
        requestPrice: Number(requestGas),
        requestPrice18BytePayload: Number(requestPayloadGas),
        fulfillFirst: Number(first.gasUsed),
        fulfillSteady: Number(steady.gasUsed),
        fulfillSteadyEstimate: Number(steadyEstimate),
        batch10: Number(batchReceipt.gasUsed),
        batch10PerEnvelope: Math.round(Number(batchReceipt.gasUsed) / 10),
        batch10Estimate: Number(batchEstimate),
        batch10AllRejected: Number(skipped.gasUsed),
        batch10AllExpired: Number(expired.gasUsed),
        cancelRequest: Number(cancel.gasUsed),
      },
      null,
      2,
    )}\n`,
  )
} finally {
  f.destroy()
  await anvil.stop()
}
