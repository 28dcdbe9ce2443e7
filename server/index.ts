/** The teefn HTTP API: build it with its dependencies (`buildServer`) or build and listen (`startServer`). */
export { ApiError } from './ApiError.js'
export { apiKeyHeader, createApiKeyMatcher } from './apiKeys.js'
export {
  type BuildServerParameters,
  buildServer,
  type RateLimitSettings,
  type TeefnServer,
} from './buildServer.js'
export { type ApiErrorCode, apiErrorCodes } from './errorCodes.js'
export type { ErrorBody } from './errorHandler.js'
export type { PresentedOutcome } from './presentOutcome.js'
export type { ServerChains, ServerEvmChain, WorkerCheck } from './ServerContext.js'
export { type StartServerParameters, type StartServerReturnType, startServer } from './startServer.js'
export { authorizeUpload, type UploadAuthorizationPolicy } from './uploadAuthorization.js'
export { ownerHeader, signatureHeader, timestampHeader, uploadAuthorizationMessage } from './uploadMessage.js'
