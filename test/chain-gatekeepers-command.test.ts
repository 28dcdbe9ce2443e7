import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { id, keccak256 } from 'ethers'
import { describe, expect, it } from 'vitest'
import { useChainCommand } from './support/useChainCommand.js'

const { anvil, dir, chain, chainJson, deployRegistry, latestTimestamp } = useChainCommand()
const measurement = id('teefn runtime measurement (test)')
const quoteHash = keccak256('0x0102030405')
/** What `sign-admission` needs besides the registry: the statement's fields. */
const admissionFlags = (worker: string, expiry: string) => [
  '--worker',
  worker,
  '--quote-hash',
  quoteHash,
  '--measurement',
  measurement,
  '--expiry',
  expiry,
]

describe('teefn chain gatekeepers', () => {
  it('admits a worker on 2 of 3 gatekeeper signatures, refuses 1, then renounces the admin', async () => {
    const registry = await deployRegistry()
    const empty = await chainJson(['gatekeepers', '--registry', registry])
    expect(empty).toMatchObject({
      admin: anvil().accounts[0],
      adminRenounced: false,
      gatekeepers: [],
      threshold: 0,
      pinnedMeasurements: [],
    })

    // Irreversible: asked for --yes; and the registry refuses while no gatekeeper set is configured.
    const unconfirmed = await chain(['renounce-admin', '--registry', registry], 'ADMIN')
    expect(unconfirmed.status).toBe(2)
    expect(unconfirmed.stderr).toContain('renounce-admin is irreversible')
    expect(unconfirmed.stderr).toContain('Pass --yes to renounce')
    const alone = await chain(['renounce-admin', '--registry', registry, '--yes'], 'ADMIN')
    expect(alone.status).toBe(1)
    expect(alone.stderr).toContain('reverted: NoGatekeepers()')
    expect(alone.stderr).toContain('Hint: The registry has no gatekeeper set: set one first')
    expect((await chainJson(['gatekeepers', '--registry', registry])).adminRenounced).toBe(false)

    const gatekeepers = anvil().accounts.slice(2, 5) as string[]
    const set = await chainJson<{ gatekeepers: string[] }>(
      [
        'set-gatekeepers',
        gatekeepers[2]!,
        gatekeepers[0]!,
        gatekeepers[1]!,
        '--threshold',
        '2',
        '--registry',
        registry,
      ],
      'ADMIN',
    )
    const ascending = [...gatekeepers].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1))
    expect(set.gatekeepers).toEqual(ascending)
    await chainJson(['pin-measurement', measurement, '--registry', registry], 'ADMIN')
    const shown = await chain(['gatekeepers', '--registry', registry])
    expect(shown.stdout).toContain(`gatekeepers        ${ascending.join(' ')}\n`)
    expect(shown.stdout).toContain('threshold          2\n')
    expect(shown.stdout).toContain(`pinnedMeasurements ${measurement}\n`)
    // A dry run needs no --yes: it sends nothing.
    const plan = await chainJson(['renounce-admin', '--registry', registry, '--dry-run'], 'ADMIN')
    expect(plan).toMatchObject({ dryRun: true, function: 'renounceAdmin', to: registry })
    expect((await chainJson(['gatekeepers', '--registry', registry])).admin).toBe(anvil().accounts[0])

    // Each gatekeeper signs the same flags on its own; the files carry the statement.
    const worker = anvil().accounts[7]!
    const expiry = String((await latestTimestamp()) + 86_400)
    const signed: string[] = []
    for (const gatekeeper of ['GK1', 'GK2', 'GK3'] as const) {
      const flags = admissionFlags(worker, expiry)
      const run = await chain(['sign-admission', ...flags, '--registry', registry], gatekeeper)
      expect(run.status, run.stderr).toBe(0)
      expect(run.stderr).toBe('')
      const file = join(dir(), `${gatekeeper}.json`)
      await writeFile(file, run.stdout)
      signed.push(file)
    }
    const first = JSON.parse(await readFile(signed[0]!, 'utf8'))
    expect(first).toMatchObject({
      kind: 'Admission',
      chainId: anvil().chainId,
      registry,
      signer: anvil().accounts[2],
      statement: {
        worker,
        quoteHash,
        measurement,
        expiresAt: Number(expiry),
        nonce: 0,
        deadline: Number(expiry),
      },
    })

    const short = await chain(['admit-by-quorum', signed[0]!, '--registry', registry], 'OWNER')
    expect(short.status).toBe(1)
    expect(short.stderr).toContain(
      'admitWorkerByQuorum on ' +
        `${registry} reverted: GatekeeperQuorumNotReached(1, 2): 1 gatekeeper signature given, the registry needs 2.`,
    )
    expect(short.stderr).toContain('Hint: Collect signatures of the same statement from more gatekeepers')
    expect((await chainJson(['show', 'worker', worker, '--registry', registry])).admitted).toBe(false)

    // Any order: the command orders them as the registry takes them. Anyone may send.
    const admitted = await chain(['admit-by-quorum', signed[2]!, signed[0]!, '--registry', registry], 'OWNER')
    expect(admitted.status, admitted.stderr).toBe(0)
    expect(admitted.stdout).toBe(`${worker}\n`)
    expect(admitted.stderr).toContain(`admitted worker ${worker}`)
    expect(admitted.stderr).toContain('on 2 gatekeeper signatures')
    const active = await chainJson(['show', 'worker', worker, '--registry', registry])
    expect(active).toMatchObject({ admitted: true, active: true, attestationHash: quoteHash })
    expect(active.expiresAt).toBe(Number(expiry))

    // Used once: the admission bumped the worker's nonce.
    const replay = await chain(['admit-by-quorum', signed[1]!, signed[2]!, '--registry', registry], 'OWNER')
    expect(replay.status).toBe(1)
    expect(replay.stderr).toContain(
      'reverted: StaleNonce(1, 0): the statement carries nonce 0, the registry expects 1.',
    )

    const renounced = await chainJson(['renounce-admin', '--registry', registry, '--yes'], 'ADMIN')
    expect(renounced).toMatchObject({ admin: null, previousAdmin: anvil().accounts[0] })
    expect(await chainJson(['gatekeepers', '--registry', registry])).toMatchObject({
      admin: null,
      adminRenounced: true,
      threshold: 2,
    })
    const late = await chain(['pin-measurement', id('another'), '--registry', registry], 'ADMIN')
    expect(late.status).toBe(1)
    expect(late.stderr).toContain('reverted: AdminRenounced()')
  })

  it('refuses signed files that were edited, mixed or meant for another registry, before sending', async () => {
    const registry = await deployRegistry()
    const expiry = String((await latestTimestamp()) + 3_600)
    const sign = async (worker: string, gatekeeper: 'GK1' | 'GK2') => {
      const flags = admissionFlags(worker, expiry)
      const run = await chain(['sign-admission', ...flags, '--registry', registry], gatekeeper)
      expect(run.status, run.stderr).toBe(0)
      // Neither a gatekeeper nor a pinned measurement yet: signed, with a warning.
      expect(run.stderr).toContain(
        `warning: ${anvil().accounts[gatekeeper === 'GK1' ? 2 : 3]} is not a gatekeeper`,
      )
      expect(run.stderr).toContain(`warning: measurement ${measurement} is not pinned`)
      return JSON.parse(run.stdout)
    }
    const one = await sign(anvil().accounts[7]!, 'GK1')
    const other = await sign(anvil().accounts[8]!, 'GK2')
    const write = async (name: string, value: unknown) => {
      const file = join(dir(), name)
      await writeFile(file, JSON.stringify(value))
      return file
    }
    const edited = await write('edited.json', {
      ...one,
      statement: { ...one.statement, expiresAt: one.statement.expiresAt + 1 },
    })
    const refused = await chain(['admit-by-quorum', edited, '--registry', registry], 'OWNER')
    expect(refused.status).toBe(2)
    expect(refused.stderr).toContain(
      `edited.json is not a signed admission: its signature is not ${anvil().accounts[2]}'s`,
    )

    const mixed = await chain(
      [
        'admit-by-quorum',
        await write('one.json', one),
        await write('other.json', other),
        '--registry',
        registry,
      ],
      'OWNER',
    )
    expect(mixed.status).toBe(2)
    expect(mixed.stderr).toContain('other.json signs another statement than')

    const elsewhere = await chain(
      ['admit-by-quorum', join(dir(), 'one.json'), '--registry', anvil().accounts[9]!],
      'OWNER',
    )
    expect(elsewhere.status).toBe(2)
    expect(elsewhere.stderr).toContain(`was signed for registry ${registry}`)
  })
})
