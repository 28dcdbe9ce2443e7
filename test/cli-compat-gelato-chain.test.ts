import { formatEther, Interface, toUtf8Bytes } from 'ethers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runFunction } from '../cli/testing/runFunction.js'
import { createGelatoProject, type GelatoProject } from './support/gelatoProject.js'
import { runTeefn } from './support/runTeefn.js'
import type { TeefnContractsFixture } from './support/teefnContracts.js'
import type { AnvilInstance } from './support/useTeefnChain.js'
import { useTeefnChain } from './support/useTeefnChain.js'

let anvil: AnvilInstance
let f: TeefnContractsFixture
let project: GelatoProject
useTeefnChain({}, (chain) => {
  ;({ anvil, f } = chain)
})

beforeAll(async () => {
  project = await createGelatoProject()
})

afterAll(async () => {
  await project?.remove()
})

const host = () => new URL(anvil.rpcUrl).host

/** `teefn run --compat gelato` on the oracle reader against anvil; the parsed `--json` report. */
async function runReader(extra: string[]) {
  const oracle = await f.oracle.getAddress()
  const { status, stdout, stderr } = await runTeefn(
    [
      'run',
      project.file('oracleReader.ts'),
      '--compat',
      'gelato',
      '--user-args',
      JSON.stringify({ oracle }),
      '--rpc',
      anvil.rpcUrl,
      '--allow-host',
      host(),
      '--json',
      ...extra,
    ],
    { timeoutMs: 60_000, cwd: project.dir },
  )
  expect(stderr).toBe('')
  return { status, report: JSON.parse(stdout) }
}

describe('--compat gelato against a chain', () => {
  it("reads a contract with the function's own ethers v5 Contract through multiChainProvider.default()", async () => {
    const oracle = await f.oracle.getAddress()
    const { status, report } = await runReader(['--rpc-calls', '8'])
    expect(report.error).toBeNull()
    expect(status).toBe(0)
    const owner = f.oracleOwner.address
    const read = JSON.parse(report.logs[0].message)
    expect(read).toEqual({
      functionId: f.functionId,
      owner,
      latestPrice: '0',
      // The revert's custom error, decoded by ethers v5 from the data the provider answered with.
      latestError: 'CALL_EXCEPTION NoPriceYet',
      blockNumber: await f.provider.getBlockNumber(),
      balance: formatEther(await f.provider.getBalance(owner)),
      codeBytes: ((await f.provider.getCode(oracle)).length - 2) / 2,
      chainId: 31337,
      // Not given: asked of the RPC, outside the function's RPC calls.
      gelatoChainId: 31337,
      gasPrice: BigInt(await f.provider.send('eth_gasPrice', [])).toString(),
      sameProvider: true,
      remaining: 1,
    })
    const data = new Interface(['function requestPrice(bytes payload)']).encodeFunctionData('requestPrice', [
      toUtf8Bytes('{"pair":"ETH/USD"}'),
    ])
    expect(report.result).toBe(
      `{"canExec":true,"callData":[{"to":"${oracle.toLowerCase()}","data":"${data}"}]}`,
    )
    expect(report.compat).toEqual({ storage: { checks: '1' } })

    // The callData is what an executor sends as is.
    const { callData } = JSON.parse(report.result) as { callData: { to: string; data: string }[] }
    const sent = await f.oracleOwner.sendTransaction({ to: callData[0]!.to, data: callData[0]!.data })
    expect((await sent.wait())?.status).toBe(1)
  })

  it("fails at Gelato's five RPC calls by default, naming the limit", async () => {
    const { status, report } = await runReader([])
    expect(status).toBe(1)
    expect(report.error).toMatchObject({ limit: 'rpcCalls' })
    expect(report.error.message).toContain('Web3Function exited with code=250 (RPC requests limit exceeded)')
  })

  it('runs through runFunction: userArgs and storage in, the storage after the run out', async () => {
    const report = await runFunction({
      entry: project.file('oracleReader.ts'),
      compat: 'gelato',
      allowHosts: [host()],
      gelato: {
        userArgs: { oracle: await f.oracle.getAddress() },
        storage: { checks: '41' },
        rpcUrl: anvil.rpcUrl,
        rpcCalls: 8,
        chainId: 31337,
        gasPrice: '7',
      },
    })
    expect(report.error).toBeNull()
    expect(JSON.parse(report.logs[0]!.message)).toMatchObject({ gasPrice: '7', remaining: 1 })
    expect(report.compat).toEqual({ storage: { checks: '42' } })
  })
})
