import { describe, expect, it } from 'vitest'
import { findDenoUse } from './findDenoUse.js'

describe('findDenoUse', () => {
  it("finds Deno's global with its position, outside comments", () => {
    expect(findDenoUse('const a = 1\nconst key = Deno.env.get("K")\n')).toEqual({
      text: 'Deno.env',
      line: 2,
      column: 12,
      lineText: 'const key = Deno.env.get("K")',
    })
    expect(findDenoUse('// runs on Deno.land\n/* Deno.env\n Deno.exit */ const x = 1\n')).toBeUndefined()
    expect(findDenoUse('const url = "https://x"; foo.Deno.bar')).toBeUndefined()
  })
})
