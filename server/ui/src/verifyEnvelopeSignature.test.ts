import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bytesToHex, type Hex, utf8 } from '../../../runtime/bytes.js'
import { createDevProvider } from '../../../runtime/enclave/devProvider.js'
import { payloadHashOf, resultHashOf } from '../../../runtime/enclave/envelope.js'
import { signEnvelope } from '../../../runtime/enclave/signEnvelope.js'
import type { TeeProvider } from '../../../runtime/enclave/TeeProvider.js'
import { verifyEnvelopeSignature } from './verifyEnvelopeSignature.js'

const parameters = {
  family: 'evm' as const,
  chainId: 31337,
  destination: '0x5FbDB2315678afecb367f032d93F642f64180aa3' as Hex,
  requestId: `0x${'01'.repeat(32)}` as Hex,
  functionId: `0x${'02'.repeat(32)}` as Hex,
  payloadHash: payloadHashOf(utf8('{}')),
  codeHash: `0x${'03'.repeat(32)}` as Hex,
  status: 'OK' as const,
  result: utf8('42'),
}

let dir: string
let worker: TeeProvider
let other: TeeProvider
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'teefn-ui-envelope-'))
  worker = await createDevProvider({ keyFile: join(dir, 'worker.json') })
  other = await createDevProvider({ keyFile: join(dir, 'other.json') })
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('verifyEnvelopeSignature (the dashboard, in the browser)', () => {
  it("verifies the worker's envelope and refuses altered ones, another worker's and a changed signed field", async () => {
    const address = worker.publicKeys.evmAddress
    const envelope = await signEnvelope(worker, parameters)
    expect(await verifyEnvelopeSignature(envelope, address)).toEqual({ verified: true, signer: address })

    const forged = utf8('43')
    const altered = await verifyEnvelopeSignature({ ...envelope, result: bytesToHex(forged) }, address)
    expect(altered).toMatchObject({ verified: false, reason: 'the result does not match its signed hash' })
    const rehashed = { ...envelope, result: bytesToHex(forged), resultHash: bytesToHex(resultHashOf(forged)) }
    expect((await verifyEnvelopeSignature(rehashed, address)).verified).toBe(false)
    const otherRequest = { ...envelope, requestId: `0x${'09'.repeat(32)}` as Hex }
    expect(await verifyEnvelopeSignature(otherRequest, address)).toMatchObject({
      verified: false,
      reason: expect.stringContaining("not the envelope's worker"),
    })

    const foreign = await signEnvelope(other, parameters)
    expect(await verifyEnvelopeSignature(foreign, address)).toMatchObject({
      verified: false,
      reason: expect.stringContaining("not this node's attested worker"),
    })
  })
})
