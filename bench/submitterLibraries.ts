/**
 * `npm run bench:libraries`: the CPU one EVM delivery costs the submitter, per Ethereum library. For batches of
 * 1, 5 and 20 envelopes it measures what the submitter does per transaction in this process: encode the
 * calldata, serialize and sign the transaction (libsecp256k1 signs in every option but `ethers-wallet`), and three
 * JSON-RPC calls (`eth_createAccessList`, `eth_sendRawTransaction`, `eth_getTransactionReceipt`; fees and the
 * hook limit are cached), and prints one JSON object. Options: viem's codec with the hand-written JSON-RPC client
 * (`createRpcClient`) or viem's `http` transport, and ethers for everything (its `Interface`, `Transaction` or
 * `Wallet`, and `JsonRpcProvider`). Revert decoding (a refused delivery) is measured on its own. RPC calls go to
 * a local anvil; only this process's CPU is counted (`process.cpuUsage`).
 */

import { keccak_256 } from '@noble/hashes/sha3.js'
import { Interface, JsonRpcProvider, Network, Signature, Transaction, Wallet } from 'ethers'
import {
  type Abi,
  createPublicClient,
  decodeErrorResult,
  encodeErrorResult,
  encodeFunctionData,
  type Hex,
  http,
  serializeTransaction,
} from 'viem'
import { loadArtifact } from '../contracts/loadArtifact.js'
import { startAnvil } from '../dev/startAnvil.js'
import { hexToBytes } from '../runtime/bytes.js'
import { createRpcClient } from '../runtime/chain/evm/createRpcClient.js'
import { signSecp256k1 } from '../runtime/enclave/signSecp256k1.js'
import { report, round } from './support.js'

const abi = loadArtifact('TeefnConsumer').abi as Abi
const ethersAbi = new Interface(loadArtifact('TeefnConsumer').abi)
const key = '0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba'
const privateKey = hexToBytes(key)!
const wallet = new Wallet(key)
const to = '0x5FbDB2315678afecb367f032d93F642f64180aa3' as Hex
const word = (byte: number) => `0x${byte.toString(16).padStart(2, '0').repeat(32)}` as Hex
const envelope = (index: number) => ({
  requestId: word(index),
  functionId: word(0xf0),
  payloadHash: word(0xa0),
  codeHash: word(0xc0),
  status: 0,
  result: word(0x11),
  signature: `0x${'5a'.repeat(65)}` as Hex,
})
const fees = { maxFeePerGas: 3_000_000_000n, maxPriorityFeePerGas: 1_000_000_000n }
const accessList = [{ address: to, storageKeys: [word(1), word(2)] }]

/** CPU microseconds (user + system) per call of `operation`, after a warm-up. */
async function cpuMicroseconds(iterations: number, operation: () => unknown): Promise<number> {
  for (let i = 0; i < Math.min(50, iterations); i++) await operation()
  const before = process.cpuUsage()
  for (let i = 0; i < iterations; i++) await operation()
  const used = process.cpuUsage(before)
  return (used.user + used.system) / iterations
}

const calldataOf = {
  viem: (envelopes: ReturnType<typeof envelope>[]) =>
    envelopes.length === 1
      ? encodeFunctionData({ abi, functionName: 'fulfill', args: envelopes })
      : encodeFunctionData({ abi, functionName: 'fulfillBatch', args: [envelopes] }),
  ethers: (envelopes: ReturnType<typeof envelope>[]) =>
    envelopes.length === 1
      ? ethersAbi.encodeFunctionData('fulfill', envelopes)
      : ethersAbi.encodeFunctionData('fulfillBatch', [envelopes]),
}

const signed = {
  /** viem serializes, libsecp256k1 signs (what `signTransaction.ts` does). */
  viem: (data: Hex, nonce: number) => {
    const transaction = {
      type: 'eip1559' as const,
      chainId: 31337,
      nonce,
      to,
      data,
      gas: 900_000n,
      accessList,
    }
    const digest = keccak_256(hexToBytes(serializeTransaction({ ...transaction, ...fees }))!)
    const { compact, recovery } = signSecp256k1({ digest, privateKey })
    return serializeTransaction(
      { ...transaction, ...fees },
      { r: bytes32(compact, 0), s: bytes32(compact, 32), yParity: recovery },
    )
  },
  /** ethers serializes (`Transaction`), libsecp256k1 signs. */
  ethers: (data: string, nonce: number) => {
    const transaction = Transaction.from({
      type: 2,
      chainId: 31337,
      nonce,
      to,
      data,
      gasLimit: 900_000n,
      accessList,
      ...fees,
    })
    const { compact, recovery } = signSecp256k1({
      digest: hexToBytes(transaction.unsignedHash as Hex)!,
      privateKey,
    })
    transaction.signature = Signature.from({
      r: bytes32(compact, 0),
      s: bytes32(compact, 32),
      v: 27 + recovery,
    })
    return transaction.serialized
  },
  /** ethers alone: `Wallet.signTransaction` (its own secp256k1). */
  ethersWallet: (data: string, nonce: number) =>
    wallet.signTransaction({
      type: 2,
      chainId: 31337,
      nonce,
      to,
      data,
      gasLimit: 900_000n,
      accessList,
      ...fees,
    }),
}

function bytes32(bytes: Uint8Array, at: number): Hex {
  return `0x${Buffer.from(bytes.subarray(at, at + 32)).toString('hex')}`
}

const anvil = await startAnvil()
try {
  const rpcClient = createRpcClient({ url: anvil.rpcUrl })
  const viemClient = createPublicClient({ transport: http(anvil.rpcUrl, { batch: false }) })
  const ethersProvider = new JsonRpcProvider(anvil.rpcUrl, Network.from(31337n), {
    staticNetwork: true,
    cacheTimeout: -1,
    batchMaxCount: 1,
  })
  // A call with a block-sized answer (as a receipt is) and a small one, each as the submitter makes it.
  const calls = [
    ['eth_getBlockByNumber', ['latest', false]],
    ['eth_chainId', []],
  ] as const
  const transports = {
    rpcClient: (method: string, params: readonly unknown[]) => rpcClient.request(method, params),
    // Untyped on purpose: the same two calls for every transport.
    viemHttp: (method: string, params: readonly unknown[]) =>
      (viemClient.request as (call: { method: string; params: readonly unknown[] }) => Promise<unknown>)({
        method,
        params,
      }),
    ethersJsonRpc: (method: string, params: readonly unknown[]) => ethersProvider.send(method, [...params]),
  }
  const rpcCallUs: Record<string, number> = {}
  for (const [name, call] of Object.entries(transports)) {
    let total = 0
    for (const [method, params] of calls) total += await cpuMicroseconds(400, () => call(method, params))
    rpcCallUs[name] = round(total / calls.length)
  }

  const options = {
    'viem + rpcClient': { codec: 'viem', signer: 'viem', rpc: rpcCallUs.rpcClient! },
    'viem + viem http': { codec: 'viem', signer: 'viem', rpc: rpcCallUs.viemHttp! },
    'ethers + rpcClient': { codec: 'ethers', signer: 'ethers', rpc: rpcCallUs.rpcClient! },
    'ethers for all (Wallet, JsonRpcProvider)': {
      codec: 'ethers',
      signer: 'ethersWallet',
      rpc: rpcCallUs.ethersJsonRpc!,
    },
  } as const
  const perBatch: Record<string, Record<string, { encode: number; sign: number }>> = {}
  const perDelivery: Record<string, Record<string, number>> = {}
  for (const size of [1, 5, 20]) {
    const envelopes = Array.from({ length: size }, (_, index) => envelope(index + 1))
    const iterations = size === 20 ? 300 : 1_000
    const row: Record<string, { encode: number; sign: number }> = {}
    for (const codec of ['viem', 'ethers'] as const) {
      const data = calldataOf[codec](envelopes)
      row[codec] = {
        encode: round(await cpuMicroseconds(iterations, () => calldataOf[codec](envelopes))),
        sign: round(await cpuMicroseconds(iterations, () => signed[codec](data as Hex, 7))),
      }
    }
    const data = calldataOf.ethers(envelopes)
    row.ethersWallet = {
      encode: row.ethers!.encode,
      sign: round(await cpuMicroseconds(iterations / 2, () => signed.ethersWallet(data, 7))),
    }
    perBatch[`batch_${size}`] = row
    perDelivery[`batch_${size}`] = Object.fromEntries(
      Object.entries(options).map(([name, option]) => [
        name,
        round((row[option.codec]!.encode + row[option.signer]!.sign + 3 * option.rpc) / size),
      ]),
    )
  }

  const revertData = encodeErrorResult({ abi, errorName: 'WorkerNotActive', args: [to] })
  const revertDecodeUs = {
    viem: round(await cpuMicroseconds(5_000, () => decodeErrorResult({ abi, data: revertData }))),
    ethers: round(await cpuMicroseconds(5_000, () => ethersAbi.parseError(revertData))),
  }

  const ranked = Object.entries(perDelivery.batch_5!).sort(([, a], [, b]) => a - b)
  report({
    bench: 'submitter-libraries',
    per_delivery_cpu_us: perDelivery,
    per_transaction_cpu_us: perBatch,
    rpc_call_cpu_us: rpcCallUs,
    revert_decode_cpu_us: revertDecodeUs,
    fastest_at_batch_5: ranked[0]![0],
    notes:
      'per delivery = (encode + serialize and sign + 3 JSON-RPC calls) / batch size, CPU of this process only ' +
      '(anvil answers in its own); sign: viem or ethers serialize, libsecp256k1 signs, except ethersWallet ' +
      '(Wallet.signTransaction); rpc: mean of eth_getBlockByNumber and eth_chainId on a local anvil',
  })
  rpcClient.close()
  ethersProvider.destroy()
} finally {
  await anvil.stop()
}
