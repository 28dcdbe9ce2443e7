import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { teefnDomain } from '../../contracts/fulfillmentTypedData.js'
import { buildQuorumEnvelope, encodeQuorumFulfilment } from '../../contracts/quorumFulfillment.js'
import { type Hex, utf8 } from '../../runtime/bytes.js'
import { createDevProvider } from '../../runtime/enclave/devProvider.js'
import { type Envelope, payloadHashOf } from '../../runtime/enclave/envelope.js'
import { signEnvelope } from '../../runtime/enclave/signEnvelope.js'
import { statusCode } from '../../runtime/resultStatus.js'
import { encodeQuorumCalldata } from './encodeQuorumCalldata.js'

let dir: string
let envelopes: Envelope[]
const consumer = '0x5FbDB2315678afecb367f032d93F642f64180aa3' as Hex
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'teefn-quorum-calldata-'))
  envelopes = []
  for (const [index, result] of ['42', '42', '7'].entries()) {
    const worker = await createDevProvider({ keyFile: join(dir, `${index}.json`) })
    envelopes.push(
      await signEnvelope(worker, {
        family: 'evm',
        chainId: 31337,
        destination: consumer,
        requestId: `0x${'ab'.repeat(32)}`,
        functionId: `0x${'02'.repeat(32)}`,
        payloadHash: payloadHashOf(utf8('q')),
        codeHash: `0x${'03'.repeat(32)}`,
        status: index === 2 ? 'FUNCTION_ERROR' : 'OK',
        result: utf8(result),
      }),
    )
  }
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('encodeQuorumCalldata', () => {
  it('encodes what the contracts helper builds from recovered signers, in any input order', () => {
    const reference = buildQuorumEnvelope(
      teefnDomain(31337n, consumer),
      envelopes.map((item) => ({ ...item, status: statusCode(item.status) })),
    )
    const encoded = encodeQuorumCalldata([...envelopes].reverse())
    expect(encoded.data).toBe(encodeQuorumFulfilment([reference.envelope]))
    expect(encoded.signers.map((signer) => signer.toLowerCase())).toEqual(
      reference.signers.map((signer) => signer.toLowerCase()),
    )
    expect(encoded.answers).toEqual(
      reference.envelope.answers.map(({ status, result }) => ({ status, result })),
    )
  })

  it('refuses an empty set', () => {
    expect(() => encodeQuorumCalldata([])).toThrow(RangeError)
  })
})
