/**
 * `teefn/testing`: what a function's own tests import. `runFunction` runs it in the sandbox as `teefn run` does,
 * with HTTP mocks in place of the network if given.
 */

export { HttpMockError } from '../../runtime/http/HttpMockError.js'
export type { HttpMock } from '../../runtime/http/parseHttpMocks.js'
export type { RunReport } from '../run/runFunctionOnce.js'
export { type RunFunctionParameters, type RunFunctionReturnType, runFunction } from './runFunction.js'
