import type { Plugin } from 'esbuild'
import type { CompatMode } from '../../runtime/compat/compatMode.js'
import { chainlinkEntryPlugin } from './chainlinkEntryPlugin.js'
import { gelatoEntryPlugin } from './gelatoEntryPlugin.js'
import { litEntryPlugin } from './litEntryPlugin.js'
import { phatEntryPlugin } from './phatEntryPlugin.js'

/** Each compat mode's esbuild plugin: how its sources become a teefn function (see CONTRIBUTING, "Compat modes"). */
const entryPlugins: Record<CompatMode, (entry: string) => Plugin> = {
  chainlink: chainlinkEntryPlugin,
  phat: phatEntryPlugin,
  gelato: gelatoEntryPlugin,
  lit: litEntryPlugin,
}

/** The plugin that builds `entry` in `mode`. */
export function compatEntryPlugin(mode: CompatMode, entry: string): Plugin {
  return entryPlugins[mode](entry)
}
