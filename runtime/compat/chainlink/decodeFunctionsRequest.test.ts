import { encode } from 'cborg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type FunctionsRequestEncoder,
  Location,
  startFunctionsRequestEncoder,
} from '../../../test/support/startFunctionsRequestEncoder.js'
import { hexToBytes } from '../../bytes.js'
import { decodeFunctionsRequest } from './decodeFunctionsRequest.js'

let encoder: FunctionsRequestEncoder
beforeAll(async () => {
  encoder = await startFunctionsRequestEncoder()
})
afterAll(async () => {
  await encoder?.stop()
})

const decode = (hex: string) => decodeFunctionsRequest(hexToBytes(hex)!)

describe('decodeFunctionsRequest (bytes from @chainlink/contracts FunctionsRequest.encodeCBOR)', () => {
  it('reads an inline JavaScript request with args and bytesArgs', async () => {
    const source =
      "const r = await Functions.makeHttpRequest({ url: args[0] })\nreturn Functions.encodeString('é')"
    const bytes = await encoder.encodeInline(
      source,
      ['ETH', 'USD', ''],
      ['0x0a0b', '0x', `0x${'ff'.repeat(40)}`],
    )
    expect(decode(bytes)).toEqual({
      codeLocation: Location.Inline,
      language: 0,
      source,
      args: ['ETH', 'USD', ''],
      bytesArgs: ['0x0a0b', '0x', `0x${'ff'.repeat(40)}`],
      secretsLocation: undefined,
      secrets: undefined,
    })
  })

  it('reads a request with neither args nor bytesArgs as empty arrays', async () => {
    const decoded = decode(await encoder.encodeInline('return new Uint8Array(1)'))
    expect(decoded.args).toEqual([])
    expect(decoded.bytesArgs).toEqual([])
    expect(decoded.source).toBe('return new Uint8Array(1)')
  })

  it('reads a long source (CBOR lengths past one and two bytes)', async () => {
    const source = `// ${'x'.repeat(70_000)}\nreturn new Uint8Array(0)`
    expect(decode(await encoder.encodeInline(source)).source).toBe(source)
  })

  it('reads the secrets reference and its location (DON-hosted and remote)', async () => {
    const hosted = decode(await encoder.encodeWithDonHostedSecrets('return 1', 3, 1_700_000_000n))
    expect(hosted.secretsLocation).toBe(Location.DONHosted)
    // The reference is itself CBOR (slotID, version), kept as bytes.
    expect(hosted.secrets).toBeInstanceOf(Uint8Array)
    expect(hosted.secrets!.length).toBeGreaterThan(0)
    const remote = decode(await encoder.encodeWithSecretsReference('return 1', '0xdeadbeef'))
    expect(remote.secretsLocation).toBe(Location.Remote)
    expect([...remote.secrets!]).toEqual([0xde, 0xad, 0xbe, 0xef])
  })

  it('reads the code location of a remote request', async () => {
    const decoded = decode(await encoder.encodeAt(Location.Remote, 'https://example.com/source.js'))
    expect(decoded.codeLocation).toBe(Location.Remote)
    expect(decoded.source).toBe('https://example.com/source.js')
  })

  it('refuses bytes that are not such a request, with a message that says so', () => {
    expect(() => decodeFunctionsRequest(new Uint8Array([0xff]))).toThrow(
      'not a Chainlink Functions request (CBOR)',
    )
    // A key with no value, a key that is not a string, a repeated key.
    expect(() => decodeFunctionsRequest(encode('source'))).toThrow('the key "source" has no value')
    expect(() => decodeFunctionsRequest(encode(7))).toThrow('a key is a number')
    const twice = new Uint8Array([...encode('source'), ...encode('a'), ...encode('source'), ...encode('b')])
    expect(() => decodeFunctionsRequest(twice)).toThrow('the key "source" appears twice')
    const wrongType = new Uint8Array([
      ...encode('codeLocation'),
      ...encode(0),
      ...encode('language'),
      ...encode(0),
      ...encode('source'),
      ...encode(new Uint8Array([1])),
    ])
    expect(() => decodeFunctionsRequest(wrongType)).toThrow('"source" is not a text string')
  })
})
