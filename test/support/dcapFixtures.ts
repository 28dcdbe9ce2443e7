import { existsSync, readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The nearest folder above this file holding a package.json (also right when compiled into dist/). */
function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(resolve(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir)
  return dir
}

/** `test/fixtures/dcap/`: real Intel-signed quotes and their collateral (its README says where from). */
export const dcapFixturesDir = resolve(projectRoot(), 'test/fixtures/dcap')

/** A time at which the samples' collateral is valid (README: 2025-06-19 .. 2025-07-19). */
export const dcapFixturesValidAt = new Date('2025-07-01T00:00:00Z')

export type DcapFixtures = {
  tdxQuote: Uint8Array
  tdxCollateral: string
  sgxQuote: Uint8Array
  sgxCollateral: string
}

export function loadDcapFixtures(): DcapFixtures {
  const read = (file: string) => readFileSync(resolve(dcapFixturesDir, file))
  return {
    tdxQuote: new Uint8Array(read('tdx_quote')),
    tdxCollateral: read('tdx_quote_collateral.json').toString('utf8'),
    sgxQuote: new Uint8Array(read('sgx_quote')),
    sgxCollateral: read('sgx_quote_collateral.json').toString('utf8'),
  }
}
