import { existsSync, readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The nearest folder above this file holding a package.json (also right when compiled into dist/). */
function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(resolve(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir)
  return dir
}

/**
 * `../shared/fixtures/dcap/` relative to the project root: real Intel-signed quotes and their collateral.
 * `TEEFN_DCAP_FIXTURES_DIR` points elsewhere (e.g. to check how a clean clone without them behaves).
 */
export const dcapFixturesDir =
  process.env.TEEFN_DCAP_FIXTURES_DIR || resolve(projectRoot(), '../shared/fixtures/dcap')

/** A time at which the samples' collateral is valid (README: 2025-06-19 .. 2025-07-19). */
export const dcapFixturesValidAt = new Date('2025-07-01T00:00:00Z')

export type DcapFixtures = {
  tdxQuote: Uint8Array
  tdxCollateral: string
  sgxQuote: Uint8Array
  sgxCollateral: string
}

const files = ['tdx_quote', 'tdx_quote_collateral.json', 'sgx_quote', 'sgx_quote_collateral.json']

/** Why the DCAP tests are skipped (a clean clone without `../shared`), or undefined when the samples are present. */
export const dcapFixturesMissing: string | undefined = files.every((file) =>
  existsSync(resolve(dcapFixturesDir, file)),
)
  ? undefined
  : `skipped: the DCAP samples folder ${dcapFixturesDir} is missing (see ../shared/fixtures/dcap/README.md)`

export function loadDcapFixtures(): DcapFixtures {
  const read = (file: string) => readFileSync(resolve(dcapFixturesDir, file))
  return {
    tdxQuote: new Uint8Array(read('tdx_quote')),
    tdxCollateral: read('tdx_quote_collateral.json').toString('utf8'),
    sgxQuote: new Uint8Array(read('sgx_quote')),
    sgxCollateral: read('sgx_quote_collateral.json').toString('utf8'),
  }
}
