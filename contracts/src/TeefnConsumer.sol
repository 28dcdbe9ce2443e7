// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ITeefnRegistry} from "./ITeefnRegistry.sol";

/// @title teefn consumer base: ask for an off-chain function run, accept the signed answer once.
/// @notice Inherit, call `_request(functionId, payload)` and override `_onFulfillment`. Anyone may submit an
/// envelope; it is accepted only when
///   - the request id was issued by this contract and is still pending (once per request),
///   - the envelope names the function that was requested,
///   - its codeHash is the one the registry names for that function now,
///   - it carries a valid EIP-712 signature (domain "teefn" / "1" / this chain / this contract)
///     by a worker the registry holds as active (admitted, not expired).
/// The hook runs with a bounded amount of gas; a failing hook is recorded, and the request still counts as
/// fulfilled, so relayers never retry it.
abstract contract TeefnConsumer is EIP712 {
    /// @notice What a worker signed, plus the result bytes and the 65-byte signature.
    struct Envelope {
        bytes32 requestId;
        bytes32 functionId;
        bytes32 codeHash;
        uint8 status;
        bytes result;
        bytes signature;
    }

    enum RequestState {
        None,
        Pending,
        Fulfilled,
        FulfilledHookFailed
    }

    /// @notice Why `fulfillBatch` skipped an envelope (the same rules `fulfill` reverts on). Append only.
    enum RejectReason {
        None,
        UnknownRequest,
        AlreadyFulfilled,
        FunctionMismatch,
        CodeHashMismatch,
        InvalidSignature,
        WorkerNotActive
    }

    struct Request {
        bytes32 functionId;
        uint64 nonce;
        RequestState state;
    }

    bytes32 public constant FULFILLMENT_TYPEHASH = keccak256(
        "Fulfillment(bytes32 requestId,bytes32 functionId,bytes32 codeHash,uint8 status,bytes32 resultHash)"
    );

    /// @notice At most this many bytes of a failing hook's revert data are copied and logged, so a hook cannot
    /// make the fulfilment pay for a huge revert message.
    uint256 public constant MAX_HOOK_REASON_BYTES = 256;

    /// Gas for the work between the check in `_callHook` and the CALL itself (warm CALL, no value, no new memory).
    uint256 private constant GAS_FOR_CALL_CHECK = 5_000;

    ITeefnRegistry public immutable registry;
    /// @notice Gas the result hook gets; a fulfilment transaction reverts unless the hook can get all of it.
    uint256 public immutable hookGasLimit;
    /// @notice Requests issued so far; the next request's nonce.
    uint64 public requestCount;

    mapping(bytes32 requestId => Request) private _requests;

    event RequestSent(bytes32 indexed requestId, bytes32 indexed functionId, address requester, bytes payload);
    event RequestFulfilled(
        bytes32 indexed requestId, address indexed worker, uint8 status, bytes32 resultHash, bool hookSucceeded
    );
    /// @notice The hook reverted or ran out of gas; `reason` is its revert data, cut to MAX_HOOK_REASON_BYTES.
    event HookFailed(bytes32 indexed requestId, bytes reason);
    /// @notice `fulfillBatch` skipped an envelope.
    event FulfillmentRejected(bytes32 indexed requestId, RejectReason reason);
    event BatchFulfilled(uint256 accepted, uint256 total);

    error UnknownRequest(bytes32 requestId);
    error AlreadyFulfilled(bytes32 requestId);
    error FunctionMismatch(bytes32 requestId, bytes32 requestedFunctionId, bytes32 envelopeFunctionId);
    error CodeHashMismatch(bytes32 functionId, bytes32 registeredCodeHash, bytes32 envelopeCodeHash);
    error InvalidSignature(bytes32 requestId);
    error WorkerNotActive(address signer);
    error InsufficientGasForHook(uint256 hookGasLimit);
    error FunctionNotRegistered(bytes32 functionId);
    error OnlySelf();
    error ZeroRegistry();
    error ZeroHookGasLimit();

    constructor(ITeefnRegistry registry_, uint32 hookGasLimit_) EIP712("teefn", "1") {
        if (address(registry_) == address(0)) revert ZeroRegistry();
        if (hookGasLimit_ == 0) revert ZeroHookGasLimit();
        registry = registry_;
        hookGasLimit = hookGasLimit_;
    }

    // ---- for the inheriting contract ----

    /// @notice Issues a request for `functionId` with `payload` (the function's input) and emits `RequestSent`.
    /// @return requestId keccak256(abi.encode(block.chainid, address(this), nonce))
    function _request(bytes32 functionId, bytes memory payload) internal returns (bytes32 requestId) {
        // Fail now rather than leave a request no worker may answer.
        if (registry.codeHashOf(functionId) == bytes32(0)) revert FunctionNotRegistered(functionId);
        uint64 nonce = requestCount++;
        requestId = keccak256(abi.encode(block.chainid, address(this), nonce));
        _requests[requestId] = Request({functionId: functionId, nonce: nonce, state: RequestState.Pending});
        emit RequestSent(requestId, functionId, msg.sender, payload);
    }

    /// @notice Receives a verified answer. `status` 0 is OK, anything else an error code from the worker
    /// (see runtime/resultStatus.ts); `result` is the function's output or an error message.
    /// Runs with `hookGasLimit` gas; a revert here is recorded (`HookFailed`) and is not retried.
    function _onFulfillment(bytes32 requestId, uint8 status, bytes calldata result) internal virtual;

    function _requestOf(bytes32 requestId) internal view returns (Request storage) {
        return _requests[requestId];
    }

    // ---- fulfilment ----

    /// @notice Accepts one envelope or reverts with the error of the first rule it breaks.
    function fulfill(Envelope calldata envelope) external {
        (RejectReason reason, address worker, bytes32 resultHash) = _check(envelope);
        if (reason != RejectReason.None) _revertFor(reason, envelope, worker);
        _accept(envelope, worker, resultHash);
    }

    /// @notice Accepts every valid envelope and skips the others with `FulfillmentRejected`; one bad envelope
    /// does not block the rest. Reverts only when the gas cannot cover a hook (see `hookGasLimit`).
    /// @return accepted how many envelopes were accepted
    function fulfillBatch(Envelope[] calldata envelopes) external returns (uint256 accepted) {
        uint256 total = envelopes.length;
        uint256 freeMemory;
        assembly ("memory-safe") {
            freeMemory := mload(0x40)
        }
        for (uint256 i = 0; i < total; ++i) {
            // Nothing an iteration allocates is used after it: reuse the memory, or its cost grows
            // quadratically with the batch (each hook call copies the result into memory).
            assembly ("memory-safe") {
                mstore(0x40, freeMemory)
            }
            Envelope calldata envelope = envelopes[i];
            (RejectReason reason, address worker, bytes32 resultHash) = _check(envelope);
            if (reason != RejectReason.None) {
                emit FulfillmentRejected(envelope.requestId, reason);
                continue;
            }
            _accept(envelope, worker, resultHash);
            ++accepted;
        }
        emit BatchFulfilled(accepted, total);
    }

    /// @notice The entry the hook is called through, so its gas can be bounded and its revert caught.
    function teefnFulfillmentHook(bytes32 requestId, uint8 status, bytes calldata result) external {
        if (msg.sender != address(this)) revert OnlySelf();
        _onFulfillment(requestId, status, result);
    }

    // ---- views ----

    /// @notice Whether `requestId` still waits for an answer (a submitter re-checks this before resending).
    function isPending(bytes32 requestId) external view returns (bool) {
        return _requests[requestId].state == RequestState.Pending;
    }

    function requestInfo(bytes32 requestId)
        external
        view
        returns (bytes32 functionId, uint64 nonce, RequestState state)
    {
        Request storage r = _requests[requestId];
        return (r.functionId, r.nonce, r.state);
    }

    /// @notice The EIP-712 digest a worker signs, to cross-check off-chain signers.
    function hashFulfillment(bytes32 requestId, bytes32 functionId, bytes32 codeHash, uint8 status, bytes32 resultHash)
        public
        view
        returns (bytes32)
    {
        return _hashTypedDataV4(
            keccak256(abi.encode(FULFILLMENT_TYPEHASH, requestId, functionId, codeHash, status, resultHash))
        );
    }

    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    // ---- internals ----

    /// Cheap rules first, so replays and stray envelopes cost little.
    function _check(Envelope calldata envelope)
        private
        view
        returns (RejectReason reason, address worker, bytes32 resultHash)
    {
        Request storage r = _requests[envelope.requestId];
        RequestState state = r.state;
        if (state == RequestState.None) return (RejectReason.UnknownRequest, address(0), 0);
        if (state != RequestState.Pending) return (RejectReason.AlreadyFulfilled, address(0), 0);
        if (r.functionId != envelope.functionId) return (RejectReason.FunctionMismatch, address(0), 0);
        bytes32 registered = registry.codeHashOf(envelope.functionId);
        if (registered == bytes32(0) || envelope.codeHash != registered) {
            return (RejectReason.CodeHashMismatch, address(0), 0);
        }
        resultHash = keccak256(envelope.result);
        bytes32 digest =
            hashFulfillment(envelope.requestId, envelope.functionId, envelope.codeHash, envelope.status, resultHash);
        (address signer, ECDSA.RecoverError error,) = ECDSA.tryRecoverCalldata(digest, envelope.signature);
        if (error != ECDSA.RecoverError.NoError) return (RejectReason.InvalidSignature, address(0), 0);
        if (!registry.isWorkerActive(signer)) return (RejectReason.WorkerNotActive, signer, 0);
        return (RejectReason.None, signer, resultHash);
    }

    function _revertFor(RejectReason reason, Envelope calldata envelope, address signer) private view {
        bytes32 requestId = envelope.requestId;
        if (reason == RejectReason.UnknownRequest) revert UnknownRequest(requestId);
        if (reason == RejectReason.AlreadyFulfilled) revert AlreadyFulfilled(requestId);
        if (reason == RejectReason.FunctionMismatch) {
            revert FunctionMismatch(requestId, _requests[requestId].functionId, envelope.functionId);
        }
        if (reason == RejectReason.CodeHashMismatch) {
            revert CodeHashMismatch(envelope.functionId, registry.codeHashOf(envelope.functionId), envelope.codeHash);
        }
        if (reason == RejectReason.InvalidSignature) revert InvalidSignature(requestId);
        revert WorkerNotActive(signer);
    }

    function _accept(Envelope calldata envelope, address worker, bytes32 resultHash) private {
        bytes32 requestId = envelope.requestId;
        // Marked before the hook runs, so a re-entrant fulfilment of the same request is rejected.
        _requests[requestId].state = RequestState.Fulfilled;
        (bool hookSucceeded, bytes memory reason) = _callHook(envelope);
        if (!hookSucceeded) {
            _requests[requestId].state = RequestState.FulfilledHookFailed;
            emit HookFailed(requestId, reason);
        }
        emit RequestFulfilled(requestId, worker, envelope.status, resultHash, hookSucceeded);
    }

    /// Calls the hook with exactly `hookGasLimit` gas. EIP-150 passes on at most 63/64 of the gas left, so a
    /// submitter could otherwise pick a gas limit that starves the hook yet leaves enough to record the failure
    /// and mark the request fulfilled; this reverts the whole transaction instead.
    function _callHook(Envelope calldata envelope) private returns (bool success, bytes memory reason) {
        bytes memory data =
            abi.encodeCall(this.teefnFulfillmentHook, (envelope.requestId, envelope.status, envelope.result));
        uint256 gasLimit = hookGasLimit;
        uint256 available = gasleft();
        if (available < GAS_FOR_CALL_CHECK) revert InsufficientGasForHook(gasLimit);
        available -= GAS_FOR_CALL_CHECK;
        if (available - available / 64 <= gasLimit) revert InsufficientGasForHook(gasLimit);
        assembly ("memory-safe") {
            success := call(gasLimit, address(), 0, add(data, 0x20), mload(data), 0, 0)
        }
        if (success) return (true, reason);
        // Copy at most MAX_HOOK_REASON_BYTES of the revert data (no unbounded memory expansion).
        assembly ("memory-safe") {
            let size := returndatasize()
            if gt(size, MAX_HOOK_REASON_BYTES) { size := MAX_HOOK_REASON_BYTES }
            reason := mload(0x40)
            mstore(reason, size)
            returndatacopy(add(reason, 0x20), 0, size)
            mstore(0x40, add(add(reason, 0x20), and(add(size, 31), not(31))))
        }
    }
}
