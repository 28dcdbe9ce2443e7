export type DenoUse = { text: string; line: number; column: number; lineText: string }

/**
 * The first use of Deno's global (`Deno.env`, `Deno.readTextFile`, ...) in a source, outside comments, with its
 * position (line from 1, column from 0, as esbuild reports them); undefined when there is none.
 */
export function findDenoUse(source: string): DenoUse | undefined {
  const lines = source.split('\n')
  let inBlockComment = false
  for (const [index, line] of lines.entries()) {
    let code = line
    if (inBlockComment) {
      const end = code.indexOf('*/')
      if (end === -1) continue
      code = ' '.repeat(end + 2) + code.slice(end + 2)
      inBlockComment = false
    }
    code = code.replace(/\/\*.*?\*\//g, (comment) => ' '.repeat(comment.length))
    const open = code.indexOf('/*')
    if (open !== -1) {
      code = code.slice(0, open)
      inBlockComment = true
    }
    const lineComment = code.search(/(^|[^:])\/\//)
    if (lineComment !== -1) code = code.slice(0, lineComment + 1)
    const match = /(?<![\w$.])Deno\s*\.\s*[A-Za-z_$][\w$]*/.exec(code)
    if (match)
      return { text: match[0].replace(/\s+/g, ''), line: index + 1, column: match.index, lineText: line }
  }
  return undefined
}
