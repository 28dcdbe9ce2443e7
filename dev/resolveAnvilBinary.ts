import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { BaseError } from '../runtime/errors/BaseError.js'
import { AnvilNotInstalledError } from './AnvilNotInstalledError.js'

export type ResolveAnvilBinaryParameters = {
  /** `process.env` by default; `TEEFN_ANVIL_BIN` there names an anvil binary to use instead of the package's. */
  env?: Record<string, string | undefined> | undefined
  /** `process.platform` and `process.arch` by default. */
  platform?: string | undefined
  arch?: string | undefined
}

/** The npm packages Foundry publishes anvil in, by platform and Node arch (as `@foundry-rs/anvil` maps them). */
const anvilPackages: Record<string, Record<string, string>> = {
  darwin: { x64: '@foundry-rs/anvil-darwin-amd64', arm64: '@foundry-rs/anvil-darwin-arm64' },
  linux: { x64: '@foundry-rs/anvil-linux-amd64', arm64: '@foundry-rs/anvil-linux-arm64' },
  win32: { x64: '@foundry-rs/anvil-win32-amd64' },
}

/**
 * The path of the anvil binary: `TEEFN_ANVIL_BIN` when set, else the one in this platform's
 * `@foundry-rs/anvil-<platform>` package. Resolved when anvil is started, never at module load, so that
 * nothing but starting anvil fails where the package is absent (`AnvilNotInstalledError`).
 */
export function resolveAnvilBinary({
  env = process.env,
  platform = process.platform,
  arch = process.arch,
}: ResolveAnvilBinaryParameters = {}): string {
  const override = env.TEEFN_ANVIL_BIN
  if (override !== undefined && override !== '') {
    if (!existsSync(override)) {
      throw new BaseError('TEEFN_ANVIL_BIN names no file.', {
        code: 'ANVIL_NOT_INSTALLED',
        details: `TEEFN_ANVIL_BIN=${override}`,
        hint: "Point it at Foundry's anvil binary (e.g. ~/.foundry/bin/anvil), or unset it to use the npm package.",
      })
    }
    return override
  }
  const packageName = anvilPackages[platform]?.[arch]
  if (packageName === undefined) throw new AnvilNotInstalledError({ platform, arch, packageName })
  try {
    return createRequire(import.meta.url).resolve(
      `${packageName}/bin/anvil${platform === 'win32' ? '.exe' : ''}`,
    )
  } catch {
    throw new AnvilNotInstalledError({ platform, arch, packageName })
  }
}
