export { type AddressKind, type ClassifyAddressReturnType, classifyAddress } from './classifyAddress.js'
export { type CreateCheckedLookupParameters, createCheckedLookup } from './createCheckedLookup.js'
export {
  type CreateInvocationFetcherParameters,
  createInvocationFetcher,
  type InvocationFetcher,
} from './createInvocationFetcher.js'
export {
  type CreateMemoryBudgetParameters,
  createMemoryBudget,
  type MemoryBudget,
  type MemoryReservation,
} from './createMemoryBudget.js'
export { type CreateMockTransportParameters, createMockTransport } from './createMockTransport.js'
export {
  type CreateNetworkPolicyParameters,
  createNetworkPolicy,
  formatHostPort,
  type NetworkPolicy,
  type NetworkPolicyCheckParameters,
  type NetworkPolicyDecision,
} from './createNetworkPolicy.js'
export { FetchError, type FetchErrorCode, type FetchErrorParameters, isFetchError } from './FetchError.js'
export { fetchDefaults } from './fetchDefaults.js'
export { formatBytes } from './formatBytes.js'
export { HttpMockError } from './HttpMockError.js'
export {
  type HostFetchAgents,
  type HostFetchOptions,
  type HostFetchRequest,
  type HostFetchResponse,
  type HostFetchTransport,
  type HostFetchTransportRequest,
  type HostFetchTransportResponse,
  hostFetch,
} from './hostFetch.js'
export { hostNotAllowedError } from './hostNotAllowedError.js'
export { InvalidAllowHostError } from './InvalidAllowHostError.js'
export { isCorsSafelistedRequestHeader } from './isCorsSafelistedRequestHeader.js'
export { type MemoryLimitErrorParameters, memoryLimitError } from './memoryLimitError.js'
export { type AllowHost, parseAllowHost } from './parseAllowHost.js'
export { type HttpMock, parseHttpMocks } from './parseHttpMocks.js'
