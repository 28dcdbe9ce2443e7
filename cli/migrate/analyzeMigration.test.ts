import { describe, expect, it } from 'vitest'
import { analyzeMigration, MigrateSourceError } from './analyzeMigration.js'

describe('analyzeMigration', () => {
  it('maps the lines of a TypeScript source back through the type stripping', async () => {
    const source = [
      "import { pink } from '@phala/pink-env'",
      '',
      'type Quote = { price: number }',
      '',
      'export default function main(request: string, secrets: string): string {',
      "  const response = pink.httpRequest({ url: 'https://example.com', returnTextBody: true })",
      '  const quote = JSON.parse(response.body as string) as Quote',
      '  return pink.invokeContract({ callee: request, input: String(quote.price) })',
      '}',
    ].join('\n')
    const report = await analyzeMigration({ file: 'src/index.ts', source, from: 'phat' })
    expect(report.uses.map(({ api, verdict, lines }) => ({ api, verdict, lines }))).toEqual([
      { api: 'import "@phala/pink-env"', verdict: 'carries', lines: [1] },
      { api: 'pink.httpRequest', verdict: 'carries', lines: [6] },
      { api: 'pink.invokeContract', verdict: 'unsupported', lines: [8] },
    ])
    expect(report.unsupported).toBe(1)
    expect(report.next[0]).toContain('teefn run src/index.ts --compat phat')
  })

  it('maps a TypeScript Chainlink source, which returns at the top level', async () => {
    const source = 'const n: number = Number(args[0])\n\nreturn Functions.encodeUint256(n)\n'
    const report = await analyzeMigration({ file: 'source.ts', source, from: 'chainlink' })
    expect(report.uses.map(({ api, lines }) => [api, lines])).toEqual([
      ['Functions.encodeUint256', [3]],
      ['args', [1]],
    ])
  })

  it('says which file did not parse, and how to fix it', async () => {
    const failure = analyzeMigration({ file: 'broken.js', source: 'const = 1', from: 'lit' })
    await expect(failure).rejects.toBeInstanceOf(MigrateSourceError)
    await expect(failure).rejects.toMatchObject({ shortMessage: 'Could not parse broken.js.' })
  })
})
