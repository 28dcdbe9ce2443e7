import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { compatBanner } from '../../runtime/compat/compatMode.js'
import { computeCodeHash } from '../../runtime/store/computeCodeHash.js'
import { BundleError } from './bundleFunction.js'

export type BuildFunctionsRequestRunnerReturnType = {
  code: string
  bytes: Uint8Array
  codeHash: `0x${string}`
}

let built: Promise<BuildFunctionsRequestRunnerReturnType> | undefined

/**
 * The bundle of teefn's Chainlink Functions request runner (`runtime/compat/chainlink/functionsRequestRunner.ts`),
 * the function `TeefnFunctionsRouter` requests run: built in `chainlink` mode (the banner, so Chainlink's limits
 * apply) and without paths in it, so its codeHash is the same wherever teefn is installed. Built once per process.
 * What `teefn chain register --chainlink-router` registers.
 */
export function buildFunctionsRequestRunner(): Promise<BuildFunctionsRequestRunnerReturnType> {
  built ??= bundleRunner()
  return built
}

async function bundleRunner(): Promise<BuildFunctionsRequestRunnerReturnType> {
  const base = fileURLToPath(
    new URL('../../runtime/compat/chainlink/functionsRequestRunner', import.meta.url),
  )
  const entry = existsSync(`${base}.js`) ? `${base}.js` : `${base}.ts`
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'neutral',
    target: 'es2023',
    mainFields: ['browser', 'module', 'main'],
    conditions: ['browser', 'worker'],
    // Whitespace only: it drops esbuild's path comments, and keeps names readable in errors.
    minifyWhitespace: true,
    legalComments: 'none',
    charset: 'utf8',
    logLevel: 'silent',
    banner: { js: compatBanner('chainlink') },
  })
  const output = result.outputFiles[0]
  if (!output) {
    throw new BundleError('esbuild produced no output for the Chainlink Functions request runner.', {
      reason: 'esbuild',
    })
  }
  return { code: output.text, bytes: output.contents, codeHash: computeCodeHash(output.contents) }
}
