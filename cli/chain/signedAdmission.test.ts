import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { id, keccak256, Wallet } from 'ethers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type Admission,
  registryDomain,
  signGatekeeperStatement,
} from '../../contracts/admissionTypedData.js'
import { readSignedAdmission, type SignedAdmission, signedAdmissionJson } from './signedAdmission.js'

const gatekeeper = Wallet.createRandom()
const registry = `0x${'12'.repeat(20)}`
const admission: Admission = {
  worker: `0x${'34'.repeat(20)}`,
  quoteHash: keccak256('0x01'),
  measurement: id('measurement'),
  expiresAt: 2_000_000_000n,
  nonce: 3n,
  deadline: 1_999_999_999n,
}
let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'teefn-signed-admission-'))
})
afterAll(() => rm(dir, { recursive: true, force: true }))

async function signedFile(name: string, edit: (json: SignedAdmission) => void = () => {}) {
  const signature = await signGatekeeperStatement(
    gatekeeper,
    registryDomain(31337, registry),
    'Admission',
    admission,
  )
  const json = signedAdmissionJson(31337, registry, admission, gatekeeper.address, signature)
  edit(json)
  const file = join(dir, name)
  await writeFile(file, JSON.stringify(json))
  return file
}

describe('signed admission files', () => {
  it('read back the statement, its digest and its signer', async () => {
    const read = await readSignedAdmission(await signedFile('good.json'))
    expect(read).toMatchObject({ chainId: 31337, registry, admission, signer: gatekeeper.address })
    expect(read.digest).toMatch(/^0x[0-9a-f]{64}$/)
  })

  it('refuse a file whose statement, signer or form changed after signing', async () => {
    const later = await signedFile('later.json', (json) => {
      json.statement.deadline += 1
    })
    await expect(readSignedAdmission(later)).rejects.toThrow(
      /is not a signed admission: its signature is not/,
    )
    const otherChain = await signedFile('chain.json', (json) => {
      json.chainId = 1
    })
    await expect(readSignedAdmission(otherChain)).rejects.toThrow(/its signature is not/)
    const noNonce = await signedFile('nonce.json', (json) => {
      Object.assign(json.statement, { nonce: '3' })
    })
    await expect(readSignedAdmission(noNonce)).rejects.toThrow(/is not a signed admission: statement.nonce/)
    await expect(readSignedAdmission(join(dir, 'missing.json'))).rejects.toThrow(
      /cannot read the signed admission/,
    )
  })
})
