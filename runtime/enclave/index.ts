/** The enclave identity layer: TEE providers, attestation, signed result envelopes, encrypted secrets. */

export { bytesToHex, type Hex, hexToBytes } from '../bytes.js'
export { AttestationError, type AttestationFailureReason } from './AttestationError.js'
export { type AttestWorkerParameters, attestWorker, type WorkerAttestation } from './attestWorker.js'
export { type DecryptSecretsParameters, decryptSecrets } from './decryptSecrets.js'
export {
  deriveSecretFromFunctionKey,
  deriveSecretSalt,
  maxDeriveSecretPathBytes,
} from './deriveSecretFromFunctionKey.js'
export { type CreateDevProviderParameters, createDevProvider } from './devProvider.js'
export {
  type CreateDstackProviderParameters,
  createDstackProvider,
  dstackSocketPaths,
  resolveDstackEndpoint,
} from './dstackProvider.js'
export { EnvelopeError, type EnvelopeFailureReason } from './EnvelopeError.js'
export {
  type Envelope,
  type EnvelopeFamily,
  envelopeVersion,
  errorResultBytes,
  maxErrorResultBytes,
  parseEnvelope,
  payloadHashOf,
  resultHashOf,
} from './envelope.js'
export {
  domainSeparator,
  eip712DomainName,
  eip712DomainVersion,
  fulfillmentDigest,
  fulfillmentType,
  fulfillmentTypes,
  recoverEvmSigner,
} from './evmEnvelope.js'
export { FunctionScopeError } from './FunctionScopeError.js'
export { functionKeyPath } from './functionKeyPath.js'
export {
  type FunctionScope,
  functionScopeTag,
  parseFunctionScope,
  scopeId,
  scopeIdBytes,
} from './functionScope.js'
export { OwnerRecordError } from './OwnerRecordError.js'
export {
  ciphertextHashOf,
  type FunctionSettings,
  functionSettingsType,
  functionSettingsTypes,
  hashFunctionSettings,
  hashSecretsUpdate,
  maxSecretsCiphertextBytes,
  type OwnerSigner,
  ownerRecordDomain,
  parseSignedSecrets,
  parseSignedSettings,
  recoverSecretsSigner,
  recoverSettingsSigner,
  type SecretsUpdate,
  type SignedSecrets,
  type SignedSettings,
  secretsUpdateType,
  secretsUpdateTypes,
  signFunctionSettings,
  signSecretsUpdate,
} from './ownerRecords.js'
export { computeReportData, encodeWorkerPublicKeys, workerKeysDomainTag } from './reportData.js'
export { SealedKeyFileError, type SealedKeyFileErrorCode } from './SealedKeyFileError.js'
export { SecretsError } from './SecretsError.js'
export { defaultDevSealPassphrase } from './sealedKeyFile.js'
export {
  type EncryptSecretsParameters,
  encryptSecrets,
  encryptSecretsBytes,
  minSecretsCiphertextBytes,
  secretsFormat,
} from './secretsCipher.js'
export { defaultDevKeyFile, type SelectProviderParameters, selectProvider } from './selectProvider.js'
export { type EnvelopeSigner, type SignEnvelopeParameters, signEnvelope } from './signEnvelope.js'
export {
  decodeSubstrateEnvelope,
  encodeSubstrateEnvelope,
  substrateEnvelopeContext,
  substrateSigningMessage,
} from './substrateEnvelope.js'
export type { TeeInfo, TeeKind, TeeProvider, TeeQuote, WorkerPublicKeys } from './TeeProvider.js'
export { TeeProviderError } from './TeeProviderError.js'
export {
  type ExpectedReportData,
  type MeasurementPins,
  type VerifyAttestationParameters,
  type VerifyAttestationReturnType,
  verifyAttestation,
} from './verifyAttestation.js'
export {
  parseWorkerIdentity,
  type VerifyEnvelopeParameters,
  type VerifyEnvelopeReturnType,
  verifyEnvelope,
} from './verifyEnvelope.js'
