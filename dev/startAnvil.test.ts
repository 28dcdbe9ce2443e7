import { existsSync, readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { dirname } from 'node:path'
import { HDNodeWallet, type TransactionReceipt, type TransactionResponse, Wallet } from 'ethers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ANVIL_ACCOUNTS,
  ANVIL_MNEMONIC,
  ANVIL_PRIVATE_KEYS,
  type AnvilInstance,
  createProvider,
  startAnvil,
  waitForReceipt,
} from './startAnvil.js'

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

async function sent(tx: Promise<TransactionResponse>): Promise<TransactionReceipt> {
  const response = await tx
  return waitForReceipt(response.provider, response.hash)
}

async function rawChainId(url: string, timeoutMs: number): Promise<string> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
    signal: AbortSignal.timeout(timeoutMs),
  })
  return ((await response.json()) as { result: string }).result
}

// Runtime bytecode 0x600160005500 (sstore(0, 1)) wrapped in init code that also emits LOG0; enough to see
// contract code, storage and logs survive a restart without the Solidity build.
const INIT_CODE = '0x60006000a06006601160003960066000f3600160005500'

describe('startAnvil', () => {
  let anvil: AnvilInstance

  beforeAll(async () => {
    anvil = await startAnvil()
  })

  afterAll(async () => {
    await anvil?.stop()
  })

  it('listens on 127.0.0.1 with the default chain and the default funded accounts', async () => {
    expect(anvil.rpcUrl).toBe(`http://127.0.0.1:${anvil.port}`)
    expect(anvil.wsUrl).toBe(`ws://127.0.0.1:${anvil.port}`)
    expect(anvil.port).toBeGreaterThan(0)
    expect(anvil.chainId).toBe(31337)
    expect(Number(await anvil.rpc<string>('eth_chainId'))).toBe(31337)
    expect(isAlive(anvil.pid!)).toBe(true)
    expect(anvil.output()).toContain('Listening on 127.0.0.1:')
    for (const key of anvil.privateKeys) expect(anvil.output()).not.toContain(key.slice(2))
    const accounts = await anvil.rpc<string[]>('eth_accounts')
    expect(accounts.map((a) => a.toLowerCase())).toEqual(anvil.accounts.map((a) => a.toLowerCase()))
    expect(anvil.privateKeys.map((key) => new Wallet(key).address)).toEqual([...anvil.accounts])
  })

  it('hard-codes the keys of the default mnemonic', () => {
    const root = HDNodeWallet.fromPhrase(ANVIL_MNEMONIC, undefined, "m/44'/60'/0'/0")
    ANVIL_PRIVATE_KEYS.forEach((key, i) => {
      expect(root.deriveChild(i).privateKey).toBe(key)
      expect(root.deriveChild(i).address).toBe(ANVIL_ACCOUNTS[i])
    })
  })

  it('gives a provider that sees fresh pending nonces under automine (no result cache)', async () => {
    const provider = createProvider(anvil.rpcUrl, anvil.chainId)
    try {
      const wallet = new Wallet(anvil.privateKeys[1]!, provider)
      const before = await provider.getTransactionCount(wallet.address, 'pending')
      // Back-to-back sends without an explicit nonce fail with "nonce too low" when the count is cached.
      for (let i = 0; i < 3; i++) {
        await sent(wallet.sendTransaction({ to: anvil.accounts[2], value: 1n }))
      }
      expect(await provider.getTransactionCount(wallet.address, 'pending')).toBe(before + 3)
    } finally {
      provider.destroy()
    }
  })

  it('moves time, mines, snapshots and reverts', async () => {
    const block = await anvil.rpc<{ timestamp: string; number: string }>('eth_getBlockByNumber', [
      'latest',
      false,
    ])
    const id = await anvil.snapshot()
    await anvil.increaseTime(3600)
    const later = await anvil.rpc<{ timestamp: string; number: string }>('eth_getBlockByNumber', [
      'latest',
      false,
    ])
    expect(Number(later.timestamp) - Number(block.timestamp)).toBeGreaterThanOrEqual(3600)
    await anvil.mine(5)
    expect(Number(await anvil.rpc<string>('eth_blockNumber'))).toBe(Number(later.number) + 5)
    await anvil.revert(id)
    expect(Number(await anvil.rpc<string>('eth_blockNumber'))).toBe(Number(block.number))
  })

  it('restarts on the same port keeping blocks, logs, receipts, code, storage and nonces', async () => {
    const provider = createProvider(anvil.rpcUrl, anvil.chainId)
    try {
      const wallet = new Wallet(anvil.privateKeys[3]!, provider)
      const deployTx = await wallet.sendTransaction({ data: INIT_CODE })
      const receipt = await waitForReceipt(provider, deployTx.hash)
      const address = receipt.contractAddress!
      await sent(wallet.sendTransaction({ to: address })) // runs sstore(0, 1)
      const blockNumber = await provider.getBlockNumber()
      const nonce = await provider.getTransactionCount(wallet.address)
      const pidBefore = anvil.pid!

      await anvil.restart({ downtimeMs: 50 })

      expect(anvil.pid).not.toBe(pidBefore)
      expect(isAlive(pidBefore)).toBe(false)
      expect(await provider.getBlockNumber()).toBe(blockNumber)
      expect(await provider.getTransactionCount(wallet.address)).toBe(nonce)
      expect(await provider.getCode(address)).toBe('0x600160005500')
      expect(BigInt(await provider.getStorage(address, 0))).toBe(1n)
      const logs = await provider.getLogs({ fromBlock: 0, toBlock: 'latest', address })
      expect(logs.map((log) => log.transactionHash)).toEqual([deployTx.hash])
      expect((await provider.getTransactionReceipt(deployTx.hash))?.status).toBe(1)
      // The restarted chain goes on from there.
      await sent(wallet.sendTransaction({ to: anvil.accounts[0], value: 1n }))
      expect(await provider.getBlockNumber()).toBe(blockNumber + 1)
    } finally {
      provider.destroy()
    }
  })

  it('halts (port refuses) and resumes; freezes (no answer) and thaws', async () => {
    await anvil.halt()
    expect(anvil.running).toBe(false)
    expect(anvil.pid).toBeUndefined()
    await expect(rawChainId(anvil.rpcUrl, 1_000)).rejects.toThrow()
    await anvil.resume()
    expect(anvil.running).toBe(true)
    expect(await rawChainId(anvil.rpcUrl, 5_000)).toBe('0x7a69')

    await anvil.freeze()
    await expect(rawChainId(anvil.rpcUrl, 300)).rejects.toMatchObject({ name: 'TimeoutError' })
    await anvil.thaw()
    expect(await rawChainId(anvil.rpcUrl, 5_000)).toBe('0x7a69')
  })
})

describe('startAnvil options and failures', () => {
  it('uses the chain id asked for', async () => {
    const anvil = await startAnvil({ chainId: 4242 })
    try {
      expect(anvil.chainId).toBe(4242)
      expect(Number(await anvil.rpc<string>('eth_chainId'))).toBe(4242)
    } finally {
      await anvil.stop()
    }
  })

  it('stops by its own PID, removes its temp state and can be stopped twice', async () => {
    const anvil = await startAnvil()
    const pid = anvil.pid!
    await anvil.mine(2)
    const stateDir = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      .split('\0')
      .find((arg) => arg.endsWith('state.json'))
    expect(stateDir).toBeDefined()
    await anvil.stop()
    expect(isAlive(pid)).toBe(false)
    expect(existsSync(dirname(stateDir!))).toBe(false)
    await anvil.stop()
    await expect(anvil.resume()).rejects.toMatchObject({ code: 'ANVIL_STOPPED' })
  })

  it('fails with anvil output when the port is taken', async () => {
    const blocker = createServer()
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
    const { port } = blocker.address() as { port: number }
    try {
      const error = await startAnvil({ port }).catch((e: unknown) => e)
      expect(error).toMatchObject({ code: 'ANVIL_EXITED' })
      expect(String((error as Error).message)).toMatch(/in use|Address/i)
    } finally {
      blocker.close()
    }
  })

  it('fails with anvil output on a bad argument', async () => {
    await expect(startAnvil({ args: ['--no-such-flag'] })).rejects.toMatchObject({ code: 'ANVIL_EXITED' })
  })
})
