import { extname } from 'node:path'
import { BaseError } from '../../runtime/errors/BaseError.js'
import { findPeerApiUses } from './findPeerApiUses.js'
import { type Peer, type PeerApi, peerApis, type Verdict } from './peerApis.js'
import { peerGuides } from './peerGuides.js'

export type AnalyzeMigrationParameters = {
  /** The source's path, as the user named it (for the report and the suggested commands). */
  file: string
  source: string
  from: Peer
}

/** What `teefn migrate --json` prints. */
export type MigrationReport = {
  file: string
  from: Peer
  /** The compat mode the source runs in unmodified. */
  compat: Peer
  uses: { api: string; verdict: Verdict; note: string; lines: number[] }[]
  /** How many uses cannot carry over: the command fails when there are any. */
  unsupported: number
  onChain: string
  limits: string
  next: string[]
}

export class MigrateSourceError extends BaseError {
  override name = 'MigrateSourceError'
}

/** Reads a peer's source and says, API by API, what carries over to `--compat <peer>`, what changes and what cannot. */
export async function analyzeMigration({
  file,
  source,
  from,
}: AnalyzeMigrationParameters): Promise<MigrationReport> {
  const apis = peerApis[from]
  let uses: ReturnType<typeof findPeerApiUses>
  try {
    uses = ['.ts', '.mts', '.cts'].includes(extname(file))
      ? await findInTypeScript(source, apis, from === 'chainlink')
      : findPeerApiUses({ code: source, apis })
  } catch (error) {
    throw new MigrateSourceError(`Could not parse ${file}.`, {
      code: 'MIGRATE_PARSE_FAILED',
      details: (error as Error).message,
      hint: `Pass the source as written for ${from}: JavaScript or TypeScript.`,
    })
  }
  const guide = peerGuides[from]
  const entries = uses.map(({ api, lines }) => ({
    api: nameOf(api),
    verdict: api.verdict,
    note: api.note,
    lines,
  }))
  return {
    file,
    from,
    compat: from,
    uses: entries,
    unsupported: entries.filter((entry) => entry.verdict === 'unsupported').length,
    onChain: guide.onChain,
    limits: guide.limits,
    next: guide.next(file),
  }
}

function nameOf(api: PeerApi): string {
  if ('path' in api) return api.path
  if ('global' in api) return api.global
  return `import "${api.import}${api.import.endsWith(':') ? '...' : ''}"`
}

/**
 * TypeScript: types stripped by esbuild, lines mapped back through its source map. A Chainlink source (a function
 * body, which may `return` at the top level) is parsed inside an async function, one line down.
 */
async function findInTypeScript(source: string, apis: readonly PeerApi[], functionBody: boolean) {
  const [{ transform }, { SourceMapConsumer }] = await Promise.all([
    import('esbuild'),
    import('source-map-js'),
  ])
  const wrapped = functionBody ? `(async () => {\n${source}\n})` : source
  const output = await transform(wrapped, { loader: 'ts', sourcemap: 'external', format: 'esm' })
  const map = new SourceMapConsumer(JSON.parse(output.map))
  const shift = functionBody ? 1 : 0
  const original = (line: number) =>
    (map.originalPositionFor({ line, column: 0, bias: SourceMapConsumer.LEAST_UPPER_BOUND }).line ?? line) -
    shift
  return findPeerApiUses({ code: output.code, apis }).map(({ api, lines }) => ({
    api,
    lines: [...new Set(lines.map(original))].sort((a, b) => a - b),
  }))
}
