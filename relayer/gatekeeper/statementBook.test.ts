import { Wallet } from 'ethers'
import { describe, expect, it } from 'vitest'
import {
  type Admission,
  type Removal,
  registryDomain,
  signGatekeeperStatement,
} from '../../contracts/admissionTypedData.js'
import { StatementBook } from './statementBook.js'

const domain = registryDomain(31337, `0x${'ab'.repeat(20)}`)
const keys = [1, 2, 3].map((i) => new Wallet(`0x${i.toString(16).padStart(64, '0')}`))
const stranger = new Wallet(`0x${'09'.padStart(64, '0')}`)
const gatekeepers = new Set(keys.map((k) => k.address.toLowerCase()))
const isGatekeeper = (address: string) => gatekeepers.has(address.toLowerCase())
const admission: Admission = {
  worker: `0x${'cd'.repeat(20)}`,
  quoteHash: `0x${'01'.repeat(32)}`,
  measurement: `0x${'02'.repeat(32)}`,
  expiresAt: 2_000n,
  nonce: 0n,
  deadline: 1_500n,
}

describe('StatementBook', () => {
  it("keeps only current gatekeepers' signatures of the same statement, once each", async () => {
    const book = new StatementBook(domain)
    const [a, b] = await Promise.all(
      keys.slice(0, 2).map((k) => signGatekeeperStatement(k, domain, 'Admission', admission)),
    )
    const other = await signGatekeeperStatement(keys[2]!, domain, 'Admission', {
      ...admission,
      expiresAt: 9_999n,
    })
    const strangers = await signGatekeeperStatement(stranger, domain, 'Admission', admission)
    expect(book.add('Admission', admission, [a!, strangers, other, '0x1234'], isGatekeeper)).toBe(1)
    expect(book.add('Admission', admission, [a!, b!], isGatekeeper)).toBe(1)
    const [entry] = book.forWorker('Admission', admission.worker.toUpperCase().replace('0X', '0x'))
    expect([...entry!.signatures.keys()].sort()).toEqual(
      [keys[0]!.address, keys[1]!.address].map((x) => x.toLowerCase()).sort(),
    )
    book.prune(1_500n)
    expect(book.forWorker('Admission', admission.worker)).toHaveLength(1)
    book.prune(1_501n)
    expect(book.forWorker('Admission', admission.worker)).toHaveLength(0)
  })

  it('keeps removals apart from admissions of the same worker; a signature counts only for its own kind', async () => {
    const book = new StatementBook(domain)
    const removal: Removal = { worker: admission.worker, nonce: 0n, deadline: 1_500n }
    const admissionSignature = await signGatekeeperStatement(keys[0]!, domain, 'Admission', admission)
    expect(book.add('Removal', removal, [admissionSignature], isGatekeeper)).toBe(0)
    const removalSignature = await signGatekeeperStatement(keys[0]!, domain, 'Removal', removal)
    expect(book.add('Removal', removal, [removalSignature], isGatekeeper)).toBe(1)
    expect(book.forWorker('Admission', admission.worker)).toEqual([])
    const [entry] = book.forWorker('Removal', admission.worker)
    expect(entry).toMatchObject({ kind: 'Removal', statement: removal })
    expect([...entry!.signatures.keys()]).toEqual([keys[0]!.address.toLowerCase()])
  })
})
