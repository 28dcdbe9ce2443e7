// Character-level helpers of `scanBundleNesting`'s single pass: char codes in, indexes out.

/** From a quote to just after its closing quote (or the end of the line: a string does not span lines). */
export function skipString(code: string, start: number, quote: number): number {
  let j = start + 1
  while (j < code.length) {
    const c = code.charCodeAt(j)
    if (c === 92) j += 2
    else if (c === quote || c === 10) return j + 1
    else j++
  }
  return code.length
}

/** From a `/` that starts a regular expression to just after its flags (or the end of the line, if unterminated). */
export function skipRegExp(code: string, start: number): number {
  let j = start + 1
  let inClass = false
  while (j < code.length) {
    const c = code.charCodeAt(j)
    if (c === 92) j += 2
    else if (c === 10 || c === 13) return j
    else if (inClass) {
      if (c === 93 /* ] */) inClass = false
      j++
    } else if (c === 91 /* [ */) {
      inClass = true
      j++
    } else if (c === 47) {
      j++
      while (j < code.length && isWordPart(code.charCodeAt(j))) j++
      return j
    } else j++
  }
  return code.length
}

export function isDigit(c: number): boolean {
  return c >= 48 && c <= 57
}

/** A character that may start an identifier (`\\` for escapes, anything non-ASCII taken as a letter). */
export function isWordStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 36 || c === 95 || c === 92 || c >= 0x80
}

export function isWordPart(c: number): boolean {
  return isWordStart(c) || isDigit(c)
}
