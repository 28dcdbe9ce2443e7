import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Hex, keccak256, recoverMessageAddress, recoverPublicKey, toHex } from 'viem'
import { publicKeyToAddress } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runTeefn } from './support/runTeefn.js'

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/lit/${name}`, import.meta.url))
const signedQuote = fixture('signedQuote.js')
const quoteMain = fixture('quoteMain.js')
const hello = fixture('hello.js')
const devKey = `0x${'11'.repeat(32)}`
const pkp = '0x04aa'
let dir: string
let mocks: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'teefn-compat-lit-'))
  mocks = join(dir, 'mocks.json')
  await writeFile(
    mocks,
    JSON.stringify([
      {
        request: {
          url: 'https://quotes.example/quote?pair=ETH-USD',
          headers: { accept: 'application/json' },
        },
        response: { json: { bid: 3000.25, ask: 3001.75 } },
      },
      {
        request: { url: 'https://quotes.example/quote?pair=ETH-USD' },
        response: { json: { bid: 1, ask: 3 } },
      },
    ]),
  )
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** `teefn run --compat lit` on a fixture with the mocks; the parsed `--json` report. */
async function runLit(file: string, jsParams: Record<string, unknown>, extra: string[] = []) {
  // Lit's own 30 s rather than the 10 s default: ethers v5's elliptic curve code takes seconds in QuickJS on a
  // busy machine. A later --timeout in `extra` wins.
  const { status, stdout, stderr } = await runTeefn(
    [
      'run',
      file,
      '--compat',
      'lit',
      '--js-params',
      JSON.stringify(jsParams),
      '--mock',
      mocks,
      '--json',
      '--timeout',
      '30000',
      ...extra,
    ],
    { timeoutMs: 60_000 },
  )
  expect(stderr).toBe('')
  return { status, report: JSON.parse(stdout) }
}

const quoteParams = { baseUrl: 'https://quotes.example', pair: 'ETH-USD', publicKey: pkp, sigName: 'sig1' }

type LitSignature = {
  r: string
  s: string
  recid: number
  signature: Hex
  publicKey: string
  dataSigned: string
}

// Runs that use ethers' elliptic curve code take seconds each in QuickJS: those tests get two minutes.
describe('teefn run --compat lit', () => {
  it('runs a classic Lit Action (a module exporting litActionCode) with signatures in the shape Lit returns', async () => {
    const { status, report } = await runLit(signedQuote, quoteParams, ['--dev-key', devKey])
    expect(report.error).toBeNull()
    expect(status).toBe(0)
    // runOnce ran the fetch (with its accept header, so the first mock answered), once.
    expect(JSON.parse(report.result)).toEqual({ pair: 'ETH-USD', mid: 3001, message: 'ETH-USD:3001' })
    expect(report.stats.fetches).toBe(1)

    const { sig1, 'sig1-personal': personal } = report.compat.signatures as Record<string, LitSignature>
    const digest = keccak256(toHex('ETH-USD:3001'))
    expect(sig1).toMatchObject({ dataSigned: digest.slice(2).toUpperCase(), recid: expect.any(Number) })
    expect(sig1?.signature).toBe(`0x${sig1?.r}${sig1?.s}${(27 + (sig1?.recid ?? 0)).toString(16)}`)
    expect(sig1?.publicKey).toMatch(/^04[0-9A-F]{128}$/)
    // The signature recovers to the key it names.
    const recovered = await recoverPublicKey({ hash: digest, signature: sig1?.signature as Hex })
    expect(recovered).toBe(`0x${sig1?.publicKey.toLowerCase()}`)
    // ethPersonalSignMessageEcdsa signs the EIP-191 message with the same PKP key.
    expect(personal?.publicKey).toBe(sig1?.publicKey)
    const signer = await recoverMessageAddress({
      message: 'ETH-USD:3001',
      signature: personal?.signature as Hex,
    })
    expect(signer).toBe(publicKeyToAddress(recovered))

    // The key is derived from the function key and the PKP named: the same pair gives the same key, another
    // PKP another.
    const again = await runLit(signedQuote, quoteParams, ['--dev-key', devKey])
    expect(again.report.compat.signatures.sig1.publicKey).toBe(sig1?.publicKey)
    const other = await runLit(signedQuote, { ...quoteParams, publicKey: '0x04bb' }, ['--dev-key', devKey])
    expect(other.report.compat.signatures.sig1.publicKey).not.toBe(sig1?.publicKey)
  }, 120_000)

  it("runs a 2026-style action: main(jsParams)'s return value is the response, as JSON", async () => {
    const params = { baseUrl: 'https://quotes.example', pair: 'ETH-USD', pkpId: 'wallet-1' }
    const { status, report } = await runLit(quoteMain, params, ['--dev-key', devKey])
    expect(report.error).toBeNull()
    expect(status).toBe(0)
    const returned = JSON.parse(report.result)
    // No accept header: the second mock answered.
    expect(returned).toMatchObject({
      message: 'ETH-USD:2',
      global: 'ETH-USD',
      hex: toHex('ETH-USD:2').slice(2),
    })
    // getPrivateKey's key signs with ethers' Wallet; the action's own key is another one.
    expect(await recoverMessageAddress({ message: returned.message, signature: returned.signature })).toBe(
      returned.signer,
    )
    expect(returned.actionKeyDiffers).toBe(true)
    const again = await runLit(quoteMain, params, ['--dev-key', devKey])
    expect(JSON.parse(again.report.result).signer).toBe(returned.signer)
    // Without --dev-key a run gets a random dev key: never the same wallet twice.
    const random = await runLit(quoteMain, params)
    expect(JSON.parse(random.report.result).signer).not.toBe(returned.signer)
  }, 120_000)

  it('runs a plain script file as the code string, and bundles ethers only when the source names it', async () => {
    const { report } = await runLit(hello, { name: 'lit' })
    expect(report).toMatchObject({ ok: true, result: 'hello lit' })
    const small = join(dir, 'hello.js')
    const large = join(dir, 'signedQuote.js')
    expect((await runTeefn(['build', hello, '--compat', 'lit', '-o', small])).status).toBe(0)
    expect((await runTeefn(['build', signedQuote, '--compat', 'lit', '-o', large])).status).toBe(0)
    const [smallCode, largeCode] = await Promise.all([readFile(small, 'utf8'), readFile(large, 'utf8')])
    expect(smallCode.length).toBeLessThan(150_000)
    expect(smallCode).not.toContain('invalid BigNumber')
    expect(largeCode).toContain('invalid BigNumber')
    expect(largeCode.length).toBeLessThan(1024 * 1024)
  })

  it('builds the mode into the bundle: its own codeHash, run as is with a dev key of its own', async () => {
    const output = join(dir, 'built.js')
    const built = await runTeefn(['build', quoteMain, '--compat', 'lit', '-o', output, '--json'])
    expect(built.status, built.stderr).toBe(0)
    const { codeHash, compat } = JSON.parse(built.stdout)
    expect(compat).toBe('lit')
    // The same source in another mode is another function.
    const other = await runTeefn([
      'build',
      quoteMain,
      '--compat',
      'chainlink',
      '-o',
      join(dir, 'cl.js'),
      '--json',
    ])
    expect(JSON.parse(other.stdout).codeHash).not.toBe(codeHash)
    expect((await readFile(output, 'utf8')).startsWith('// teefn-compat: lit\n')).toBe(true)
    // The built file names its mode, so it is not wrapped again, and a lit bundle gets a dev key without the flag.
    const { report } = await runLit(output, {
      baseUrl: 'https://quotes.example',
      pair: 'ETH-USD',
      pkpId: 'w',
    })
    expect(JSON.parse(report.result).message).toBe('ETH-USD:2')
  }, 120_000)
})

describe('teefn run --compat lit: error semantics and limits', () => {
  it('reports a thrown non-Error as Lit does: an uncaught rejection naming the value', async () => {
    const { status, report } = await runLit(signedQuote, { mode: 'throw-number' })
    expect(status).toBe(1)
    expect(report.error.code).toBe('FUNCTION_ERROR')
    expect(report.error.message).toContain('Uncaught (in promise) 42')
  })

  it('JSON-encodes a response that is not a string, and fails one JSON cannot encode', async () => {
    const { report } = await runLit(signedQuote, { mode: 'object-response', pair: 'ETH-USD' })
    expect(report.result).toBe('{"pair":"ETH-USD","answered":true}')
    const bigint = await runLit(quoteMain, { mode: 'bigint' })
    expect(bigint.report.error.message).toContain("main's return value cannot be JSON-encoded")
  })

  it('fails a response over the result limit naming it, unless the caller raises it', async () => {
    const { report } = await runLit(signedQuote, { mode: 'too-large' })
    expect(report.error).toMatchObject({ code: 'RESULT_TOO_LARGE', limit: 'resultBytes' })
    expect(report.error.message).toContain('the limit is 65536 bytes')
    const raised = await runLit(signedQuote, { mode: 'too-large' }, ['--result-bytes', '100000'])
    expect(raised.report.result).toHaveLength(70_000)
  })

  it('fails the request over the fetch limit naming maxFetches; mocked fetches count', async () => {
    const params = { mode: 'many-fetches', baseUrl: 'https://quotes.example', pair: 'ETH-USD', count: 17 }
    const { report } = await runLit(signedQuote, params)
    expect(report.error).toMatchObject({ code: 'FUNCTION_ERROR', limit: 'maxFetches' })
    expect(report.error.message).toContain('This invocation already started 16 fetches, the limit.')
    expect(report.stats.fetches).toBe(16)
    const raised = await runLit(signedQuote, params, ['--max-fetches', '17'])
    expect(raised.report.result).toBe('17 fetches')
  })

  it('stops an action at the deadline naming timeoutMs', async () => {
    const { report } = await runLit(signedQuote, { mode: 'spin' }, ['--timeout', '1000'])
    expect(report.error).toMatchObject({ code: 'TIMEOUT', limit: 'timeoutMs' })
  })

  it('stops an action over the memory limit naming memoryBytes', async () => {
    const { report } = await runLit(signedQuote, { mode: 'hog' }, ['--memory', '32'])
    expect(report.error).toMatchObject({ code: 'MEMORY_LIMIT', limit: 'memoryBytes' })
  })

  it("fails a call that needs Lit's network naming it, and refuses threshold decryption and Deno at build time", async () => {
    const { report } = await runLit(quoteMain, { mode: 'unsupported' })
    expect(report.error.message).toContain("Lit.Actions.getRpcUrl needs Lit's chain list")
    const decrypting = join(dir, 'decrypting.js')
    await writeFile(
      decrypting,
      `(async () => {
        const key = await Lit.Actions.decryptAndCombine({ ciphertext, dataToEncryptHash, chain: 'ethereum' })
        Lit.Actions.setResponse({ response: Deno.env.get('X') + key })
      })()`,
    )
    const built = await runTeefn(['build', decrypting, '--compat', 'lit'])
    expect(built.status).not.toBe(0)
    expect(built.stderr).toContain(
      'threshold decryption (Lit.Actions.decryptAndCombine) needs the Lit network',
    )
    expect(built.stderr).toContain('Deno.* APIs are not available')
  })

  it('refuses --js-params without --compat lit, and a dev key that is not 32 bytes', async () => {
    const withoutMode = await runTeefn(['run', hello, '--js-params', '{}'])
    expect(withoutMode.status).toBe(2)
    expect(withoutMode.stderr).toContain('--js-params needs --compat lit')
    const shortKey = await runTeefn(['run', hello, '--compat', 'lit', '--dev-key', '0x11'])
    expect(shortKey.status).toBe(2)
    expect(shortKey.stderr).toContain('--dev-key must be 32 bytes of 0x-hex')
  })
})
