/**
 * How a function's source is written: `chainlink` runs Chainlink Functions sources unmodified, `phat` Phat
 * Contract 2.0 functions (`main(request, secrets)` with `pink`), `gelato` Gelato Web3 Functions
 * (`Web3Function.onRun`), `lit` Lit Actions.
 */
export type CompatMode = 'chainlink' | 'phat' | 'gelato' | 'lit'

export const compatModes: readonly CompatMode[] = ['chainlink', 'phat', 'gelato', 'lit']

const bannerPrefix = '// teefn-compat: '

/**
 * The first line of a bundle built in a compat mode. The mode lives in the bundle's bytes, so it is part of the
 * codeHash preimage (the same source in two modes is two functions) and every runner reads it from the code.
 */
export function compatBanner(mode: CompatMode): string {
  return `${bannerPrefix}${mode}`
}

/** The compat mode a bundle was built in, from its first line; undefined for a plain teefn function. */
export function compatModeOf(code: string): CompatMode | undefined {
  if (!code.startsWith(bannerPrefix)) return undefined
  const end = code.indexOf('\n')
  const name = code.slice(bannerPrefix.length, end === -1 ? undefined : end).trim()
  return compatModes.find((mode) => mode === name)
}
