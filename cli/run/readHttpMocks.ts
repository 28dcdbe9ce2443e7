import { HttpMockError } from '../../runtime/http/HttpMockError.js'
import { type HttpMock, parseHttpMocks } from '../../runtime/http/parseHttpMocks.js'
import { readInputFile } from '../readInputFile.js'
import { UsageError } from '../UsageError.js'

/**
 * Reads and checks a `--mock` file: a JSON array of `{ request, response }`. A file that cannot be read, is not
 * JSON, or has a bad entry is a usage error (exit 2) naming the file and, for an entry, its index and field.
 */
export async function readHttpMocks(file: string): Promise<HttpMock[]> {
  const text = (await readInputFile(file, 'mock')).toString('utf8')
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw new UsageError(
      `--mock ${file} is not valid JSON: ${(error as Error).message}`,
      'a mock file is a JSON array of { "request": { "method", "url", "headers" }, "response": { "status", "headers", "body" | "json" } }',
    )
  }
  try {
    return parseHttpMocks(value)
  } catch (error) {
    if (!(error instanceof HttpMockError)) throw error
    const got = error.details === undefined ? '' : ` (${error.details})`
    throw new UsageError(`--mock ${file}: ${error.shortMessage.replace(/\.$/, '')}${got}`, error.hint)
  }
}
