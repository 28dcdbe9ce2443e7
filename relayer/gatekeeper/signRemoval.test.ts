import { Wallet } from 'ethers'
import { describe, expect, it } from 'vitest'
import { type Removal, registryDomain, signGatekeeperStatement } from '../../contracts/admissionTypedData.js'
import { removalDeadline, signRemoval } from './signRemoval.js'
import { StatementBook } from './statementBook.js'

const domain = registryDomain(31337, `0x${'ab'.repeat(20)}`)
const [own, peer] = [1, 2].map((i) => new Wallet(`0x${i.toString(16).padStart(64, '0')}`))
const gatekeepers = new Set([own!, peer!].map((k) => k.address.toLowerCase()))
const isGatekeeper = (address: string) => gatekeepers.has(address.toLowerCase())
const worker = `0x${'cd'.repeat(20)}`

describe('removalDeadline', () => {
  it('is the end of the next window: the same for every time in one window, at least a window ahead', () => {
    expect(removalDeadline(3_600, 600)).toBe(4_800n)
    expect(removalDeadline(4_199, 600)).toBe(4_800n)
    expect(removalDeadline(4_200, 600)).toBe(5_400n)
    for (const t of [0, 1, 599, 600, 12_345]) expect(removalDeadline(t, 600) - BigInt(t) >= 600n).toBe(true)
  })
})

describe('signRemoval', () => {
  it("signs this window's removal once, and co-signs a peer's removal from the previous window", async () => {
    const book = new StatementBook(domain)
    // The peer judged the worker bad one window earlier; a stale-nonce and a far-future statement are not co-signed.
    const earlier: Removal = { worker, nonce: 4n, deadline: removalDeadline(3_000, 600) }
    const stale: Removal = { ...earlier, nonce: 3n }
    const far: Removal = { worker, nonce: 4n, deadline: 9_999_999n }
    for (const statement of [earlier, stale, far]) {
      const signature = await signGatekeeperStatement(peer!, domain, 'Removal', statement)
      book.add('Removal', statement, [signature], isGatekeeper)
    }
    const parameters = {
      worker,
      nonce: 4n,
      chainTime: 3_700,
      deadlineSeconds: 600,
      signer: own!,
      book,
      isGatekeeper,
    }
    const entries = await signRemoval(parameters)
    expect(entries.map((entry) => entry.statement.deadline).sort()).toEqual([4_200n, 4_800n])
    const signersOf = (deadline: bigint) =>
      [...entries.find((entry) => entry.statement.deadline === deadline)!.signatures.keys()].sort()
    expect(signersOf(4_200n)).toEqual([own!, peer!].map((k) => k.address.toLowerCase()).sort())
    expect(signersOf(4_800n)).toEqual([own!.address.toLowerCase()])
    // Again in the same window: nothing new.
    const again = await signRemoval(parameters)
    expect(again.map((entry) => entry.signatures.size).sort()).toEqual([1, 2])
    const all = book.forWorker('Removal', worker)
    expect(all).toHaveLength(4)
    expect(all.filter((entry) => entry.signatures.has(own!.address.toLowerCase()))).toHaveLength(2)
  })
})
