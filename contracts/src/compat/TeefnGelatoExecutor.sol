// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {ITeefnRegistry} from "../ITeefnRegistry.sol";
import {TeefnConsumer} from "../TeefnConsumer.sol";
import {GelatoResultParser} from "./GelatoResultParser.sol";

/// @title Runs Gelato Web3 Function tasks on teefn and performs their `callData` once the envelope is verified.
/// @notice Gelato executed a Web3 Function's returned calls from a dedicated msg.sender; this contract is that
/// sender. Its owner creates tasks (a function, its `userArgs`, a minimum interval). Anyone may `checkTask`: it
/// asks teefn to run the function, at most once per interval and never while a run of the task is still
/// answerable, with the request payload (UTF-8 JSON, the request `--compat gelato` reads; see `payloadOf`)
///     {"userArgs":<the task's userArgs as stored>,"gelatoArgs":{"chainId":<chain id>,"taskId":"<task id>"}}
/// (decimal numbers). A task is pinned to the codeHash its function had when the task was created
/// (as a Gelato task is to its CID): once the function owner upgrades the code, the task is neither checked nor
/// executed any more (create a new task to follow the upgrade). The answer reaches `_onFulfillment` only after
/// `TeefnConsumer` verified the envelope (active worker, the function's current codeHash, the request it
/// answers). Its result must be the canonical JSON text `GelatoResultParser` reads; then:
///   - `{"canExec":true,"callData":[...]}`: the calls run in order, from this contract, all or none: when one
///     reverts, every call of the run is undone and `TaskCallFailed` names it (`TaskExecuted` otherwise);
///   - `{"canExec":false,"message":...}`: nothing runs; `TaskSkipped` records the message;
///   - a function error (status != 0): nothing runs; `TaskRunFailed` records it;
///   - anything else, a call to this contract or to the registry, or code other than the pinned one: nothing
///     runs; `ResultRejected`.
/// Whatever the outcome, the request is fulfilled and final (TeefnConsumer), so no relayer can replay a result.
/// Every task of an executor calls as the same msg.sender: a target that trusts it trusts all of its owner's
/// tasks (Gelato's dedicated msg.sender is per user too). Deploy one executor per trust domain.
contract TeefnGelatoExecutor is TeefnConsumer, Ownable {
    /// @notice A task. `nextCheckAt`: the earliest time of the next `checkTask`; `pendingRequestId`: its latest run.
    struct Task {
        bytes32 functionId;
        bytes32 codeHash;
        uint32 interval;
        uint64 nextCheckAt;
        bool active;
        bytes32 pendingRequestId;
        bytes userArgs;
    }

    /// @notice Why a verified result was not executed.
    enum Rejection {
        /// The result is not canonical; `position` is the byte offset where it breaks the format.
        Malformed,
        /// Call `position` targets this executor or the registry, whose access checks trust msg.sender.
        ForbiddenTarget,
        /// The function's code is no longer the task's pinned codeHash (`position` 0).
        CodeChanged
    }

    /// @notice At most this many bytes of a failing call's revert data are kept.
    uint256 public constant MAX_REASON_BYTES = 256;

    /// @notice Tasks created so far; task ids are 1..taskCount.
    uint256 public taskCount;

    mapping(uint256 taskId => Task) private _tasks;
    mapping(bytes32 requestId => uint256 taskId) private _taskOfRequest;

    event TaskCreated(
        uint256 indexed taskId, bytes32 indexed functionId, bytes32 codeHash, uint32 interval, bytes userArgs
    );
    event TaskCancelled(uint256 indexed taskId);
    /// @notice `checkTask` asked for a run of the task.
    event TaskChecked(uint256 indexed taskId, bytes32 indexed requestId);
    /// @notice The run returned canExec true and its `calls` calls all succeeded.
    event TaskExecuted(uint256 indexed taskId, bytes32 indexed requestId, uint256 calls);
    /// @notice The run returned canExec false with `message`.
    event TaskSkipped(uint256 indexed taskId, bytes32 indexed requestId, bytes message);
    /// @notice Call `index` of the run reverted with `reason` (cut to MAX_REASON_BYTES); every call was undone.
    event TaskCallFailed(uint256 indexed taskId, bytes32 indexed requestId, uint256 index, bytes reason);
    /// @notice The function failed (`status` != 0, see runtime/resultStatus.ts); `message` is its first 256 bytes.
    event TaskRunFailed(uint256 indexed taskId, bytes32 indexed requestId, uint8 status, bytes message);
    /// @notice The verified result was refused as a whole; nothing was executed.
    event ResultRejected(uint256 indexed taskId, bytes32 indexed requestId, Rejection reason, uint256 position);

    /// @notice No task with this id, or it was cancelled.
    error TaskNotActive(uint256 taskId);
    /// @notice The task's interval has not passed since its last check.
    error TaskNotDue(uint256 taskId, uint64 nextCheckAt);
    /// @notice The task's previous run can still be answered.
    error TaskRunPending(uint256 taskId, bytes32 requestId);
    /// @notice The function's code was upgraded since the task was created.
    error TaskCodeChanged(uint256 taskId, bytes32 pinnedCodeHash, bytes32 currentCodeHash);
    /// @notice Call `index` reverted (internal: caught by the fulfilment hook).
    error CallFailed(uint256 index, bytes reason);

    /// @param hookGasLimit_ gas a fulfilment gets: parsing and all of a run's calls must fit in it
    /// @param requestTimeout_ seconds a run may be answered (> 0); after that the task can be checked again
    constructor(ITeefnRegistry registry_, uint32 hookGasLimit_, uint32 requestTimeout_, address owner_)
        TeefnConsumer(registry_, hookGasLimit_, requestTimeout_)
        Ownable(owner_)
    {}

    // ---- tasks ----

    /// @notice Creates a task running `functionId` with `userArgs` (a JSON object's text, the function's
    /// `context.userArgs`; empty stands for `{}`; not validated here: invalid JSON fails each run)
    /// at most once every `interval` seconds, pinned to the function's current codeHash. The first check may
    /// come at once.
    function createTask(bytes32 functionId, bytes calldata userArgs, uint32 interval)
        external
        onlyOwner
        returns (uint256 taskId)
    {
        bytes32 codeHash = registry.codeHashOf(functionId);
        if (codeHash == bytes32(0)) revert FunctionNotRegistered(functionId);
        taskId = ++taskCount;
        Task storage task = _tasks[taskId];
        task.functionId = functionId;
        task.codeHash = codeHash;
        task.interval = interval;
        task.active = true;
        task.userArgs = userArgs;
        emit TaskCreated(taskId, functionId, codeHash, interval, userArgs);
    }

    /// @notice Cancels a task and its run if one is still answerable (its envelope will be refused).
    function cancelTask(uint256 taskId) external onlyOwner {
        Task storage task = _activeTask(taskId);
        task.active = false;
        bytes32 pending = task.pendingRequestId;
        if (_isAnswerable(pending)) _cancelRequest(pending);
        emit TaskCancelled(taskId);
    }

    /// @notice Asks teefn to run the task now: anyone, once its interval has passed since the last check and
    /// no run of it is still answerable. The caller is the request's requester.
    function checkTask(uint256 taskId) external returns (bytes32 requestId) {
        Task storage task = _activeTask(taskId);
        uint64 nextCheckAt = task.nextCheckAt;
        if (block.timestamp < nextCheckAt) revert TaskNotDue(taskId, nextCheckAt);
        bytes32 pending = task.pendingRequestId;
        if (_isAnswerable(pending)) revert TaskRunPending(taskId, pending);
        bytes32 functionId = task.functionId;
        bytes32 current = registry.codeHashOf(functionId);
        if (current != task.codeHash) revert TaskCodeChanged(taskId, task.codeHash, current);
        requestId = _request(functionId, payloadOf(taskId));
        task.nextCheckAt = uint64(block.timestamp) + task.interval;
        task.pendingRequestId = requestId;
        _taskOfRequest[requestId] = taskId;
        emit TaskChecked(taskId, requestId);
    }

    /// @notice The payload a run of `taskId` sends: `{"userArgs":...,"gelatoArgs":{"chainId":...,"taskId":"..."}}`.
    function payloadOf(uint256 taskId) public view returns (bytes memory) {
        bytes memory userArgs = _tasks[taskId].userArgs;
        return abi.encodePacked(
            '{"userArgs":',
            userArgs.length == 0 ? bytes("{}") : userArgs,
            ',"gelatoArgs":{"chainId":',
            Strings.toString(block.chainid),
            ',"taskId":"',
            Strings.toString(taskId),
            '"}}'
        );
    }

    /// @notice A task as stored.
    function taskOf(uint256 taskId) external view returns (Task memory) {
        return _tasks[taskId];
    }

    /// @notice The task a request ran (0 for none).
    function taskOfRequest(bytes32 requestId) external view returns (uint256) {
        return _taskOfRequest[requestId];
    }

    // ---- execution ----

    /// @notice Makes `calls` in order, reverting `CallFailed` at the first that reverts. Only this contract
    /// calls it, from the fulfilment hook, so that a failure undoes every call of the run.
    function executeCalls(GelatoResultParser.Call[] calldata calls) external {
        if (msg.sender != address(this)) revert OnlySelf();
        for (uint256 i = 0; i < calls.length; ++i) {
            (bool success, bytes memory reason) = _call(calls[i].to, calls[i].data);
            if (!success) revert CallFailed(i, reason);
        }
    }

    function _onFulfillment(bytes32 requestId, uint8 status, bytes calldata result) internal override {
        uint256 taskId = _taskOfRequest[requestId];
        Task storage task = _tasks[taskId];
        // This run is the task's latest: no other run starts while it can be answered.
        task.pendingRequestId = bytes32(0);
        if (status != 0) {
            emit TaskRunFailed(taskId, requestId, status, result.length > 256 ? result[:256] : result);
            return;
        }
        // The envelope carries the registry's codeHash of this moment (TeefnConsumer checked it).
        if (registry.codeHashOf(task.functionId) != task.codeHash) {
            emit ResultRejected(taskId, requestId, Rejection.CodeChanged, 0);
            return;
        }
        (bool ok, uint256 errorAt, GelatoResultParser.Result memory parsed) = GelatoResultParser.parse(result);
        if (!ok) {
            emit ResultRejected(taskId, requestId, Rejection.Malformed, errorAt);
            return;
        }
        if (!parsed.canExec) {
            emit TaskSkipped(taskId, requestId, parsed.message);
            return;
        }
        GelatoResultParser.Call[] memory calls = parsed.calls;
        address registryAddress = address(registry);
        for (uint256 i = 0; i < calls.length; ++i) {
            address to = calls[i].to;
            if (to == address(this) || to == registryAddress) {
                emit ResultRejected(taskId, requestId, Rejection.ForbiddenTarget, i);
                return;
            }
        }
        try this.executeCalls(calls) {
            emit TaskExecuted(taskId, requestId, calls.length);
        } catch (bytes memory revertData) {
            (uint256 index, bytes memory reason) = _decodeCallFailed(revertData);
            emit TaskCallFailed(taskId, requestId, index, reason);
        }
    }

    /// A run cancelled by its requester (after its deadline) or by `cancelTask` no longer holds the task.
    function _onRequestCancelled(bytes32 requestId) internal override {
        uint256 taskId = _taskOfRequest[requestId];
        if (_tasks[taskId].pendingRequestId == requestId) _tasks[taskId].pendingRequestId = bytes32(0);
    }

    // ---- internals ----

    function _activeTask(uint256 taskId) private view returns (Task storage task) {
        task = _tasks[taskId];
        if (!task.active) revert TaskNotActive(taskId);
    }

    /// Whether `requestId` can still be fulfilled. A run whose hook reverted (e.g. out of gas) is final too, so
    /// a task is never stuck on a marker the reverted hook could not clear.
    function _isAnswerable(bytes32 requestId) private view returns (bool) {
        if (requestId == bytes32(0)) return false;
        Request storage r = _requestOf(requestId);
        return r.state == RequestState.Pending && block.timestamp <= r.deadline;
    }

    /// Calls `to` with `data` and no value; copies at most MAX_REASON_BYTES of revert data, none on success.
    function _call(address to, bytes calldata data) private returns (bool success, bytes memory reason) {
        bytes memory payload = data;
        assembly ("memory-safe") {
            success := call(gas(), to, 0, add(payload, 0x20), mload(payload), 0, 0)
        }
        if (success) return (true, reason);
        assembly ("memory-safe") {
            let size := returndatasize()
            if gt(size, MAX_REASON_BYTES) { size := MAX_REASON_BYTES }
            reason := mload(0x40)
            mstore(reason, size)
            returndatacopy(add(reason, 0x20), 0, size)
            mstore(0x40, add(add(reason, 0x20), and(add(size, 31), not(31))))
        }
    }

    /// The index and reason of a `CallFailed` revert; anything else (the batch itself ran out of gas) is
    /// reported as index type(uint256).max with its raw data.
    function _decodeCallFailed(bytes memory revertData) private pure returns (uint256 index, bytes memory reason) {
        if (revertData.length < 4 || bytes4(revertData) != CallFailed.selector) {
            return (type(uint256).max, revertData);
        }
        bytes memory args;
        assembly ("memory-safe") {
            args := add(revertData, 4)
            mstore(args, sub(mload(revertData), 4))
        }
        return abi.decode(args, (uint256, bytes));
    }
}
