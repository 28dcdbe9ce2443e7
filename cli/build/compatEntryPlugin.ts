import type { Plugin } from 'esbuild'
import type { CompatMode } from '../../runtime/compat/compatMode.js'
import { chainlinkEntryPlugin } from './chainlinkEntryPlugin.js'
import { gelatoEntryPlugin } from './gelatoEntryPlugin.js'
import { litEntryPlugin } from './litEntryPlugin.js'
import { phatEntryPlugin } from './phatEntryPlugin.js'
import { refuseDenoPlugin } from './refuseDenoPlugin.js'

/** Each compat mode's esbuild plugin: how its sources become a teefn function (see CONTRIBUTING, "Compat modes"). */
const entryPlugins: Record<CompatMode, (entry: string) => Plugin[]> = {
  chainlink: (entry) => [
    refuseDenoPlugin({
      denoHint: 'Read secrets from the secrets global; use Functions.makeHttpRequest or fetch for HTTP.',
    }),
    chainlinkEntryPlugin(entry),
  ],
  phat: (entry) => [phatEntryPlugin(entry)],
  gelato: (entry) => [
    refuseDenoPlugin({
      denoHint:
        'Read secrets with context.secrets.get(name) and settings with context.userArgs; use fetch for HTTP.',
    }),
    gelatoEntryPlugin(entry),
  ],
  lit: (entry) => [litEntryPlugin(entry)],
}

/** The plugins that build `entry` in `mode`, in order. */
export function compatEntryPlugins(mode: CompatMode, entry: string): Plugin[] {
  return entryPlugins[mode](entry)
}
