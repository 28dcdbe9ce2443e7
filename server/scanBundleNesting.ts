import {
  expressionKeywords,
  nestingKeywords,
  prefixOperators,
  punctuatorsByFirst,
  rightNestingOperators,
} from './javascriptTokens.js'
import { isDigit, isWordPart, isWordStart, skipRegExp, skipString } from './skipJavaScriptLiteral.js'

/** How deeply a bundle may nest, as `scanBundleNesting` estimates it. Real code stays well below 100. */
export const maxBundleNesting = 1_000

export type ScanBundleNestingReturnType = {
  /** The deepest nesting seen (or the first above the limit). */
  depth: number
  /** Where it was reached: 1-based line and column. */
  line: number
  column: number
}

type Level = { opener: string; chain: number; pendingCaseColons: number }

/**
 * A cheap, linear pass over a bundle that estimates how deeply a parser would recurse into it, before esbuild or
 * QuickJS parses it: esbuild's service dies of a Go stack overflow past about 100,000 levels, which a 1 MiB
 * bundle can reach in many ways (`[[[[...]]]]`, `!!!!x`, `a=a=a=...`, `x?1:x?1:...`, `if(1)if(1)...`, labels,
 * arrows). Brackets (and template substitutions) count one level each; within a bracket, each right-nesting token
 * since the last `,` or `;` (a prefix operator, an assignment, `=>`, `?`, `:`, `**`, `new`, `typeof`, a loop or
 * `if` keyword) counts one more. Strings, comments, templates and regular expressions are skipped (the usual
 * heuristic tells a regular expression from a division). It only has to be right about deep code: an estimate
 * off by a few levels on odd code changes nothing at a limit this far above real code and this far below the
 * crash. Returns the deepest point, stopping at the first one above `limit`.
 */
export function scanBundleNesting(code: string, limit = maxBundleNesting): ScanBundleNestingReturnType {
  const levels: Level[] = [{ opener: '', chain: 0, pendingCaseColons: 0 }]
  let depth = 0
  let deepest = { depth: 0, index: 0 }
  /** Whether the previous token ends an operand (then `/` divides and `-` is binary). */
  let afterOperand = false
  let previousWord = ''
  let i = 0
  const length = code.length

  const reach = (at: number): boolean => {
    if (depth > deepest.depth) deepest = { depth, index: at }
    return depth > limit
  }
  const nest = (at: number): boolean => {
    levels[levels.length - 1]!.chain++
    depth++
    return reach(at)
  }
  const open = (opener: string, at: number): boolean => {
    levels.push({ opener, chain: 0, pendingCaseColons: 0 })
    depth++
    return reach(at)
  }
  const close = (): string | undefined => {
    if (levels.length === 1) return undefined // unbalanced: the parser will say so
    const level = levels.pop()!
    depth -= 1 + level.chain
    return level.opener
  }
  const resetChain = () => {
    const level = levels[levels.length - 1]!
    depth -= level.chain
    level.chain = 0
  }
  /** Skips template text from `start` (just after a backtick or a substitution's `}`); true if a `${` opened. */
  const scanTemplate = (start: number): boolean => {
    let j = start
    while (j < length) {
      const c = code.charCodeAt(j)
      if (c === 92 /* \ */) j += 2
      else if (c === 96 /* ` */) {
        i = j + 1
        return false
      } else if (c === 36 /* $ */ && code.charCodeAt(j + 1) === 123 /* { */) {
        i = j + 2
        return true
      } else j++
    }
    i = length
    return false
  }

  while (i < length) {
    const c = code.charCodeAt(i)
    // Whitespace and line terminators.
    if (c === 32 || c === 9 || c === 10 || c === 13 || c === 11 || c === 12 || c === 0xa0 || c === 0xfeff) {
      i++
      continue
    }
    if (c === 0x2028 || c === 0x2029) {
      i++
      continue
    }
    if (c === 47 /* / */) {
      const next = code.charCodeAt(i + 1)
      if (next === 47) {
        const end = code.indexOf('\n', i + 2)
        i = end === -1 ? length : end + 1
        continue
      }
      if (next === 42 /* * */) {
        const end = code.indexOf('*/', i + 2)
        i = end === -1 ? length : end + 2
        continue
      }
      if (!afterOperand) {
        i = skipRegExp(code, i)
        afterOperand = true
        previousWord = ''
        continue
      }
    }
    if (c === 34 /* " */ || c === 39 /* ' */) {
      i = skipString(code, i, c)
      afterOperand = true
      previousWord = ''
      continue
    }
    if (c === 96 /* ` */) {
      if (scanTemplate(i + 1)) {
        if (open('${', i)) return found(code, deepest)
        afterOperand = false
      } else afterOperand = true
      previousWord = ''
      continue
    }
    if (isDigit(c) || (c === 46 /* . */ && isDigit(code.charCodeAt(i + 1)))) {
      i++
      while (i < length && isWordPart(code.charCodeAt(i))) i++
      afterOperand = true
      previousWord = ''
      continue
    }
    if (isWordStart(c)) {
      const start = i
      i++
      while (i < length && isWordPart(code.charCodeAt(i))) i++
      const word = code.slice(start, i)
      const level = levels[levels.length - 1]!
      if (word === 'case' || (word === 'default' && previousWord !== 'export')) level.pendingCaseColons++
      if (nestingKeywords.has(word) || (word === 'if' && previousWord !== 'else')) {
        if (nest(start)) return found(code, deepest)
      }
      afterOperand = !expressionKeywords.has(word) && !nestingKeywords.has(word) && word !== 'if'
      previousWord = word
      continue
    }
    // Punctuators (and anything else, one character at a time).
    let token = code[i]!
    for (const candidate of punctuatorsByFirst.get(token) ?? []) {
      if (candidate.length === 1 || code.startsWith(candidate, i)) {
        token = candidate
        break
      }
    }
    const at = i
    i += token.length
    previousWord = ''
    if (token === '(' || token === '[' || token === '{') {
      if (open(token, at)) return found(code, deepest)
      afterOperand = false
      continue
    }
    if (token === ')' || token === ']' || token === '}') {
      if (close() === '${' && token === '}') {
        // Back in the template: its text, then either its end or another substitution.
        if (scanTemplate(i)) {
          if (open('${', i - 2)) return found(code, deepest)
          afterOperand = false
          continue
        }
      }
      afterOperand = true
      continue
    }
    if (token === ',' || token === ';') {
      resetChain()
      afterOperand = false
      continue
    }
    if (token === ':') {
      const level = levels[levels.length - 1]!
      if (level.pendingCaseColons > 0) level.pendingCaseColons--
      else if (nest(at)) return found(code, deepest)
      afterOperand = false
      continue
    }
    if ((token === '++' || token === '--') && afterOperand) continue // postfix
    if ((!afterOperand && prefixOperators.has(token)) || rightNestingOperators.has(token)) {
      if (nest(at)) return found(code, deepest)
    }
    afterOperand = false
  }
  return found(code, deepest)
}

function found(
  code: string,
  { depth, index }: { depth: number; index: number },
): ScanBundleNestingReturnType {
  let line = 1
  let lineStart = 0
  for (
    let newline = code.indexOf('\n');
    newline !== -1 && newline < index;
    newline = code.indexOf('\n', newline + 1)
  ) {
    line++
    lineStart = newline + 1
  }
  return { depth, line, column: index - lineStart + 1 }
}
