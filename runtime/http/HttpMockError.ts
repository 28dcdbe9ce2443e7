import { BaseError } from '../errors/BaseError.js'

/**
 * A list of HTTP mocks (`teefn run --mock`, `runFunction({ mocks })`) that is not what `parseHttpMocks` accepts:
 * the message names the entry and the field.
 *
 * @example
 * throw new HttpMockError('Mock 2: response.status must be a whole number from 200 to 599.', {
 *   code: 'HTTP_MOCK_INVALID',
 *   details: 'got 42',
 * })
 */
export class HttpMockError extends BaseError<'HTTP_MOCK_INVALID'> {
  override name = 'HttpMockError'
}
