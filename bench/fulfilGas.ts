/**
 * Gas of the teefn consumer path on a real anvil: request, single fulfil, and a batch of 10, with the
 * example PriceOracle (hook gas bound 200 000). Prints JSON. Run: `npx tsx bench/fulfilGas.ts`.
 */
import { startAnvil } from '../cli/dev/startAnvil.js'
import { deployTeefnContracts, encodePrice, mined } from '../test/support/teefnContracts.js'

const anvil = await startAnvil()
const f = await deployTeefnContracts(anvil)
try {
  const oracle = f.oracle.connect(f.relayer)
  const requestGas = (await mined(f.oracle.connect(f.oracleOwner).requestPrice('0x'))).gasUsed

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

  process.stdout.write(
    `${JSON.stringify(
      {
        hookGasLimit: 200_000,
        requestPrice: Number(requestGas),
        fulfillFirst: Number(first.gasUsed),
        fulfillSteady: Number(steady.gasUsed),
        fulfillSteadyEstimate: Number(steadyEstimate),
        batch10: Number(batchReceipt.gasUsed),
        batch10PerEnvelope: Math.round(Number(batchReceipt.gasUsed) / 10),
        batch10Estimate: Number(batchEstimate),
        batch10AllRejected: Number(skipped.gasUsed),
      },
      null,
      2,
    )}\n`,
  )
} finally {
  f.destroy()
  await anvil.stop()
}
