import { sha256 } from '@noble/hashes/sha2.js'
import { describe, expect, it } from 'vitest'
import { bytesToHex, concatBytes, hexToBytes, utf8 } from '../bytes.js'
import { computeReportData, encodeWorkerPublicKeys, workerKeysDomainTag } from './reportData.js'
import type { WorkerPublicKeys } from './TeeProvider.js'

// secp256k1 generator point as a stand-in key: its address is well known.
const keys: WorkerPublicKeys = {
  evmAddress: '0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf',
  secp256k1: '0x0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798',
  sr25519: `0x${'22'.repeat(32)}`,
  encryption: `0x${'33'.repeat(32)}`,
}

describe('computeReportData', () => {
  it('is sha256(tag || secp256k1 || sr25519 || encryption) || sha256(measurement)', () => {
    const reportData = computeReportData({ publicKeys: keys, measurement: '0xabcd' })
    expect(reportData).toHaveLength(64)
    expect(workerKeysDomainTag).toBe('teefn/worker-keys/v1')
    const encoded = concatBytes(
      hexToBytes(keys.secp256k1)!,
      hexToBytes(keys.sr25519)!,
      hexToBytes(keys.encryption)!,
    )
    expect(encodeWorkerPublicKeys(keys)).toEqual(encoded)
    expect(bytesToHex(reportData)).toBe(
      bytesToHex(
        concatBytes(
          sha256(concatBytes(utf8(workerKeysDomainTag), encoded)),
          sha256(Uint8Array.of(0xab, 0xcd)),
        ),
      ),
    )
  })

  it('changes with any key or the measurement', () => {
    const reference = bytesToHex(computeReportData({ publicKeys: keys, measurement: '0xabcd' }))
    expect(
      bytesToHex(
        computeReportData({
          publicKeys: { ...keys, sr25519: `0x${'23'.repeat(32)}` },
          measurement: '0xabcd',
        }),
      ),
    ).not.toBe(reference)
    expect(
      bytesToHex(
        computeReportData({
          publicKeys: { ...keys, encryption: `0x${'34'.repeat(32)}` },
          measurement: '0xabcd',
        }),
      ),
    ).not.toBe(reference)
    expect(bytesToHex(computeReportData({ publicKeys: keys, measurement: '0xabce' })).slice(0, 66)).toBe(
      reference.slice(0, 66),
    )
    expect(bytesToHex(computeReportData({ publicKeys: keys, measurement: '0xabce' }))).not.toBe(reference)
  })

  it('refuses keys whose address does not belong to the secp256k1 key, or malformed keys', () => {
    expect(() =>
      computeReportData({ publicKeys: { ...keys, evmAddress: `0x${'11'.repeat(20)}` }, measurement: '0x' }),
    ).toThrowError(/not the address of the secp256k1 key/)
    expect(() =>
      computeReportData({ publicKeys: { ...keys, sr25519: '0x22' }, measurement: '0x' }),
    ).toThrowError(/32 bytes/)
    expect(() =>
      computeReportData({ publicKeys: { ...keys, secp256k1: `0x02${'00'.repeat(32)}` }, measurement: '0x' }),
    ).toThrowError(/not a point/)
  })
})
