import { describe, expect, it } from 'vitest'
import { type AddressKind, classifyAddress } from './classifyAddress.js'

const cases: [string, AddressKind][] = [
  // public
  ['8.8.8.8', 'public'],
  ['1.1.1.1', 'public'],
  ['93.184.216.34', 'public'],
  ['172.15.255.255', 'public'],
  ['172.32.0.1', 'public'],
  ['100.63.255.255', 'public'],
  ['100.128.0.1', 'public'],
  ['169.253.255.255', 'public'],
  ['223.255.255.255', 'public'],
  ['2606:4700:4700::1111', 'public'],
  ['2001:4860:4860::8888', 'public'],
  ['64:ff9b::808:808', 'public'],
  ['::ffff:8.8.8.8', 'public'],
  ['2002:808:808::1', 'public'],
  // loopback
  ['127.0.0.1', 'loopback'],
  ['127.255.255.254', 'loopback'],
  ['::1', 'loopback'],
  ['0:0:0:0:0:0:0:1', 'loopback'],
  ['::ffff:127.0.0.1', 'loopback'],
  ['::ffff:7f00:1', 'loopback'],
  ['64:ff9b::127.0.0.1', 'loopback'],
  ['2002:7f00:1::1', 'loopback'],
  // private
  ['10.0.0.1', 'private'],
  ['10.255.255.255', 'private'],
  ['172.16.0.1', 'private'],
  ['172.31.255.255', 'private'],
  ['192.168.1.1', 'private'],
  ['fc00::1', 'private'],
  ['fd12:3456:789a::1', 'private'],
  ['::ffff:10.1.2.3', 'private'],
  ['::ffff:192.168.0.1', 'private'],
  ['64:ff9b:1::a00:1', 'private'],
  ['fec0::1', 'private'],
  // link-local and metadata
  ['169.254.0.1', 'linkLocal'],
  ['169.254.169.254', 'metadata'],
  ['169.254.170.2', 'metadata'],
  ['100.100.100.200', 'metadata'],
  ['fd00:ec2::254', 'metadata'],
  ['::ffff:169.254.169.254', 'metadata'],
  ['fe80::1', 'linkLocal'],
  ['fe80::1%eth0', 'linkLocal'],
  ['febf::1', 'linkLocal'],
  // multicast, CGNAT, unspecified, broadcast
  ['224.0.0.1', 'multicast'],
  ['239.255.255.250', 'multicast'],
  ['ff02::1', 'multicast'],
  ['ff05::1:3', 'multicast'],
  ['100.64.0.1', 'carrierGradeNat'],
  ['100.127.255.255', 'carrierGradeNat'],
  ['0.0.0.0', 'unspecified'],
  ['0.1.2.3', 'unspecified'],
  ['::', 'unspecified'],
  ['::ffff:0.0.0.0', 'unspecified'],
  ['255.255.255.255', 'broadcast'],
  // reserved, documentation, benchmarking, deprecated forms
  ['192.0.0.8', 'reserved'],
  ['192.0.2.1', 'reserved'],
  ['198.51.100.7', 'reserved'],
  ['203.0.113.9', 'reserved'],
  ['198.18.0.1', 'reserved'],
  ['198.19.255.255', 'reserved'],
  ['240.0.0.1', 'reserved'],
  ['2001:db8::1', 'reserved'],
  ['2001:2::1', 'reserved'],
  ['100::1', 'reserved'],
  ['::127.0.0.1', 'reserved'],
  ['::7f00:1', 'reserved'],
  ['5f00::1', 'reserved'],
  ['3fff::1', 'reserved'],
  ['4000::1', 'reserved'],
]

describe('classifyAddress', () => {
  it.each(cases)('%s is %s', (address, kind) => {
    expect(classifyAddress(address).kind).toBe(kind)
  })

  it('classifies Teredo by the addresses it embeds', () => {
    // Server 65.54.227.120, client 192.0.2.45 (stored bit-inverted): a documentation client address.
    expect(classifyAddress('2001:0:4136:e378:8000:63bf:3fff:fdd2')).toMatchObject({
      kind: 'reserved',
      embeddedIPv4: '192.0.2.45',
    })
    // Client 127.0.0.1 inverted is 80ff:fffe.
    expect(classifyAddress('2001:0:4136:e378::80ff:fffe')).toMatchObject({
      kind: 'loopback',
      embeddedIPv4: '127.0.0.1',
    })
    // Server 10.0.0.1, client 8.8.8.8.
    expect(classifyAddress('2001:0:a00:1::f7f7:f7f7')).toMatchObject({
      kind: 'private',
      embeddedIPv4: '10.0.0.1',
    })
    // Both public.
    expect(classifyAddress('2001:0:4136:e378::f7f7:f7f7').kind).toBe('public')
  })

  it('returns the canonical address and the embedded IPv4', () => {
    expect(classifyAddress('::FFFF:127.0.0.1')).toEqual({
      kind: 'loopback',
      address: '::ffff:7f00:1',
      embeddedIPv4: '127.0.0.1',
    })
    expect(classifyAddress('0:0:0:0:0:0:0:1')).toEqual({ kind: 'loopback', address: '::1' })
    expect(classifyAddress('::127.0.0.1').address).toBe('::7f00:1')
  })

  it('refuses what is not an IP literal, including the ambiguous IPv4 forms', () => {
    for (const notAnAddress of [
      'localhost',
      '',
      '127.1',
      '0x7f.0.0.1',
      '0177.0.0.1',
      '010.0.0.1',
      '1.2.3.4.5',
      '[::1]',
    ]) {
      expect(() => classifyAddress(notAnAddress), notAnAddress).toThrow(/is not an IP address/)
    }
  })
})
