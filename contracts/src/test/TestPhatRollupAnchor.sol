// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";

/// @title Test-only anchor written against the documented `PhatRollupAnchor` interface (Phala's offchain
/// rollup): a kv-store, a request queue under `q/_head`, `q/_tail` and `q/` ++ abi.encode(uint32 index), the
/// `MessageQueued` event, and `rollupU256CondEq` for `ATTESTOR_ROLE` holders with the documented action bytes
/// (0 reply, 1 set queue head, 10 grant attestor, 11 revoke attestor). No meta-transactions.
/// @dev Not for deployment outside tests; it stands for consumers deployed against Phala's contract.
abstract contract TestPhatRollupAnchor is ReentrancyGuard, AccessControl {
    bytes32 public constant ATTESTOR_ROLE = keccak256("ATTESTOR_ROLE");

    event MessageQueued(uint256 idx, bytes data);
    event MessageProcessedTo(uint256);

    error BadAttestor();
    error BadCondLen(uint256 kenLen, uint256 valueLen);
    error BadUpdateLen(uint256 kenLen, uint256 valueLen);
    error CondNotMet(bytes cond, uint32 expected, uint32 actual);
    error CannotDecodeAction(uint8 actionId);
    error UnsupportedAction(uint8 actionId);
    error Internal_toUint32Strict_outOfBounds(bytes data);
    error InvalidPopTarget(uint256 targetIdx, uint256 tailIdx);

    mapping(bytes key => bytes value) private _store;

    /// Applies `updates` and `actions` when every condition key holds its expected uint32; attestors only.
    function rollupU256CondEq(
        bytes[] calldata condKeys,
        bytes[] calldata condValues,
        bytes[] calldata updateKeys,
        bytes[] calldata updateValues,
        bytes[] calldata actions
    ) public nonReentrant returns (bool) {
        if (!hasRole(ATTESTOR_ROLE, msg.sender)) revert BadAttestor();
        if (condKeys.length != condValues.length) revert BadCondLen(condKeys.length, condValues.length);
        if (updateKeys.length != updateValues.length) revert BadUpdateLen(updateKeys.length, updateValues.length);
        for (uint256 i = 0; i < condKeys.length; ++i) {
            uint32 actual = toUint32Strict(_store[condKeys[i]]);
            uint32 expected = toUint32Strict(condValues[i]);
            if (actual != expected) revert CondNotMet(condKeys[i], expected, actual);
        }
        for (uint256 i = 0; i < updateKeys.length; ++i) {
            _store[updateKeys[i]] = updateValues[i];
        }
        for (uint256 i = 0; i < actions.length; ++i) {
            _apply(actions[i]);
        }
        return true;
    }

    function getStorage(bytes memory key) public view returns (bytes memory) {
        return _store[key];
    }

    /// An empty value reads as 0; anything else must be one ABI word holding a uint32.
    function toUint32Strict(bytes memory value) public pure returns (uint32) {
        if (value.length == 0) return 0;
        if (value.length != 32) revert Internal_toUint32Strict_outOfBounds(value);
        return abi.decode(value, (uint32));
    }

    function queueGetPrefix() public pure returns (bytes memory) {
        return "q/";
    }

    function queueGetBytes(bytes memory key) public view returns (bytes memory) {
        return _store[bytes.concat("q/", key)];
    }

    function queueGetUint(bytes memory key) public view returns (uint32) {
        return toUint32Strict(queueGetBytes(key));
    }

    /// Queues `data` for the attestor and returns its index.
    function _pushMessage(bytes memory data) internal returns (uint32 index) {
        index = queueGetUint("_tail");
        _store[bytes.concat("q/", abi.encode(index))] = data;
        _store["q/_tail"] = abi.encode(index + 1);
        emit MessageQueued(index, data);
    }

    /// Receives a reply (the bytes after the action's type byte).
    function _onMessageReceived(bytes calldata action) internal virtual;

    function _apply(bytes calldata action) private {
        uint8 kind = uint8(action[0]);
        if (kind == 0) {
            _onMessageReceived(action[1:]);
        } else if (kind == 1) {
            if (action.length < 33) revert CannotDecodeAction(kind);
            _popTo(abi.decode(action[1:], (uint32)));
        } else if (kind == 10 || kind == 11) {
            if (action.length < 21) revert CannotDecodeAction(kind);
            address attestor = abi.decode(action[1:], (address));
            if (kind == 10) _grantRole(ATTESTOR_ROLE, attestor);
            else _revokeRole(ATTESTOR_ROLE, attestor);
        } else {
            revert UnsupportedAction(kind);
        }
    }

    function _popTo(uint32 target) private {
        uint32 tail = queueGetUint("_tail");
        if (target > tail) revert InvalidPopTarget(target, tail);
        for (uint32 i = queueGetUint("_head"); i < target; ++i) {
            delete _store[bytes.concat("q/", abi.encode(i))];
        }
        _store["q/_head"] = abi.encode(target);
        emit MessageProcessedTo(target);
    }
}
