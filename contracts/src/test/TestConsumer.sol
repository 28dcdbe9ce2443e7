// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ITeefnRegistry} from "../ITeefnRegistry.sol";
import {TeefnConsumer} from "../TeefnConsumer.sol";

/// @title Test-only consumer whose hook misbehaves on demand (revert, burn gas, huge revert data, re-enter).
/// @notice Also records cancellations, lets anyone cancel through `_cancelRequest` (`forceCancel`) and lets anyone
/// deregister it and register it again (`leaveRegistry`, `rejoinRegistry`), or sign it up in another registry
/// (`signUpWith`), and sets its own minimum quorum (`setMinQuorum`).
/// @dev Not for deployment outside tests.
contract TestConsumer is TeefnConsumer {
    enum HookMode {
        Record,
        Revert,
        BurnAllGas,
        BurnThenRecord,
        RevertWithHugeData,
        Reenter
    }

    HookMode public mode;
    /// Gas BurnThenRecord burns before it records.
    uint256 public burnGas;
    /// Bytes of revert data RevertWithHugeData returns.
    uint256 public revertDataSize;

    uint256 public hookCalls;
    bytes32 public lastRequestId;
    uint8 public lastStatus;
    bytes public lastResult;
    bytes4 public reentryError;
    Envelope private _reentryEnvelope;
    /// How often `_onRequestCancelled` ran, and for which request last.
    uint256 public cancelCalls;
    bytes32 public lastCancelledId;
    /// What `minQuorum` answers; 0 means the default (1).
    uint8 private _minQuorum;

    error HookFailedOnPurpose(bytes32 requestId);

    constructor(ITeefnRegistry registry_, uint32 hookGasLimit_, uint32 requestTimeout_)
        TeefnConsumer(registry_, hookGasLimit_, requestTimeout_)
    {}

    function request(bytes32 functionId, bytes calldata payload) external returns (bytes32) {
        return _request(functionId, payload);
    }

    /// A consumer policy without the requester and deadline checks of `cancelRequest`: anyone, any time.
    function forceCancel(bytes32 requestId) external {
        _cancelRequest(requestId);
    }

    /// Anyone may take this test consumer off the registry's list, or put it back (`_deregisterConsumer`).
    function leaveRegistry() external {
        _deregisterConsumer();
    }

    function rejoinRegistry() external {
        _registerConsumer();
    }

    /// Signs this contract up in `other` as well (sign-up is open in every registry, whoever deployed it).
    function signUpWith(ITeefnRegistry other) external {
        other.registerConsumer();
    }

    function setMode(HookMode mode_, uint256 burnGas_, uint256 revertDataSize_) external {
        mode = mode_;
        burnGas = burnGas_;
        revertDataSize = revertDataSize_;
    }

    /// Anyone may raise (or lower) this test consumer's own minimum quorum.
    function setMinQuorum(uint8 minQuorum_) external {
        _minQuorum = minQuorum_;
    }

    function minQuorum() public view override returns (uint8) {
        uint8 minimum = _minQuorum;
        return minimum == 0 ? super.minQuorum() : minimum;
    }

    function setReentryEnvelope(Envelope calldata envelope) external {
        _reentryEnvelope = envelope;
    }

    function _onFulfillment(bytes32 requestId, uint8 status, bytes calldata result) internal override {
        HookMode m = mode;
        if (m == HookMode.Revert) revert HookFailedOnPurpose(requestId);
        if (m == HookMode.BurnAllGas) {
            uint256 x;
            while (true) {
                x = uint256(keccak256(abi.encode(x)));
            }
        }
        if (m == HookMode.BurnThenRecord) {
            uint256 until = gasleft() - burnGas;
            while (gasleft() > until) {}
        }
        if (m == HookMode.RevertWithHugeData) {
            uint256 size = revertDataSize;
            assembly ("memory-safe") {
                revert(0, size)
            }
        }
        if (m == HookMode.Reenter) {
            try this.fulfill(_reentryEnvelope) {
                reentryError = bytes4(0xffffffff);
            } catch (bytes memory err) {
                reentryError = bytes4(err);
            }
        }
        ++hookCalls;
        lastRequestId = requestId;
        lastStatus = status;
        lastResult = result;
    }

    function _onRequestCancelled(bytes32 requestId) internal override {
        ++cancelCalls;
        lastCancelledId = requestId;
    }
}
