// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title The part of the teefn registry that consumers use.
/// @notice Consumers accept an answer only when its signers are active workers, its codeHash is the one the
/// registry names for the function now, and enough of them agree under the function's result policy. Nodes serve
/// the requests of registered consumers only; a consumer signs itself up (`registerConsumer`, msg.sender is the
/// consumer) and may leave (`deregisterConsumer`).
interface ITeefnRegistry {
    /// @notice How a quorum's answers become one delivered result (docs/protocol.md, "Aggregation").
    /// `Identical`: k answers with the same (status, result bytes). `MedianUint256` / `MedianInt256`: k OK answers,
    /// each exactly 32 bytes read as uint256 / int256 (two's complement); the lower median is delivered.
    enum Aggregation {
        Identical,
        MedianUint256,
        MedianInt256
    }

    /// @return The codeHash that may answer `functionId` now; zero when the function is not registered.
    function codeHashOf(bytes32 functionId) external view returns (bytes32);

    /// @return threshold how many distinct active workers must agree (>= 1; 0 when the function is not registered)
    /// @return aggregation how their answers are combined
    function policyOf(bytes32 functionId) external view returns (uint8 threshold, Aggregation aggregation);

    /// @notice `codeHashOf` and `policyOf` in one call, for a consumer checking an answer.
    function fulfillmentPolicyOf(bytes32 functionId)
        external
        view
        returns (bytes32 codeHash, uint8 threshold, Aggregation aggregation);

    /// @return Whether `worker` is admitted and its admission has not expired (`expiresAt > block.timestamp`).
    function isWorkerActive(address worker) external view returns (bool);

    /// @notice Registers the caller as a consumer; emits `ConsumerRegistered(caller)`. Reverts when it already is.
    function registerConsumer() external;

    /// @notice Deregisters the caller; emits `ConsumerDeregistered(caller)`. Reverts when it is not registered.
    function deregisterConsumer() external;

    /// @return Whether `consumer` is registered: whether nodes serve its `RequestSent` requests.
    function isConsumer(address consumer) external view returns (bool);
}
