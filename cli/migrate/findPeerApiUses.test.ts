import { describe, expect, it } from 'vitest'
import { findPeerApiUses } from './findPeerApiUses.js'
import { peerApis } from './peerApis.js'

const usesOf = (code: string, peer: keyof typeof peerApis) =>
  Object.fromEntries(
    findPeerApiUses({ code, apis: peerApis[peer] }).map(({ api, lines }) => [
      'path' in api ? api.path : 'global' in api ? api.global : api.import,
      lines,
    ]),
  )

describe('findPeerApiUses', () => {
  it('finds member chains, free globals and imports, with their lines, in a Chainlink source with a top-level return', () => {
    const code = [
      "import { ethers } from 'npm:ethers@6'",
      'const response = await Functions.makeHttpRequest({ url: args[0] })',
      'const key = secrets.apiKey',
      'return Functions.encodeUint256(BigInt(response.data.price))',
    ].join('\n')
    expect(usesOf(code, 'chainlink')).toEqual({
      'Functions.makeHttpRequest': [2],
      'Functions.encodeUint256': [4],
      args: [2],
      secrets: [3],
      'npm:': [1],
    })
  })

  it('does not take a name the source declares itself for the peer global', () => {
    const code = 'const args = [1]\nfunction f(secrets) { return secrets }\nreturn f(args)'
    expect(usesOf(code, 'chainlink')).toEqual({})
  })

  it('matches the end of a chain and destructured names (Gelato context)', () => {
    const code = [
      "import { Web3Function } from '@gelatonetwork/web3-functions-sdk'",
      'Web3Function.onRun(async (context) => {',
      '  const { userArgs, storage } = context',
      '  await storage.set("n", "1")',
      '  const provider = context.multiChainProvider.default()',
      '  return { canExec: false, message: String(userArgs.x) }',
      '})',
    ].join('\n')
    expect(usesOf(code, 'gelato')).toEqual({
      '@gelatonetwork/web3-functions-sdk': [1],
      'Web3Function.onRun': [2],
      userArgs: [3],
      'storage.set': [4],
      'multiChainProvider.default': [5],
    })
  })

  it('reads the code of a Lit action exported as a string, and treats LitActions as Lit.Actions', () => {
    const code = [
      'export const litActionCode = `(async () => {',
      '  const sig = await LitActions.signEcdsa({ toSign, publicKey, sigName: "s" })',
      '  Lit.Actions.decryptAndCombine({})',
      '})()`',
    ].join('\n')
    expect(usesOf(code, 'lit')).toEqual({ 'Actions.signEcdsa': [2], 'Actions.decryptAndCombine': [3] })
  })

  it('does not see an API reached through a computed name', () => {
    expect(usesOf("pink['httpRequest']({ url: 'x' })", 'phat')).toEqual({})
  })
})
