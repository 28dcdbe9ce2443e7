import { mkdtemp, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ContractFactory, type JsonRpcProvider, Wallet } from 'ethers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type AnvilInstance, createProvider, startAnvil } from '../../cli/dev/startAnvil.js'
import { statusCode } from '../resultStatus.js'
import { type Hex, utf8 } from './bytes.js'
import { createDevProvider } from './devProvider.js'
import { errorResultBytes } from './envelope.js'
import { signEnvelope } from './signEnvelope.js'
import type { TeeProvider } from './TeeProvider.js'

// The consumer side of the EIP-712 decision, in Solidity: it must recover the worker with ecrecover from an
// envelope signed here. (The production consumer lives in contracts/; this is the minimal check of the format.)
const source = `// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;
contract EnvelopeRecover {
  struct Envelope { bytes32 requestId; bytes32 functionId; bytes32 codeHash; uint8 status; bytes result; bytes signature; }
  bytes32 constant DOMAIN_TYPEHASH = keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
  bytes32 constant FULFILLMENT_TYPEHASH = keccak256("Fulfillment(bytes32 requestId,bytes32 functionId,bytes32 codeHash,uint8 status,bytes32 resultHash)");
  function signer(Envelope calldata e) external view returns (address) {
    bytes32 domain = keccak256(abi.encode(DOMAIN_TYPEHASH, keccak256("teefn"), keccak256("1"), block.chainid, address(this)));
    bytes32 structHash = keccak256(abi.encode(FULFILLMENT_TYPEHASH, e.requestId, e.functionId, e.codeHash, e.status, keccak256(e.result)));
    bytes32 digest = keccak256(abi.encodePacked("\\x19\\x01", domain, structHash));
    require(e.signature.length == 65, "length");
    bytes32 r = bytes32(e.signature[0:32]);
    bytes32 s = bytes32(e.signature[32:64]);
    uint8 v = uint8(e.signature[64]);
    return ecrecover(digest, v, r, s);
  }
}`

const require = createRequire(import.meta.url)

function compile(): { abi: unknown[]; bytecode: string } {
  const solc = require('solc') as { compile: (input: string) => string }
  const output = JSON.parse(
    solc.compile(
      JSON.stringify({
        language: 'Solidity',
        sources: { 'EnvelopeRecover.sol': { content: source } },
        settings: { outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } } },
      }),
    ),
  )
  const errors = (output.errors ?? []).filter((entry: { severity: string }) => entry.severity === 'error')
  if (errors.length > 0) throw new Error(JSON.stringify(errors))
  const contract = output.contracts['EnvelopeRecover.sol'].EnvelopeRecover
  return { abi: contract.abi, bytecode: `0x${contract.evm.bytecode.object}` }
}

describe('EVM envelopes on-chain', () => {
  let anvil: AnvilInstance
  let rpc: JsonRpcProvider
  let dir: string
  let worker: TeeProvider
  let recover: (envelope: unknown[]) => Promise<string>
  let address: Hex

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'teefn-onchain-'))
    const [node, compiled, provider] = await Promise.all([
      startAnvil(),
      Promise.resolve().then(compile),
      createDevProvider({ keyFile: join(dir, 'worker.json') }),
    ])
    anvil = node
    worker = provider
    rpc = createProvider(anvil.rpcUrl, anvil.chainId)
    const factory = new ContractFactory(
      compiled.abi as never,
      compiled.bytecode,
      new Wallet(anvil.privateKeys[0]!, rpc),
    )
    const contract = await factory.deploy()
    await contract.waitForDeployment()
    address = (await contract.getAddress()) as Hex
    recover = (envelope) => contract.getFunction('signer').staticCall(envelope) as Promise<string>
  })

  afterAll(async () => {
    rpc?.destroy()
    await anvil?.stop()
    await rm(dir, { recursive: true, force: true })
  })

  const fields = {
    requestId: `0x${'0a'.repeat(32)}` as Hex,
    functionId: `0x${'0b'.repeat(32)}` as Hex,
    codeHash: `0x${'0c'.repeat(32)}` as Hex,
  }
  const asStruct = (envelope: Awaited<ReturnType<typeof signEnvelope>>) => [
    envelope.requestId,
    envelope.functionId,
    envelope.codeHash,
    statusCode(envelope.status),
    envelope.result,
    envelope.signature,
  ]

  it('a consumer recovers the worker with ecrecover, for results and for failures', async () => {
    const chainId = (await rpc.getNetwork()).chainId
    const ok = await signEnvelope(worker, {
      family: 'evm',
      chainId,
      destination: address,
      ...fields,
      status: 'OK',
      result: utf8('{"answer":42}'),
    })
    expect(await recover(asStruct(ok))).toBe(worker.publicKeys.evmAddress)
    const failed = await signEnvelope(worker, {
      family: 'evm',
      chainId,
      destination: address,
      ...fields,
      status: 'MEMORY_LIMIT',
      result: errorResultBytes('out of memory'),
    })
    expect(await recover(asStruct(failed))).toBe(worker.publicKeys.evmAddress)
  })

  it('an envelope for another chain or another contract recovers to someone else', async () => {
    const forOtherChain = await signEnvelope(worker, {
      family: 'evm',
      chainId: 1,
      destination: address,
      ...fields,
      status: 'OK',
      result: utf8('x'),
    })
    expect(await recover(asStruct(forOtherChain))).not.toBe(worker.publicKeys.evmAddress)
    const forOtherContract = await signEnvelope(worker, {
      family: 'evm',
      chainId: (await rpc.getNetwork()).chainId,
      destination: '0x000000000000000000000000000000000000dEaD',
      ...fields,
      status: 'OK',
      result: utf8('x'),
    })
    expect(await recover(asStruct(forOtherContract))).not.toBe(worker.publicKeys.evmAddress)
  })
})
