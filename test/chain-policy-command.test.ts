import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { useChainCommand } from './support/useChainCommand.js'

const { anvil, dir, chain, chainJson, deployRegistry } = useChainCommand()

describe('teefn chain policy', () => {
  it("sets a function's result policy as its owner, shows it, and names the contract's refusals", async () => {
    const registry = await deployRegistry()
    const entry = join(dir(), 'answer.ts')
    await writeFile(entry, "export default () => '42'")
    const { functionId } = await chainJson<{ functionId: string }>(
      ['register', entry, '--registry', registry],
      'OWNER',
    )

    const before = await chainJson(['show', 'function', functionId, '--registry', registry])
    expect(before).toMatchObject({ threshold: 1, aggregation: 'identical' })

    const plan = await chainJson(
      [
        'policy',
        functionId,
        '--k',
        '2',
        '--aggregation',
        'median-uint256',
        '--registry',
        registry,
        '--dry-run',
      ],
      'OWNER',
    )
    expect(plan).toMatchObject({ dryRun: true, function: 'setResultPolicy', args: [functionId, 2, 1] })
    expect(await chainJson(['show', 'function', functionId, '--registry', registry])).toMatchObject({
      threshold: 1,
    })

    const set = await chain(
      ['policy', functionId, '--k', '2', '--aggregation', 'median-uint256', '--registry', registry],
      'OWNER',
    )
    expect(set.status, set.stderr).toBe(0)
    expect(set.stdout).toBe(`${functionId}\n`)
    expect(set.stderr).toContain(`${functionId} now needs 2 workers to agree (median-uint256)`)
    const shown = await chain(['show', 'function', functionId, '--registry', registry])
    expect(shown.stdout).toContain('threshold        2\n')
    expect(shown.stdout).toContain('aggregation      median-uint256\n')

    const stranger = await chain(
      ['policy', functionId, '--k', '3', '--aggregation', 'identical', '--registry', registry],
      'GK1',
    )
    expect(stranger.status).toBe(1)
    expect(stranger.stderr).toContain(`NotFunctionOwner(${functionId}, ${anvil().accounts[2]})`)

    const tooMany = await chain(
      ['policy', functionId, '--k', '33', '--aggregation', 'median-int256', '--registry', registry],
      'OWNER',
    )
    expect(tooMany.status).toBe(1)
    expect(tooMany.stderr).toContain('reverted: InvalidThreshold(33)')
    expect(tooMany.stderr).toContain('Hint: A result policy needs from 1 to 32 workers (--k).')

    const badHow = await chain(
      ['policy', functionId, '--k', '2', '--aggregation', 'mean', '--registry', registry],
      'OWNER',
    )
    expect(badHow.status).not.toBe(0)
    expect(badHow.stderr).toContain("argument 'mean' is invalid")
    expect(await chainJson(['show', 'function', functionId, '--registry', registry])).toMatchObject({
      threshold: 2,
      aggregation: 'median-uint256',
    })
  })
})
