import { Wallet } from 'ethers'
import { describe, expect, it } from 'vitest'
import { computeCodeHash } from '../runtime/store/computeCodeHash.js'
import { ApiError } from './ApiError.js'
import { createApiKeyMatcher } from './apiKeys.js'
import { authorizeUpload } from './uploadAuthorization.js'
import { uploadAuthorizationMessage } from './uploadMessage.js'

const owner = new Wallet(`0x${'11'.repeat(32)}`)
const other = new Wallet(`0x${'22'.repeat(32)}`)
const codeHash = computeCodeHash('export default () => 1')
const now = 1_800_000_000
const nodeA = 'https://node-a.example'
const nodeB = 'https://node-b.example'

const signed = async (wallet: Wallet, timestamp: number, hash = codeHash, origin = nodeA) => ({
  owner: owner.address,
  timestamp: String(timestamp),
  signature: await wallet.signMessage(uploadAuthorizationMessage(hash, timestamp, origin)),
})

const refusal = (run: () => unknown): ApiError => {
  try {
    run()
  } catch (error) {
    if (error instanceof ApiError) return error
    throw error
  }
  throw new Error('expected a refusal')
}

const authorize = (
  headers: Parameters<typeof authorizeUpload>[0]['headers'],
  policy = {},
  origins: string[] = [nodeA],
) => authorizeUpload({ codeHash, headers, apiKey: undefined, apiKeyPresented: false, policy, origins, now })

describe('uploadAuthorizationMessage', () => {
  it("is the exact text owners sign, with the codeHash in lowercase and the node's origin", () => {
    expect(uploadAuthorizationMessage(`0x${'AB'.repeat(32)}`, 1_700_000_000, nodeA)).toBe(
      `teefn upload 0x${'ab'.repeat(32)} at 1700000000 to https://node-a.example`,
    )
  })
})

describe('authorizeUpload', () => {
  it("accepts the owner's recent signature and names the owner", async () => {
    expect(authorize(await signed(owner, now - 299))).toEqual({
      method: 'owner-signature',
      owner: owner.address,
    })
    // Lowercase addresses are the same owner.
    const headers = { ...(await signed(owner, now)), owner: owner.address.toLowerCase() }
    expect(authorize(headers).owner).toBe(owner.address)
  })

  it('refuses a signature older than the window, or from the future beyond the skew', async () => {
    const old = await signed(owner, now - 301)
    expect(refusal(() => authorize(old))).toMatchObject({ statusCode: 401, code: 'SIGNATURE_EXPIRED' })
    expect(refusal(() => authorize(old)).shortMessage).toMatch(
      /stale: signed at \d+, 301 s ago; at most 300 s/,
    )
    const future = await signed(owner, now + 31)
    expect(refusal(() => authorize(future)).shortMessage).toMatch(/31 s in the future/)
    expect(authorize(await signed(owner, now + 30)).method).toBe('owner-signature')
    expect(authorize(old, { maxAgeSeconds: 600 }).method).toBe('owner-signature')
  })

  it("refuses another signer's signature, or one over another codeHash", async () => {
    const byOther = await signed(other, now)
    expect(refusal(() => authorize(byOther))).toMatchObject({ statusCode: 401, code: 'SIGNATURE_INVALID' })
    const otherCode = await signed(owner, now, computeCodeHash('export default () => 2'))
    expect(refusal(() => authorize(otherCode)).shortMessage).toContain(`does not come from ${owner.address}`)
  })

  it('refuses a signature made for another node: it cannot be replayed elsewhere', async () => {
    const forB = await signed(owner, now, codeHash, nodeB)
    expect(authorize(forB, {}, [nodeB]).owner).toBe(owner.address)
    const replayed = refusal(() => authorize(forB, {}, [nodeA]))
    expect(replayed).toMatchObject({ statusCode: 401, code: 'SIGNATURE_INVALID' })
    expect(replayed.shortMessage).toContain(`to ${nodeA}`)
    expect(replayed.hint).toMatch(/another node/)
    // A node with no public URL accepts no signature at all.
    const headers = await signed(owner, now)
    expect(refusal(() => authorize(headers, {}, []))).toMatchObject({
      code: 'SIGNATURE_INVALID',
      shortMessage: expect.stringContaining('no public URL'),
    })
  })

  it('refuses a signature that is not a signature, and a missing header', async () => {
    const headers = { ...(await signed(owner, now)), signature: `0x${'00'.repeat(65)}` }
    expect(refusal(() => authorize(headers))).toMatchObject({ statusCode: 401, code: 'SIGNATURE_INVALID' })
    const { signature: _, ...unsigned } = await signed(owner, now)
    expect(refusal(() => authorize(unsigned))).toMatchObject({ statusCode: 401, code: 'UNAUTHORIZED' })
  })

  it('refuses owners outside the allowed list with 403', async () => {
    const headers = await signed(owner, now)
    expect(refusal(() => authorize(headers, { allowedOwners: [other.address] }))).toMatchObject({
      statusCode: 403,
      code: 'OWNER_NOT_ALLOWED',
    })
    expect(authorize(headers, { allowedOwners: [owner.address.toLowerCase()] }).method).toBe(
      'owner-signature',
    )
  })

  it('accepts a configured API key and refuses a wrong one, without echoing it', () => {
    const match = createApiKeyMatcher(['operator-key-1', 'operator-key-2'])
    const byKey = (presented: string) =>
      authorizeUpload({
        codeHash,
        headers: {},
        apiKey: match(presented),
        apiKeyPresented: true,
        policy: {},
        origins: [nodeA],
        now,
      })
    expect(byKey('operator-key-2')).toMatchObject({ method: 'api-key', owner: undefined })
    const wrong = refusal(() => byKey('operator-key-3'))
    expect(wrong).toMatchObject({ statusCode: 401, code: 'API_KEY_INVALID' })
    expect(wrong.message).not.toContain('operator-key')
  })
})
