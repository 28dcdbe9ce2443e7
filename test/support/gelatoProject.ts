import { cp, mkdir, mkdtemp, rm, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export type GelatoProject = {
  /** The project's directory: the fixtures of `test/fixtures/gelato/` at its top. */
  dir: string
  /** A fixture's path in the project. */
  file(name: string): string
  remove(): Promise<void>
}

/**
 * A Gelato user's project, as `--compat gelato` meets it: the fixtures of `test/fixtures/gelato/` beside a
 * `node_modules/ethers` that is ethers v5 (this repository's `ethers5`; its own `ethers` is v6), and no
 * `@gelatonetwork/web3-functions-sdk` installed.
 */
export async function createGelatoProject(): Promise<GelatoProject> {
  const dir = await mkdtemp(join(tmpdir(), 'teefn-gelato-'))
  await cp(fileURLToPath(new URL('../fixtures/gelato', import.meta.url)), dir, { recursive: true })
  await mkdir(join(dir, 'node_modules'))
  await symlink(
    fileURLToPath(new URL('../../node_modules/ethers5', import.meta.url)),
    join(dir, 'node_modules', 'ethers'),
  )
  return {
    dir,
    file: (name) => join(dir, name),
    remove: () => rm(dir, { recursive: true, force: true }),
  }
}
