import { mkdtemp, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ContractFactory, keccak256 } from 'ethers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type AnvilInstance, startAnvil } from '../../dev/startAnvil.js'
import {
  deployTeefnContracts,
  eventsNamed,
  mined,
  revertOf,
  type TeefnContractsFixture,
} from '../../test/support/teefnContracts.js'
import { bytesToHex, type Hex, hexToBytes, utf8 } from '../bytes.js'
import { statusCode } from '../resultStatus.js'
import { createDevProvider } from './devProvider.js'
import { errorResultBytes } from './envelope.js'
import { fulfillmentDigest } from './evmEnvelope.js'
import type { TeeProvider } from './TeeProvider.js'

// The consumer side of the EIP-712 decision: the digest `fulfillmentDigest` computes must be the one
// `TeefnConsumer.hashFulfillment` computes, and a signature over it must recover the worker, both with bare
// `ecrecover` (this minimal contract, independent of OpenZeppelin) and through the production consumer.
const source = `// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;
contract EnvelopeRecover {
  struct Envelope { bytes32 requestId; bytes32 functionId; bytes32 payloadHash; bytes32 codeHash; uint8 status; bytes result; bytes signature; }
  bytes32 constant DOMAIN_TYPEHASH = keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
  bytes32 constant FULFILLMENT_TYPEHASH = keccak256("Fulfillment(bytes32 requestId,bytes32 functionId,bytes32 payloadHash,bytes32 codeHash,uint8 status,bytes32 resultHash)");
  function signer(Envelope calldata e) external view returns (address) {
    bytes32 domain = keccak256(abi.encode(DOMAIN_TYPEHASH, keccak256("teefn"), keccak256("1"), block.chainid, address(this)));
    bytes32 structHash = keccak256(abi.encode(FULFILLMENT_TYPEHASH, e.requestId, e.functionId, e.payloadHash, e.codeHash, e.status, keccak256(e.result)));
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

type Fields = {
  chainId: bigint
  consumer: Hex
  requestId: Hex
  functionId: Hex
  payloadHash: Hex
  codeHash: Hex
  status: number
  result: Uint8Array
}

/** An envelope (the consumer's calldata struct) signed by `worker` over `fulfillmentDigest`. */
async function signed(worker: TeeProvider, fields: Fields) {
  const digest = fulfillmentDigest({
    chainId: fields.chainId,
    verifyingContract: hexToBytes(fields.consumer)!,
    requestId: hexToBytes(fields.requestId)!,
    functionId: hexToBytes(fields.functionId)!,
    payloadHash: hexToBytes(fields.payloadHash)!,
    codeHash: hexToBytes(fields.codeHash)!,
    status: fields.status,
    resultHash: hexToBytes(keccak256(fields.result))!,
  })
  return {
    digest: bytesToHex(digest),
    envelope: {
      requestId: fields.requestId,
      functionId: fields.functionId,
      payloadHash: fields.payloadHash,
      codeHash: fields.codeHash,
      status: fields.status,
      result: bytesToHex(fields.result),
      signature: bytesToHex(await worker.signDigest(digest)),
    },
  }
}

describe('EVM envelopes on-chain', () => {
  let anvil: AnvilInstance
  let f: TeefnContractsFixture
  let dir: string
  let worker: TeeProvider
  let recover: (envelope: object) => Promise<string>
  let recoverAddress: Hex
  let chainId: bigint

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'teefn-onchain-'))
    const [node, compiled, provider] = await Promise.all([
      startAnvil(),
      Promise.resolve().then(compile),
      createDevProvider({ keyFile: join(dir, 'worker.json') }),
    ])
    anvil = node
    worker = provider
    f = await deployTeefnContracts(anvil)
    chainId = f.chainId
    const factory = new ContractFactory(compiled.abi as never, compiled.bytecode, f.admin)
    const contract = await factory.deploy()
    await contract.waitForDeployment()
    recoverAddress = (await contract.getAddress()) as Hex
    recover = (envelope) => contract.getFunction('signer').staticCall(envelope) as Promise<string>
    // The dev worker becomes an admitted worker of the production registry.
    await mined(f.registry.admitWorker(worker.publicKeys.evmAddress, keccak256('0x01'), f.workerExpiresAt))
  })

  afterAll(async () => {
    f?.destroy()
    await anvil?.stop()
    await rm(dir, { recursive: true, force: true })
  })

  const ids = {
    requestId: `0x${'0a'.repeat(32)}` as Hex,
    functionId: `0x${'0b'.repeat(32)}` as Hex,
    payloadHash: keccak256(utf8('{"pair":"ETH/USD"}')) as Hex,
    codeHash: `0x${'0c'.repeat(32)}` as Hex,
  }

  it('computes the digest TeefnConsumer.hashFulfillment computes', async () => {
    const consumer = (await f.oracle.getAddress()) as Hex
    for (const [status, result] of [
      [0, utf8('{"answer":42}')],
      [statusCode('MEMORY_LIMIT'), errorResultBytes('out of memory')],
    ] as const) {
      const { digest } = await signed(worker, { chainId, consumer, ...ids, status, result })
      expect(
        await f.oracle.hashFulfillment(
          ids.requestId,
          ids.functionId,
          ids.payloadHash,
          ids.codeHash,
          status,
          keccak256(result),
        ),
      ).toBe(digest)
    }
  })

  it('a consumer recovers the worker with ecrecover, for results and for failures', async () => {
    const consumer = recoverAddress
    const ok = await signed(worker, { chainId, consumer, ...ids, status: 0, result: utf8('{"answer":42}') })
    expect(await recover(ok.envelope)).toBe(worker.publicKeys.evmAddress)
    const failed = await signed(worker, {
      chainId,
      consumer,
      ...ids,
      status: statusCode('MEMORY_LIMIT'),
      result: errorResultBytes('out of memory'),
    })
    expect(await recover(failed.envelope)).toBe(worker.publicKeys.evmAddress)
    // The payload hash is signed: another one recovers someone else.
    const otherPayload = { ...ok.envelope, payloadHash: keccak256(utf8('{"pair":"BTC/USD"}')) }
    expect(await recover(otherPayload)).not.toBe(worker.publicKeys.evmAddress)
  })

  it('an envelope for another chain or another contract recovers to someone else', async () => {
    const result = utf8('x')
    const consumer = recoverAddress
    const forOtherChain = await signed(worker, { chainId: 1n, consumer, ...ids, status: 0, result })
    expect(await recover(forOtherChain.envelope)).not.toBe(worker.publicKeys.evmAddress)
    const forOtherContract = await signed(worker, {
      chainId,
      consumer: '0x000000000000000000000000000000000000dEaD',
      ...ids,
      status: 0,
      result,
    })
    expect(await recover(forOtherContract.envelope)).not.toBe(worker.publicKeys.evmAddress)
  })

  it('the production consumer accepts the envelope for the payload it was asked, and only that', async () => {
    const payload = utf8('{"pair":"ETH/USD"}')
    const request = await f.sendPriceRequest(bytesToHex(payload))
    const base = {
      chainId,
      consumer: (await f.oracle.getAddress()) as Hex,
      requestId: request.requestId as Hex,
      functionId: f.functionId as Hex,
      codeHash: f.codeHash as Hex,
      status: 0,
      result: hexToBytes(f.oracle.interface.getAbiCoder().encode(['uint256'], [42n]))!,
    }
    const oracle = f.oracle.connect(f.relayer)
    const wrong = await signed(worker, { ...base, payloadHash: keccak256(utf8('{"pair":"BTC/USD"}')) as Hex })
    expect(await revertOf(oracle.fulfill(wrong.envelope))).toEqual({
      name: 'PayloadMismatch',
      args: [request.requestId],
    })
    const right = await signed(worker, { ...base, payloadHash: keccak256(payload) as Hex })
    const receipt = await mined(oracle.fulfill(right.envelope))
    expect(eventsNamed(receipt, f.oracle, 'RequestFulfilled')[0]?.args.worker).toBe(
      worker.publicKeys.evmAddress,
    )
    expect(await f.oracle.latestPrice()).toBe(42n)
  })
})
