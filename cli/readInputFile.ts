import { readFile } from 'node:fs/promises'
import { UsageError } from './UsageError.js'

/**
 * Reads a file a command was given (`-` reads stdin). An unreadable file is a usage error (exit 2) that names
 * the path, never the content.
 */
export async function readInputFile(path: string, what: string): Promise<Buffer> {
  try {
    if (path === '-') {
      const chunks: Buffer[] = []
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
      return Buffer.concat(chunks)
    }
    return await readFile(path)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable'
    throw new UsageError(`cannot read the ${what} ${path === '-' ? 'from stdin' : `file ${path}`} (${code})`)
  }
}

/** Decodes a quote or other binary input given either raw or as hex text (optionally 0x-prefixed). */
export function decodeBinaryOrHex(content: Buffer): Uint8Array {
  const text = content.toString('latin1').trim()
  if (/^(0x)?([0-9a-fA-F]{2})+$/.test(text))
    return new Uint8Array(Buffer.from(text.replace(/^0x/, ''), 'hex'))
  return new Uint8Array(content)
}
