// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ITeefnRegistry} from "../ITeefnRegistry.sol";
import {TeefnConsumer} from "../TeefnConsumer.sol";
import {IPhatRollupAnchor} from "./IPhatRollupAnchor.sol";

/// @title teefn as the attestor of one Phat offchain-rollup anchor.
/// @notice A consumer written against `PhatRollupAnchor` switches to teefn by granting this contract
/// `ATTESTOR_ROLE` (`setAttestor(address(this))` in Phala's samples); nothing else changes for it.
///   - `relay(index)` (anyone; teefn nodes call it on `MessageQueued`) reads message `index` from the anchor's own
///     storage and issues a teefn request for `functionId` with the message bytes as payload, once per index
///     (again only when the earlier request's answer is lost: expired, cancelled, or its hook ran out of gas).
///   - The answer reaches `_onFulfillment` only after `TeefnConsumer` verified it (active worker, the registry's
///     codeHash, the request binding). It is submitted in the anchor's format: condition `q/_head` == index,
///     actions reply(result) and set-queue-head(index + 1).
/// Order: an anchor accepts replies in queue order only, so an answer for a later index is held here and
/// submitted once the earlier ones are in (by the fulfilment that completes the run, or by `flush`, which anyone
/// may call; nodes call it when held answers wait at the head).
/// Failures: a run that failed (status != 0) is skipped: the head moves past it without a reply
/// (`MessageSkipped`), so one bad message cannot stall the queue. A reply the anchor reverts (the consumer's
/// `_onMessageReceived` reverted or used more than `replyGasLimit`) is recorded (`ReplyRefused`) and the message
/// is popped without it, as teefn records a failing hook and moves on (Phat's own attestor would retry it forever).
contract TeefnPhatAttestor is TeefnConsumer {
    /// A held answer: arrived before the messages ahead of it were answered, or while this was not the attestor.
    struct Held {
        bool present;
        uint8 status;
        bytes32 requestId;
        bytes result;
    }

    uint8 private constant ACTION_REPLY = 0;
    uint8 private constant ACTION_SET_QUEUE_HEAD = 1;
    bytes32 private constant ATTESTOR_ROLE = keccak256("ATTESTOR_ROLE");
    /// Gas a head-only rollup (condition, item delete, head write) gets when a reply is skipped or refused.
    uint256 public constant POP_GAS = 120_000;
    /// Gas kept for the work after a submission (events, held-answer bookkeeping).
    uint256 private constant AFTER_SUBMIT_GAS = 40_000;
    /// Gas the hook needs besides submissions (the anchor's head and role reads).
    uint256 private constant HOOK_BASE_GAS = 40_000;
    /// @notice `pendingWork` looks at most this many indexes past the head (a bounded view for any queue length).
    uint32 public constant MAX_SCAN = 1024;
    /// At most this many bytes of a refused reply's revert data are logged.
    uint256 public constant MAX_REASON_BYTES = 256;

    /// @notice The anchor this contract answers for.
    IPhatRollupAnchor public immutable anchor;
    /// @notice The teefn function that answers the anchor's messages.
    bytes32 public immutable functionId;
    /// @notice Gas each reply submission (the anchor's `rollupU256CondEq`, the consumer's hook included) gets.
    uint32 public immutable replyGasLimit;

    /// @notice The teefn request last issued for a queue index (zero before `relay`).
    mapping(uint32 index => bytes32 requestId) public requestIdOf;
    mapping(bytes32 requestId => uint64 indexPlusOne) private _indexOf;
    mapping(uint32 index => Held) private _held;
    /// Set while submitting, so a consumer hook that calls back in cannot submit out of turn.
    bool private transient _submitting;

    /// @notice Message `index` was sent to the function as request `requestId`.
    event MessageRelayed(uint32 indexed index, bytes32 indexed requestId);
    /// @notice The answer for `index` was submitted to the anchor as a reply; the head is now index + 1.
    event ReplySubmitted(uint32 indexed index, bytes32 indexed requestId);
    /// @notice The answer for `index` waits here for the messages before it (or for the attestor role).
    event ReplyHeld(uint32 indexed index, bytes32 indexed requestId);
    /// @notice The anchor reverted the reply for `index` (`reason`, cut to MAX_REASON_BYTES); the message was
    /// popped without a reply.
    event ReplyRefused(uint32 indexed index, bytes32 indexed requestId, bytes reason);
    /// @notice The run for `index` failed with `status`; the message was popped without a reply.
    event MessageSkipped(uint32 indexed index, bytes32 indexed requestId, uint8 status);
    /// @notice The answer for `index` came after the head had passed it (another attestor answered); dropped.
    event StaleAnswer(uint32 indexed index, bytes32 indexed requestId);

    /// @notice `index` is not in the anchor's queue (`head` <= index < `tail`).
    error NotQueued(uint32 index, uint32 head, uint32 tail);
    /// @notice `index` was relayed already as `requestId`, whose answer is still to come or arrived.
    error AlreadyRelayed(uint32 index, bytes32 requestId);
    /// @notice The anchor has not granted this contract `ATTESTOR_ROLE`.
    error NotAttestor();
    /// @notice `flush` ran out of gas after `submitted` answers while more waited.
    error FlushOutOfGas(uint32 submitted);
    /// @notice Called back while a submission is under way.
    error Reentered();
    error ZeroAnchor();
    error ZeroReplyGasLimit();
    /// @notice `hookGasLimit` cannot cover one submission (`needed`).
    error HookGasTooLow(uint32 hookGasLimit, uint256 needed);

    /// @param hookGasLimit_ gas the fulfilment hook gets: at least one submission (`replyGasLimit_` and a pop,
    /// times 64/63) plus 80 000; more lets one fulfilment also submit answers held behind it
    /// @param replyGasLimit_ gas each reply submission gets (the anchor's checks plus its `_onMessageReceived`)
    constructor(
        ITeefnRegistry registry_,
        IPhatRollupAnchor anchor_,
        bytes32 functionId_,
        uint32 hookGasLimit_,
        uint32 requestTimeout_,
        uint32 replyGasLimit_
    ) TeefnConsumer(registry_, hookGasLimit_, requestTimeout_) {
        if (address(anchor_) == address(0)) revert ZeroAnchor();
        if (replyGasLimit_ == 0) revert ZeroReplyGasLimit();
        anchor = anchor_;
        functionId = functionId_;
        replyGasLimit = replyGasLimit_;
        uint256 needed = _submissionGas(replyGasLimit_) + HOOK_BASE_GAS;
        if (hookGasLimit_ < needed) revert HookGasTooLow(hookGasLimit_, needed);
    }

    // ---- relaying and flushing (anyone) ----

    /// @notice Sends queued message `index` to the function. The message is read from the anchor, never taken
    /// from the caller. Reverts unless this contract is the anchor's attestor and `relayable(index)`.
    function relay(uint32 index) external returns (bytes32 requestId) {
        if (!isAttestor()) revert NotAttestor();
        (uint32 head, uint32 tail) = queueBounds();
        if (index < head || index >= tail) revert NotQueued(index, head, tail);
        bytes32 previous = requestIdOf[index];
        if (previous != 0 && !_answerLost(previous)) revert AlreadyRelayed(index, previous);
        bytes memory message = anchor.getStorage(bytes.concat("q/", abi.encode(index)));
        requestId = _request(functionId, message);
        requestIdOf[index] = requestId;
        _indexOf[requestId] = uint64(index) + 1;
        emit MessageRelayed(index, requestId);
    }

    /// @notice Submits the held answers that are next in line, at most `maxCount`. Reverts when the gas ran out
    /// before one that waited (so a gas estimate covers them all).
    /// @return submitted how many messages were answered (replied, refused or skipped)
    function flush(uint32 maxCount) external returns (uint32 submitted) {
        if (_submitting) revert Reentered();
        if (!isAttestor()) revert NotAttestor();
        bool outOfGas;
        (submitted, outOfGas) = _submitHeld(_head(), maxCount);
        if (outOfGas) revert FlushOutOfGas(submitted);
    }

    // ---- views ----

    /// @notice Whether the anchor has granted this contract `ATTESTOR_ROLE`.
    function isAttestor() public view returns (bool) {
        return anchor.hasRole(ATTESTOR_ROLE, address(this));
    }

    /// @notice The anchor's queue: the first unanswered index and the next index to be queued.
    function queueBounds() public view returns (uint32 head, uint32 tail) {
        return (_head(), _uint32At("q/_tail"));
    }

    /// @notice Whether `relay(index)` would issue a request now.
    function relayable(uint32 index) public view returns (bool) {
        (uint32 head, uint32 tail) = queueBounds();
        if (index < head || index >= tail || !isAttestor()) return false;
        bytes32 previous = requestIdOf[index];
        return previous == 0 || _answerLost(previous);
    }

    /// @notice What a node should do: the relayable indexes among the `MAX_SCAN` from the head (at most
    /// `maxCount`), and whether held answers wait at the head for `flush`.
    function pendingWork(uint32 maxCount) external view returns (uint32[] memory toRelay, bool flushable) {
        if (!isAttestor()) return (toRelay, false);
        (uint32 head, uint32 tail) = queueBounds();
        toRelay = new uint32[](maxCount);
        uint32 found;
        uint32 end = tail - head > MAX_SCAN ? head + MAX_SCAN : tail;
        for (uint32 index = head; index < end && found < maxCount; ++index) {
            bytes32 previous = requestIdOf[index];
            if (previous == 0 || _answerLost(previous)) toRelay[found++] = index;
        }
        assembly ("memory-safe") {
            mstore(toRelay, found)
        }
        flushable = _held[head].present;
    }

    /// @notice The answer held for `index`, if any.
    function heldAnswer(uint32 index)
        external
        view
        returns (bool present, bytes32 requestId, uint8 status, bytes memory result)
    {
        Held storage h = _held[index];
        return (h.present, h.requestId, h.status, h.result);
    }

    // ---- the verified answer ----

    function _onFulfillment(bytes32 requestId, uint8 status, bytes calldata result) internal override {
        uint64 slot = _indexOf[requestId];
        if (slot == 0) return; // only `relay` issues requests here
        uint32 index = uint32(slot - 1);
        uint32 head = _head();
        if (index < head) {
            emit StaleAnswer(index, requestId);
            return;
        }
        bool ready = index == head && !_submitting && isAttestor() && gasleft() >= _submissionGas(replyGasLimit);
        if (!ready) {
            _held[index] = Held({present: true, status: status, requestId: requestId, result: result});
            emit ReplyHeld(index, requestId);
            return;
        }
        _submitting = true;
        bool done = _submit(index, requestId, status, result);
        _submitting = false;
        if (!done) {
            _held[index] = Held({present: true, status: status, requestId: requestId, result: result});
            emit ReplyHeld(index, requestId);
            return;
        }
        _submitHeld(index + 1, type(uint32).max);
    }

    // ---- internals ----

    /// Submits held answers from `head` on while they are next in line and the gas covers one more; `outOfGas`
    /// when it stopped for gas before a held answer.
    function _submitHeld(uint32 head, uint32 maxCount) private returns (uint32 submitted, bool outOfGas) {
        _submitting = true;
        for (uint32 index = head; submitted < maxCount; ++index) {
            if (!_held[index].present) break;
            if (gasleft() < _submissionGas(replyGasLimit)) {
                outOfGas = true;
                break;
            }
            Held memory h = _held[index];
            if (!_submit(index, h.requestId, h.status, h.result)) break;
            delete _held[index];
            ++submitted;
        }
        _submitting = false;
    }

    /// One rollup transaction for `index`: reply and move the head, or only move the head (failed run, refused
    /// reply). False when not even the head could be moved (the answer stays held).
    function _submit(uint32 index, bytes32 requestId, uint8 status, bytes memory result) private returns (bool) {
        if (status == 0) {
            bytes[] memory actions = new bytes[](2);
            actions[0] = abi.encodePacked(ACTION_REPLY, result);
            actions[1] = _setHeadAction(index + 1);
            try anchor.rollupU256CondEq{gas: replyGasLimit}(
                _headKey(), _headValue(index), new bytes[](0), new bytes[](0), actions
            ) {
                emit ReplySubmitted(index, requestId);
                return true;
            } catch (bytes memory reason) {
                if (!_popOnly(index)) return false;
                emit ReplyRefused(index, requestId, _cut(reason));
                return true;
            }
        }
        if (!_popOnly(index)) return false;
        emit MessageSkipped(index, requestId, status);
        return true;
    }

    /// Moves the anchor's head past `index` without a reply.
    function _popOnly(uint32 index) private returns (bool) {
        bytes[] memory actions = new bytes[](1);
        actions[0] = _setHeadAction(index + 1);
        try anchor.rollupU256CondEq{gas: POP_GAS}(
            _headKey(), _headValue(index), new bytes[](0), new bytes[](0), actions
        ) {
            return true;
        } catch {
            return false;
        }
    }

    /// Whether the answer to `requestId` can no longer arrive: expired, cancelled, or its hook failed.
    function _answerLost(bytes32 requestId) private view returns (bool) {
        Request storage r = _requestOf(requestId);
        RequestState state = r.state;
        if (state == RequestState.Pending) return block.timestamp > r.deadline;
        return state != RequestState.Fulfilled;
    }

    /// Gas one submission may need: the reply and a pop, each passed on whole (EIP-150), and what follows.
    function _submissionGas(uint256 replyGas) private pure returns (uint256) {
        return ((replyGas + POP_GAS) * 64) / 63 + AFTER_SUBMIT_GAS;
    }

    function _head() private view returns (uint32) {
        return _uint32At("q/_head");
    }

    /// The anchor's uint32 under `key` (`abi.encode(uint32)`; an empty value is 0).
    function _uint32At(bytes memory key) private view returns (uint32) {
        bytes memory value = anchor.getStorage(key);
        if (value.length == 0) return 0;
        return abi.decode(value, (uint32));
    }

    function _headKey() private pure returns (bytes[] memory keys) {
        keys = new bytes[](1);
        keys[0] = "q/_head";
    }

    function _headValue(uint32 index) private pure returns (bytes[] memory values) {
        values = new bytes[](1);
        values[0] = abi.encode(index);
    }

    function _setHeadAction(uint32 head) private pure returns (bytes memory) {
        return abi.encodePacked(ACTION_SET_QUEUE_HEAD, abi.encode(head));
    }

    function _cut(bytes memory reason) private pure returns (bytes memory) {
        if (reason.length > MAX_REASON_BYTES) {
            assembly ("memory-safe") {
                mstore(reason, MAX_REASON_BYTES)
            }
        }
        return reason;
    }
}
