import { SourceMapConsumer } from 'source-map-js'

export type MapBundleLocationsParameters = {
  /** Text naming positions in the bundle, as the sandbox reports them: `function.js:<line>:<column>` (1-based). */
  text: string
  /** The bundle's source map (`bundleFunction`'s `sourceMap`); sources are relative to the working directory. */
  sourceMap: string
}

/** The file name the sandbox gives every bundle it evaluates (`runtime/sandbox/Sandbox.ts`). */
const bundleLocation = /\bfunction\.js:(\d+):(\d+)\b/g

/**
 * Rewrites every bundle position in `text` to the source position it came from (`src/index.ts:12:9`), so a
 * thrown error points at the line the author wrote. A position the map does not cover is left as it is.
 */
export function mapBundleLocations({ text, sourceMap }: MapBundleLocationsParameters): string {
  let consumer: SourceMapConsumer | undefined
  return text.replace(bundleLocation, (location, line: string, column: string) => {
    consumer ??= new SourceMapConsumer(JSON.parse(sourceMap))
    // QuickJS columns are 1-based, the map's 0-based; the nearest mapping at or before the position wins.
    const original = consumer.originalPositionFor({ line: Number(line), column: Number(column) - 1 })
    if (original.source === null || original.line === null) return location
    return `${original.source}:${original.line}:${(original.column ?? 0) + 1}`
  })
}
