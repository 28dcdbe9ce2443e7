import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { DemoError } from './DemoError.js'
import { ensureRedisServer } from './ensureRedisServer.js'
import { deployPriceFunction } from './quorum/deployPriceFunction.js'
import { requestPrice, waitForFulfilment } from './quorum/priceRequests.js'
import { type QuorumNetwork, startQuorumNetwork } from './quorum/startQuorumNetwork.js'
import { resolveAnvilBinary } from './resolveAnvilBinary.js'

export type RunQuorumDemoParameters = {
  print?: ((line: string) => void) | undefined
}

export type RunQuorumDemoReturnType = {
  /** Per step, the signers of its fulfilment. */
  steps: { signers: string[]; dissenters: string[] | undefined; price: bigint }[]
}

const honestPrice = 3001n
const manipulatedPrice = 9999n

/**
 * Issue 15's demo: three `teefn node` processes admitted by three gatekeepers (2 of 3, no admin), a price
 * function under a 2-of-3 Identical policy. Step 1: all honest, fulfilled with >= 2 signatures. Step 2: the owner
 * points node C's secret price URL at a manipulated source; C is outvoted and named. Step 3: C's honest source is
 * restored and honest node A is SIGKILLed; B and C still fulfil. (With C manipulated and A dead no two agree: the
 * request would stay pending, which the tests show apart.)
 */
export async function runQuorumDemo({
  print = (line) => process.stdout.write(`${line}\n`),
}: RunQuorumDemoParameters = {}): Promise<RunQuorumDemoReturnType> {
  resolveAnvilBinary()
  ensureRedisServer({ log: (line) => print(`  ${line}`) })
  const step = (text: string) => print(`\n▸ ${text}`)
  const detail = (text: string) => print(`  ${text}`)
  let network: QuorumNetwork | undefined
  const prices = await servePrices()
  try {
    const priceUrl = `http://127.0.0.1:${(prices.address() as AddressInfo).port}`
    step('Starting anvil, the registry, three gatekeepers (2 of 3, admin renounced) and three teefn nodes')
    network = await startQuorumNetwork({ print: detail })
    const { nodes, provider } = network
    detail(`all three workers admitted by the gatekeepers (admin ${await network.registry.admin()})`)
    const price = await deployPriceFunction(network, { label: 'price', threshold: 2 })
    detail(`price function ${price.functionId}, policy 2-of-3 Identical`)
    detail(`PriceOracle ${await price.oracle.getAddress()}`)
    const name = (address: string) =>
      nodes.find((node) => node.worker.evmAddress === address)?.name ?? address
    const steps: RunQuorumDemoReturnType['steps'] = []

    const run = async (label: string) => {
      const sent = await requestPrice(provider, price.oracle)
      const done = await waitForFulfilment(provider, price.oracle, sent)
      const [stored] = await price.oracle.latest()
      const signers = done.signers ?? []
      detail(`${label}: request ${sent.requestId}`)
      detail(`fulfilled in ${done.seenAt - sent.minedAt} ms by ${done.from}, price ${stored}`)
      detail(
        `signers: ${signers.map(name).sort().join(', ')}; dissenters: ${done.dissenters?.map(name).sort().join(', ') ?? 'none'}`,
      )
      steps.push({ signers, dissenters: done.dissenters, price: stored })
      return { signers, dissenters: done.dissenters, stored }
    }

    step('Step 1: every node reads the honest price source')
    await price.putPriceUrls(nodes.map(() => `${priceUrl}/honest`))
    const first = await run('step 1')
    if (first.signers.length < 2 || first.stored !== honestPrice)
      throw new DemoError('Step 1 did not fulfil with two signatures.')
    print('  ✓ fulfilled with >= 2 agreeing signatures')

    step("Step 2: the owner points node C's PRICE_URL secret at a manipulated source")
    await price.putPriceUrls([`${priceUrl}/honest`, `${priceUrl}/honest`, `${priceUrl}/manipulated`])
    const second = await run('step 2')
    const c = nodes[2]!.worker.evmAddress
    if (second.stored !== honestPrice || second.signers.includes(c) || !second.dissenters?.includes(c))
      throw new DemoError('Step 2 did not outvote node C.')
    print('  ✓ the honest price was delivered and node C is named as the dissenter')

    step("Step 3: C's honest source is restored, then honest node A is killed (SIGKILL by pid)")
    await price.putPriceUrls(nodes.map(() => `${priceUrl}/honest`))
    const a = nodes[0]!
    await a.process.stop('SIGKILL')
    detail(`killed node A (pid ${a.process.pid})`)
    const third = await run('step 3')
    if (
      third.stored !== honestPrice ||
      third.signers.includes(a.worker.evmAddress) ||
      third.signers.length < 2
    )
      throw new DemoError('Step 3 was not fulfilled by the two remaining nodes.')
    print('  ✓ fulfilled by the two nodes left (B and C)')
    print('\n✓ 2-of-3 quorum: agreed, outvoted a manipulated node, and survived a killed node.')
    return { steps }
  } finally {
    step('Shutting everything down (each process by its pid)')
    await network?.stop()
    await new Promise((resolve) => prices.close(resolve))
  }
}

function servePrices(): Promise<Server> {
  const answers: Record<string, string> = {
    '/honest': String(honestPrice),
    '/manipulated': String(manipulatedPrice),
  }
  const server = createServer((request, response) => {
    const answer = answers[request.url ?? '']
    response.writeHead(answer ? 200 : 404, { 'content-type': 'text/plain' })
    response.end(answer ?? 'unknown')
  })
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)))
}
