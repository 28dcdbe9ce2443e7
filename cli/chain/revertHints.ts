/** What a registry custom error means, when its name alone does not say (`explainRevert`). */
export type RevertExplanation = {
  /** A sentence from the error's arguments, for the message. */
  explanation?: string | undefined
  /** What to do about it. */
  hint?: string | undefined
}

const plural = (n: unknown, word: string) => `${n} ${word}${Number(n) === 1 ? '' : 's'}`

const explanations: Record<string, (args: readonly unknown[]) => string> = {
  GatekeeperQuorumNotReached: ([count, threshold]) =>
    `${plural(count, 'gatekeeper signature')} given, the registry needs ${threshold}`,
  NotGatekeeper: ([signer]) => `${signer} signed but is not a gatekeeper of this registry`,
  StaleNonce: ([expected, given]) => `the statement carries nonce ${given}, the registry expects ${expected}`,
  StatementExpired: ([deadline]) =>
    `the statement's deadline ${new Date(Number(deadline) * 1000).toISOString()} has passed`,
  MeasurementNotPinned: ([measurement]) => `measurement ${measurement} is not pinned in this registry`,
  InvalidGatekeeperThreshold: ([threshold, count]) =>
    `a threshold of ${threshold} is not between 1 and the ${plural(count, 'gatekeeper')}`,
}

const hints: Record<string, string> = {
  NotAdmin:
    "Only the registry's admin may admit or remove workers, set gatekeepers, pin measurements or renounce: pass the admin's --key.",
  AdminRenounced:
    'The admin role was renounced: the gatekeeper quorum decides now (teefn chain sign-admission, then teefn chain admit-by-quorum).',
  NoGatekeepers:
    'The registry has no gatekeeper set: set one first (teefn chain set-gatekeepers <address...> --threshold k). Without one, renouncing the admin would leave no one able to admit workers.',
  NotFunctionOwner: "Only the function's owner may change it: pass the owner's --key.",
  FunctionAlreadyRegistered:
    'Pick another id (--name or --function-id), or upgrade it as its owner (teefn chain upgrade).',
  FunctionNotRegistered: 'Register it first (teefn chain register), or check --function-id and --registry.',
  FunctionIsLocked:
    'A locked function keeps its code and result policy for good; register the new code under a new id.',
  InvalidThreshold: 'A result policy needs from 1 to 32 workers (--k).',
  ZeroFunctionId: 'A functionId must not be zero.',
  ZeroCodeHash: 'A codeHash must not be zero.',
  ZeroAttestationHash: 'The attestation hash must not be zero.',
  ZeroAddress: 'An address argument is zero.',
  ZeroMeasurement: 'A measurement must not be zero.',
  ExpiryNotInFuture:
    'Pass an --expires-in (admit) or --expiry (sign-admission) that ends after the latest block.',
  WorkerNotAdmitted: 'The worker is not admitted.',
  GatekeeperQuorumNotReached:
    'Collect signatures of the same statement from more gatekeepers (teefn chain sign-admission; teefn chain gatekeepers shows the set and threshold).',
  NotGatekeeper: 'Only signatures of the current gatekeepers count (teefn chain gatekeepers).',
  StaleNonce:
    'The worker was admitted or removed since the statement was signed: sign a new one (teefn chain sign-admission reads the current nonce).',
  StatementExpired: 'Sign a new statement with a later --deadline.',
  MeasurementNotPinned:
    "Pin it first (teefn chain pin-measurement as the admin; after the admin renounced, the registry's setMeasurementPinnedByQuorum with k gatekeeper signatures), or sign the measurement the registry pins.",
  InvalidGatekeeperSet: 'Pass 1 to 32 distinct non-zero gatekeeper addresses.',
  InvalidGatekeeperSignature: 'A signature does not parse; ask that gatekeeper to sign again.',
}

/** The explanation and hint of a registry (or consumer) custom error, from its name and arguments. */
export function explainRevert(name: string, args: readonly unknown[]): RevertExplanation {
  return { explanation: explanations[name]?.(args), hint: hints[name] }
}
