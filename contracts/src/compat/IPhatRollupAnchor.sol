// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title The parts of a Phat offchain-rollup anchor (`PhatRollupAnchor`) an attestor uses.
/// @notice As documented by Phala's phat-offchain-rollup: a kv-store whose request queue lives under the keys
/// `q/_head` and `q/_tail` (each `abi.encode(uint32)`) and `q/` ++ `abi.encode(uint32 index)` (the message bytes);
/// `rollupU256CondEq` applies updates and actions when every condition key holds its expected uint32, and only for
/// holders of `ATTESTOR_ROLE`. Actions are one type byte followed by its argument: 0 reply (the bytes
/// `_onMessageReceived` gets), 1 set the queue head (`abi.encode(uint32)`).
interface IPhatRollupAnchor {
    /// @notice A message was queued at `idx` for the attestor.
    event MessageQueued(uint256 idx, bytes data);
    /// @notice The queue's head moved to the given index: every message before it was processed.
    event MessageProcessedTo(uint256);

    /// @notice keccak256("ATTESTOR_ROLE"), the role allowed to call `rollupU256CondEq`.
    function ATTESTOR_ROLE() external view returns (bytes32);

    /// @notice OpenZeppelin `AccessControl`.
    function hasRole(bytes32 role, address account) external view returns (bool);

    /// @notice The raw value stored under `key` in the anchor's kv-store.
    function getStorage(bytes memory key) external view returns (bytes memory);

    /// @notice Checks `condKeys[i]` == `condValues[i]` (uint32, an empty value is 0), writes the updates, then runs
    /// the actions in order; reverts unless the caller holds `ATTESTOR_ROLE`.
    function rollupU256CondEq(
        bytes[] calldata condKeys,
        bytes[] calldata condValues,
        bytes[] calldata updateKeys,
        bytes[] calldata updateValues,
        bytes[] calldata actions
    ) external returns (bool);
}
