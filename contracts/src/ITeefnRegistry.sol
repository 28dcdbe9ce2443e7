// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title The part of the teefn registry that consumers use.
/// @notice Consumers accept an envelope only when its signer is an active worker and its codeHash is the one
/// the registry names for the function now. Nodes serve the requests of registered consumers only; a consumer
/// signs itself up (`registerConsumer`, msg.sender is the consumer) and may leave (`deregisterConsumer`).
interface ITeefnRegistry {
    /// @return The codeHash that may answer `functionId` now; zero when the function is not registered.
    function codeHashOf(bytes32 functionId) external view returns (bytes32);

    /// @return Whether `worker` is admitted and its admission has not expired (`expiresAt > block.timestamp`).
    function isWorkerActive(address worker) external view returns (bool);

    /// @notice Registers the caller as a consumer; emits `ConsumerRegistered(caller)`. Reverts when it already is.
    function registerConsumer() external;

    /// @notice Deregisters the caller; emits `ConsumerDeregistered(caller)`. Reverts when it is not registered.
    function deregisterConsumer() external;

    /// @return Whether `consumer` is registered: whether nodes serve its `RequestSent` requests.
    function isConsumer(address consumer) external view returns (bool);
}
