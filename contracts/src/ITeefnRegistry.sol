// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title The part of the teefn registry that consumers read.
/// @notice Consumers accept an envelope only when its signer is an active worker and its codeHash is the one
/// the registry names for the function now.
interface ITeefnRegistry {
    /// @return The codeHash that may answer `functionId` now; zero when the function is not registered.
    function codeHashOf(bytes32 functionId) external view returns (bytes32);

    /// @return Whether `worker` is admitted and its admission has not expired (`expiresAt > block.timestamp`).
    function isWorkerActive(address worker) external view returns (bool);
}
