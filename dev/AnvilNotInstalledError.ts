import { BaseError } from '../runtime/errors/BaseError.js'

export type AnvilNotInstalledErrorParameters = {
  /** `process.platform` and `process.arch` of this machine. */
  platform: string
  arch: string
  /** The npm package that would hold anvil here; undefined when Foundry publishes none for this platform. */
  packageName: string | undefined
}

/**
 * anvil cannot be found for this platform: its `@foundry-rs/anvil-<platform>` package is not installed (npm
 * installs only the one matching the machine, and only without `--omit=optional`), or Foundry publishes none.
 */
export class AnvilNotInstalledError extends BaseError {
  override name = 'AnvilNotInstalledError'
  readonly platform: string
  readonly arch: string
  readonly packageName: string | undefined
  constructor({ platform, arch, packageName }: AnvilNotInstalledErrorParameters) {
    super('anvil is not installed for this platform.', {
      code: 'ANVIL_NOT_INSTALLED',
      details:
        packageName === undefined
          ? `Foundry publishes no anvil package for ${platform} ${arch}.`
          : `${platform} ${arch} needs the package ${packageName}, which is not installed.`,
      hint: "Install Foundry's anvil (https://getfoundry.sh) and set TEEFN_ANVIL_BIN to its path, or run on linux x64 with the optional packages installed (npm ci, without --omit=optional).",
    })
    this.platform = platform
    this.arch = arch
    this.packageName = packageName
  }
}
