import { id, keccak256, Wallet, ZeroAddress } from 'ethers'
import { beforeEach, describe, expect, it } from 'vitest'
import type { AnvilInstance } from '../dev/startAnvil.js'
import {
  eventsNamed,
  mined,
  revertOf,
  type TeefnContractsFixture,
  testKey,
} from '../test/support/teefnContracts.js'
import { useTeefnChain } from '../test/support/useTeefnChain.js'
import {
  type Admission,
  type GatekeeperStatement,
  type GatekeeperStatementKind,
  hashGatekeeperStatement,
  orderGatekeeperSignatures,
  registryDomain,
  signGatekeeperStatement,
} from './admissionTypedData.js'
import type { TeefnRegistryContract } from './contractTypes.js'
import { compareAddresses } from './quorumFulfillment.js'

let anvil: AnvilInstance
let f: TeefnContractsFixture
let registry: TeefnRegistryContract
useTeefnChain({ isolate: true }, (chain) => {
  ;({ anvil, f } = chain)
  registry = f.registry
})

/** Three gatekeeper keys (test-only), by ascending address. */
const gatekeepers = [1, 2, 3]
  .map((i) => new Wallet(testKey(`gatekeeper ${i}`)))
  .sort((a, b) => compareAddresses(a.address, b.address))
const candidate = new Wallet(testKey('candidate worker'))
const measurement = id('runtime measurement v1')
const quoteHash = keccak256('0x01020304')

async function gatekeeperSet(): Promise<[string[], bigint]> {
  const [set, threshold] = await registry.gatekeepers()
  return [[...set], threshold]
}

async function now(): Promise<bigint> {
  return BigInt((await f.provider.getBlock('latest'))!.timestamp)
}

/** `signers` sign `statement`; the signatures come back in the order the registry takes. */
async function signedBy<K extends GatekeeperStatementKind>(
  kind: K,
  statement: GatekeeperStatement[K],
  signers: Wallet[] = gatekeepers.slice(0, 2),
): Promise<string[]> {
  const domain = registryDomain(f.chainId, await registry.getAddress())
  const signatures = await Promise.all(
    signers.map((s) => signGatekeeperStatement(s, domain, kind, statement)),
  )
  return orderGatekeeperSignatures(domain, kind, statement, signatures)
}

async function admission(overrides: Partial<Admission> = {}): Promise<Admission> {
  return {
    worker: candidate.address,
    quoteHash,
    measurement,
    expiresAt: (await now()) + 86_400n,
    nonce: await registry.workerNonce(candidate.address),
    deadline: (await now()) + 600n,
    ...overrides,
  }
}

const asAdmin = () => registry.connect(f.admin)
/** Anyone may submit a quorum's statement. */
const asAnyone = () => registry.connect(f.relayer)

describe('gatekeeper set (admin, before renouncing)', () => {
  it('sets a strictly increasing set and a threshold, with an event; refuses bad sets and strangers', async () => {
    const addresses = gatekeepers.map((g) => g.address)
    expect((await revertOf(registry.connect(f.stranger).setGatekeepers(addresses, 2))).name).toBe('NotAdmin')
    for (const [set, threshold, error] of [
      [[...addresses].reverse(), 2, 'InvalidGatekeeperSet'],
      [[addresses[0]!, addresses[0]!], 1, 'InvalidGatekeeperSet'],
      [[ZeroAddress, addresses[0]!], 1, 'InvalidGatekeeperSet'],
      [[], 0, 'InvalidGatekeeperSet'],
      [addresses, 0, 'InvalidGatekeeperThreshold'],
      [addresses, 4, 'InvalidGatekeeperThreshold'],
    ] as const) {
      expect((await revertOf(asAdmin().setGatekeepers([...set], threshold))).name).toBe(error)
    }
    const receipt = await mined(asAdmin().setGatekeepers(addresses, 2))
    expect(eventsNamed(receipt, registry, 'GatekeepersChanged')[0]?.args.toObject(true)).toEqual({
      gatekeepers: addresses,
      threshold: 2n,
    })
    expect(await gatekeeperSet()).toEqual([addresses, 2n])
    expect(await registry.isGatekeeper(addresses[1]!)).toBe(true)
    // A new set replaces the old one entirely.
    await mined(asAdmin().setGatekeepers([addresses[2]!], 1))
    expect(await registry.isGatekeeper(addresses[1]!)).toBe(false)
  })

  it('pins and unpins measurements (never zero)', async () => {
    expect((await revertOf(registry.connect(f.stranger).setMeasurementPinned(measurement, true))).name).toBe(
      'NotAdmin',
    )
    expect((await revertOf(asAdmin().setMeasurementPinned(`0x${'00'.repeat(32)}`, true))).name).toBe(
      'ZeroMeasurement',
    )
    const receipt = await mined(asAdmin().setMeasurementPinned(measurement, true))
    expect(eventsNamed(receipt, registry, 'MeasurementPinned')[0]?.args.toObject()).toEqual({
      measurement,
      pinned: true,
    })
    expect(await registry.isMeasurementPinned(measurement)).toBe(true)
  })
})

describe('admission by a 2-of-3 gatekeeper quorum', () => {
  beforeEach(async () => {
    await mined(
      asAdmin().setGatekeepers(
        gatekeepers.map((g) => g.address),
        2,
      ),
    )
    await mined(asAdmin().setMeasurementPinned(measurement, true))
  })

  it('hashes statements as the TypeScript typed data does', async () => {
    const domain = registryDomain(f.chainId, await registry.getAddress())
    const statement = await admission()
    expect(await registry.hashAdmission(statement)).toBe(
      hashGatekeeperStatement(domain, 'Admission', statement),
    )
    const removal = { worker: candidate.address, nonce: 3n, deadline: 9n }
    expect(await registry.hashRemoval(removal)).toBe(hashGatekeeperStatement(domain, 'Removal', removal))
    const change = { gatekeepers: gatekeepers.map((g) => g.address), threshold: 2, nonce: 1n, deadline: 9n }
    expect(await registry.hashGatekeeperChange(change)).toBe(
      hashGatekeeperStatement(domain, 'GatekeeperChange', change),
    )
    const pin = { measurement, pinned: false, nonce: 4n, deadline: 9n }
    expect(await registry.hashMeasurementPin(pin)).toBe(
      hashGatekeeperStatement(domain, 'MeasurementPin', pin),
    )
  })

  it('admits with k signatures and names the gatekeepers; refuses k - 1', async () => {
    const statement = await admission()
    expect(
      await revertOf(
        asAnyone().admitWorkerByQuorum(
          statement,
          await signedBy('Admission', statement, gatekeepers.slice(0, 1)),
        ),
      ),
    ).toEqual({
      name: 'GatekeeperQuorumNotReached',
      args: [1n, 2n],
    })
    expect(await registry.isWorkerActive(candidate.address)).toBe(false)
    const signatures = await signedBy('Admission', statement, [gatekeepers[2]!, gatekeepers[0]!])
    const receipt = await mined(asAnyone().admitWorkerByQuorum(statement, signatures))
    expect(eventsNamed(receipt, registry, 'GatekeeperApproval')[0]?.args.gatekeepers).toEqual([
      gatekeepers[0]!.address,
      gatekeepers[2]!.address,
    ])
    expect(eventsNamed(receipt, registry, 'WorkerAdmitted')[0]?.args.toObject()).toEqual({
      worker: candidate.address,
      attestationHash: quoteHash,
      expiresAt: statement.expiresAt,
    })
    expect(await registry.isWorkerActive(candidate.address)).toBe(true)
    expect(await registry.workerMeasurement(candidate.address)).toBe(measurement)
    expect(await registry.workerNonce(candidate.address)).toBe(1n)
  })

  it('refuses a replayed statement, a stale or expired one, and an unpinned measurement', async () => {
    const statement = await admission()
    const signatures = await signedBy('Admission', statement)
    await mined(asAnyone().admitWorkerByQuorum(statement, signatures))
    expect(await revertOf(asAnyone().admitWorkerByQuorum(statement, signatures))).toEqual({
      name: 'StaleNonce',
      args: [1n, 0n],
    })
    const late = await admission({ deadline: (await now()) + 10n })
    const lateSignatures = await signedBy('Admission', late)
    await anvil.increaseTime(11)
    expect((await revertOf(asAnyone().admitWorkerByQuorum(late, lateSignatures))).name).toBe(
      'StatementExpired',
    )
    const unpinned = await admission({ measurement: id('some other runtime') })
    expect(
      await revertOf(asAnyone().admitWorkerByQuorum(unpinned, await signedBy('Admission', unpinned))),
    ).toEqual({ name: 'MeasurementNotPinned', args: [unpinned.measurement] })
  })

  it('refuses a non-gatekeeper, a duplicate, and signatures out of order', async () => {
    const statement = await admission()
    const outsider = await signedBy('Admission', statement, [
      gatekeepers[0]!,
      new Wallet(testKey('outsider')),
    ])
    expect((await revertOf(asAnyone().admitWorkerByQuorum(statement, outsider))).name).toBe('NotGatekeeper')
    const [first] = await signedBy('Admission', statement, [gatekeepers[0]!])
    expect(await revertOf(asAnyone().admitWorkerByQuorum(statement, [first!, first!]))).toEqual({
      name: 'DuplicateGatekeeper',
      args: [gatekeepers[0]!.address],
    })
    const ordered = await signedBy('Admission', statement)
    expect((await revertOf(asAnyone().admitWorkerByQuorum(statement, [...ordered].reverse()))).name).toBe(
      'GatekeepersNotAscending',
    )
  })

  it('removes by quorum; the admission signed before cannot re-admit', async () => {
    const statement = await admission()
    const signatures = await signedBy('Admission', statement)
    await mined(asAnyone().admitWorkerByQuorum(statement, signatures))
    const removal = { worker: candidate.address, nonce: 1n, deadline: (await now()) + 600n }
    expect(
      (
        await revertOf(
          asAnyone().removeWorkerByQuorum(
            removal,
            await signedBy('Removal', removal, gatekeepers.slice(1, 2)),
          ),
        )
      ).name,
    ).toBe('GatekeeperQuorumNotReached')
    const receipt = await mined(asAnyone().removeWorkerByQuorum(removal, await signedBy('Removal', removal)))
    expect(eventsNamed(receipt, registry, 'WorkerRemoved')[0]?.args.worker).toBe(candidate.address)
    expect(await registry.isWorkerActive(candidate.address)).toBe(false)
    expect((await revertOf(asAnyone().admitWorkerByQuorum(statement, signatures))).name).toBe('StaleNonce')
  })

  it('changes the gatekeeper set and pins only by the same quorum', async () => {
    const newcomer = new Wallet(testKey('gatekeeper 4'))
    const set = [gatekeepers[0]!.address, newcomer.address].sort(compareAddresses)
    const change = {
      gatekeepers: set,
      threshold: 2,
      nonce: await registry.governanceNonce(),
      deadline: (await now()) + 600n,
    }
    expect(
      (
        await revertOf(
          asAnyone().setGatekeepersByQuorum(
            change,
            await signedBy('GatekeeperChange', change, gatekeepers.slice(0, 1)),
          ),
        )
      ).name,
    ).toBe('GatekeeperQuorumNotReached')
    await mined(asAnyone().setGatekeepersByQuorum(change, await signedBy('GatekeeperChange', change)))
    expect(await gatekeeperSet()).toEqual([set, 2n])
    // The old set's majority no longer counts; the new one does.
    const pin = {
      measurement: id('runtime v2'),
      pinned: true,
      nonce: await registry.governanceNonce(),
      deadline: (await now()) + 600n,
    }
    expect(
      (
        await revertOf(
          asAnyone().setMeasurementPinnedByQuorum(
            pin,
            await signedBy('MeasurementPin', pin, gatekeepers.slice(1)),
          ),
        )
      ).name,
    ).toBe('NotGatekeeper')
    const newSet = [gatekeepers[0]!, newcomer]
    await mined(asAnyone().setMeasurementPinnedByQuorum(pin, await signedBy('MeasurementPin', pin, newSet)))
    expect(await registry.isMeasurementPinned(pin.measurement)).toBe(true)
    // A statement signed for a nonce that was used is refused.
    expect(
      (
        await revertOf(
          asAnyone().setMeasurementPinnedByQuorum(pin, await signedBy('MeasurementPin', pin, newSet)),
        )
      ).name,
    ).toBe('StaleNonce')
  })
})

describe('renouncing the admin', () => {
  it('is refused while no gatekeepers are set', async () => {
    expect((await revertOf(asAdmin().renounceAdmin())).name).toBe('NoGatekeepers')
    expect((await revertOf(registry.connect(f.stranger).renounceAdmin())).name).toBe('NotAdmin')
  })

  it('leaves no single key in charge: admin calls are refused, the quorum still works', async () => {
    await mined(
      asAdmin().setGatekeepers(
        gatekeepers.map((g) => g.address),
        2,
      ),
    )
    await mined(asAdmin().setMeasurementPinned(measurement, true))
    const receipt = await mined(asAdmin().renounceAdmin())
    expect(eventsNamed(receipt, registry, 'AdminTransferred')[0]?.args.toObject()).toEqual({
      previousAdmin: f.admin.address,
      newAdmin: ZeroAddress,
    })
    expect(await registry.admin()).toBe(ZeroAddress)
    const expiresAt = (await now()) + 3_600n
    for (const call of [
      () => asAdmin().admitWorker(candidate.address, quoteHash, expiresAt),
      () => asAdmin().removeWorker(f.worker.address),
      () => asAdmin().setGatekeepers([f.admin.address], 1),
      () => asAdmin().setMeasurementPinned(id('evil runtime'), true),
      () => asAdmin().transferAdmin(f.admin.address),
      () => asAdmin().renounceAdmin(),
    ]) {
      expect(await revertOf(call())).toEqual({ name: 'AdminRenounced', args: [] })
    }
    const statement = await admission()
    await mined(asAnyone().admitWorkerByQuorum(statement, await signedBy('Admission', statement)))
    expect(await registry.isWorkerActive(candidate.address)).toBe(true)
  })
})

describe('asking for admission', () => {
  it('emits AdmissionRequested for the sender, changes nothing, refuses a zero quote hash', async () => {
    const asCandidate = registry.connect(f.stranger)
    const url = 'http://127.0.0.1:8080/v1/attestation'
    const receipt = await mined(asCandidate.requestAdmission(quoteHash, url))
    expect(eventsNamed(receipt, registry, 'AdmissionRequested')[0]?.args.toObject()).toEqual({
      worker: f.stranger.address,
      quoteHash,
      quoteUrl: url,
    })
    expect(await registry.workerNonce(f.stranger.address)).toBe(0n)
    expect(receipt.gasUsed).toBeLessThan(30_000n)
    expect((await revertOf(asCandidate.requestAdmission(`0x${'00'.repeat(32)}`, url))).name).toBe(
      'ZeroAttestationHash',
    )
  })
})
