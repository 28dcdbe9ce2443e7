import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('..', import.meta.url))

describe('npm run demo:quorum', () => {
  it('shows the three steps of issue 15 with real processes, exits 0 and leaves none running', () => {
    const run = spawnSync('npm', ['run', '--silent', 'demo:quorum'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 240_000,
    })
    const output = `${run.stdout}${run.stderr}`
    expect(run.status, output).toBe(0)
    expect(output).toMatch(/admin renounced \(admin = 0x0{40}\)/)
    expect(output).toContain('all three workers admitted by the gatekeepers')
    expect(output).toMatch(
      /step 1: request 0x[0-9a-f]{64}[\s\S]*price 3001\n {2}signers: A, B(, C)?; dissenters: none/,
    )
    expect(output).toMatch(/step 2: request [\s\S]*price 3001\n {2}signers: A, B; dissenters: C\n/)
    expect(output).toMatch(
      /killed node A \(pid \d+\)\n {2}step 3: request [\s\S]*price 3001\n {2}signers: B, C; dissenters: none/,
    )
    expect(output).toContain(
      '✓ 2-of-3 quorum: agreed, outvoted a manipulated node, and survived a killed node.',
    )
    // Every pid the demo printed is gone.
    const pids = new Set([...output.matchAll(/pid (\d+)/g)].map((match) => Number(match[1])))
    expect(pids.size).toBe(6)
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow()
  }, 250_000)
})
