// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ITeefnRegistry} from "./ITeefnRegistry.sol";
import {QuorumAggregation} from "./QuorumAggregation.sol";

/// @title Request lifecycle events that share their names with `TeefnConsumer` errors.
/// @notice A contract cannot declare an event and an error under one name, so these two are declared here and
/// `TeefnConsumer` emits them qualified; they are part of every consumer's ABI all the same.
interface ITeefnRequestEvents {
    /// @notice `fulfillBatch` found the request past its deadline and recorded it as `Expired` (emitted once).
    event RequestExpired(bytes32 indexed requestId);
    /// @notice The request was cancelled (`cancelRequest` by its requester, or the consumer's own policy).
    event RequestCancelled(bytes32 indexed requestId, address indexed requester);
}

/// @title teefn consumer base: ask for an off-chain function run, accept the signed answer once.
/// @notice Inherit, call `_request(functionId, payload)` and override `_onFulfillment`. A request id commits to
/// the chain, this contract, the nonce, the requester, the function and keccak256(payload), so an answer to any
/// other question (a forged payload, or a request a reorg replaced) can never be accepted for it. Anyone may
/// submit an envelope; it is accepted only when
///   - the request id was issued by this contract and is still pending, and its deadline has not passed,
///   - the envelope names the function that was requested,
///   - its payloadHash, with the stored nonce, requester and function, recomputes the request id,
///   - its codeHash is the one the registry names for that function now,
///   - it carries a valid EIP-712 signature (domain "teefn" / "1" / this chain / this contract)
///     by a worker the registry holds as active (admitted, not expired),
///   - and, when the effective threshold k = max(the function's policy threshold, `minQuorum()`) is above 1, it
///     comes as a quorum (`fulfillQuorum`): k distinct active workers agreeing under the function's aggregation
///     rule; `fulfill` then refuses with `QuorumRequired`. docs/protocol.md specifies the rules.
/// The hook runs with a bounded amount of gas; a failing hook is recorded, and the request still counts as
/// fulfilled, so relayers never retry it. A request nobody answered by its deadline can be cancelled by its
/// requester (`cancelRequest`, then the `_onRequestCancelled` hook).
/// Inheriting is signing up: the constructor registers this contract as a consumer in `registry`
/// (`registerConsumer`), and nodes serve the requests of registered consumers without any other sign-up.
abstract contract TeefnConsumer is EIP712 {
    /// @notice What a worker signed, plus the result bytes and the 65-byte signature.
    /// @param payloadHash keccak256 of the payload the function answered (the `RequestSent` payload)
    struct Envelope {
        bytes32 requestId;
        bytes32 functionId;
        bytes32 payloadHash;
        bytes32 codeHash;
        uint8 status;
        bytes result;
        bytes signature;
    }

    /// @notice One worker's answer in a quorum: what it signed for the quorum's common fields.
    struct Answer {
        uint8 status;
        bytes result;
        bytes signature;
    }

    /// @notice Answers of distinct workers to one request: the common signed fields, then the answers ordered by
    /// strictly increasing signer address.
    struct QuorumEnvelope {
        bytes32 requestId;
        bytes32 functionId;
        bytes32 payloadHash;
        bytes32 codeHash;
        Answer[] answers;
    }

    /// @notice Where a request stands, as stored. Append only. A `Pending` request past its deadline can no
    /// longer be fulfilled (see `isPending`); `Expired` records that `fulfillBatch` saw it late.
    enum RequestState {
        None,
        Pending,
        Fulfilled,
        FulfilledHookFailed,
        Cancelled,
        Expired
    }

    /// @notice Why `fulfillBatch` skipped an envelope (the same rules `fulfill` reverts on). Append only.
    enum RejectReason {
        None,
        UnknownRequest,
        AlreadyFulfilled,
        FunctionMismatch,
        CodeHashMismatch,
        InvalidSignature,
        WorkerNotActive,
        PayloadMismatch,
        RequestExpired,
        RequestCancelled,
        QuorumRequired,
        DuplicateSigner,
        SignersNotAscending,
        QuorumNotReached,
        InvalidAnswerCount
    }

    /// Two slots. nonce < 2^48 and deadline < 2^40 (year 36812) are beyond any chain's reach; checked anyway.
    struct Request {
        bytes32 functionId;
        address requester;
        uint48 nonce;
        uint40 deadline;
        RequestState state;
    }

    /// @notice The EIP-712 type hash of what a worker signs.
    bytes32 public constant FULFILLMENT_TYPEHASH = keccak256(
        "Fulfillment(bytes32 requestId,bytes32 functionId,bytes32 payloadHash,bytes32 codeHash,uint8 status,bytes32 resultHash)"
    );

    /// @notice The most answers one quorum envelope may carry.
    uint256 public constant MAX_QUORUM_ANSWERS = 32;

    /// @notice At most this many bytes of a failing hook's revert data are copied and logged, so a hook cannot
    /// make the fulfilment pay for a huge revert message.
    uint256 public constant MAX_HOOK_REASON_BYTES = 256;

    /// Gas for the work between the check in `_callHook` and the CALL itself (warm CALL, no value, no new memory).
    uint256 private constant GAS_FOR_CALL_CHECK = 5_000;

    /// @notice The registry that names each function's codeHash and the active workers.
    ITeefnRegistry public immutable registry;
    /// @notice Gas the result hook gets; a fulfilment transaction reverts unless the hook can get all of it.
    uint256 public immutable hookGasLimit;
    /// @notice Seconds a request may be fulfilled after it was made: deadline = request time + requestTimeout.
    uint32 public immutable requestTimeout;
    /// @notice Requests issued so far; the next request's nonce.
    uint64 public requestCount;

    mapping(bytes32 requestId => Request) private _requests;

    /// @notice A request was made. `requester` is the account that called into the consumer; after `deadline`
    /// (unix seconds) the request can no longer be fulfilled. requestId = `computeRequestId(nonce, requester,
    /// functionId, keccak256(payload))`.
    event RequestSent(
        bytes32 indexed requestId,
        bytes32 indexed functionId,
        address indexed requester,
        uint64 nonce,
        uint64 deadline,
        bytes payload
    );
    /// @notice An envelope was accepted; `hookSucceeded` is false when the hook reverted (see `HookFailed`).
    event RequestFulfilled(
        bytes32 indexed requestId, address indexed worker, uint8 status, bytes32 resultHash, bool hookSucceeded
    );
    /// @notice The hook reverted or ran out of gas; `reason` is its revert data, cut to MAX_HOOK_REASON_BYTES.
    event HookFailed(bytes32 indexed requestId, bytes reason);
    /// @notice A quorum was accepted: `signers` are the workers whose answers agreed (strictly increasing). The
    /// `RequestFulfilled` that follows names worker address(0).
    event QuorumReached(bytes32 indexed requestId, address[] signers);
    /// @notice Workers of an accepted quorum whose answers were outvoted (in the envelope's order).
    event QuorumDissent(bytes32 indexed requestId, address[] dissenters);
    /// @notice `fulfillBatch` skipped an envelope.
    event FulfillmentRejected(bytes32 indexed requestId, RejectReason reason);
    /// @notice `fulfillBatch` finished: `accepted` of `total` envelopes were accepted.
    event BatchFulfilled(uint256 accepted, uint256 total);

    /// @notice No request with this id was issued here (or it was, on a chain history that no longer exists).
    error UnknownRequest(bytes32 requestId);
    /// @notice The request was fulfilled already (its hook may have failed; either way it is final).
    error AlreadyFulfilled(bytes32 requestId);
    /// @notice The envelope names another function than the request.
    error FunctionMismatch(bytes32 requestId, bytes32 requestedFunctionId, bytes32 envelopeFunctionId);
    /// @notice The envelope's payloadHash is not the hash of the payload this request carried.
    error PayloadMismatch(bytes32 requestId);
    /// @notice The request's deadline has passed (or `fulfillBatch` recorded it as expired).
    error RequestExpired(bytes32 requestId, uint64 deadline);
    /// @notice The request was cancelled.
    error RequestCancelled(bytes32 requestId);
    /// @notice The envelope's codeHash is not the one the registry names for the function now.
    error CodeHashMismatch(bytes32 functionId, bytes32 registeredCodeHash, bytes32 envelopeCodeHash);
    /// @notice The signature is not 65 bytes, or its v or s is out of range.
    error InvalidSignature(bytes32 requestId);
    /// @notice The envelope recovers to `signer`, which the registry does not hold as an active worker.
    error WorkerNotActive(address signer);
    /// @notice The function's effective threshold is `threshold` > 1: submit a quorum (`fulfillQuorum`).
    error QuorumRequired(bytes32 requestId, uint256 threshold);
    /// @notice Two answers of a quorum envelope recover to the same worker.
    error DuplicateSigner(address signer);
    /// @notice A quorum envelope's answers are not ordered by strictly increasing signer address.
    error SignersNotAscending(address signer);
    /// @notice Fewer than `threshold` answers agree (or two groups tie for the most): nothing is delivered.
    error QuorumNotReached(bytes32 requestId, uint256 threshold);
    /// @notice A quorum envelope carries no answer, or more than MAX_QUORUM_ANSWERS.
    error InvalidAnswerCount(bytes32 requestId, uint256 count);
    /// @notice The transaction's gas cannot give the hook its full `hookGasLimit`.
    error InsufficientGasForHook(uint256 hookGasLimit);
    /// @notice The registry does not know `functionId`, so no worker could answer a request for it.
    error FunctionNotRegistered(bytes32 functionId);
    /// @notice Only the request's requester may cancel it.
    error NotRequester(bytes32 requestId, address caller);
    /// @notice A request can be cancelled only after its deadline.
    error RequestNotExpired(bytes32 requestId, uint64 deadline);
    /// @notice The hook entry was called by someone else than this contract.
    error OnlySelf();
    /// @notice The constructor was given the zero address as the registry.
    error ZeroRegistry();
    /// @notice The constructor was given a zero hook gas limit.
    error ZeroHookGasLimit();
    /// @notice The constructor was given a zero request timeout.
    error ZeroRequestTimeout();

    /// @param registry_ the teefn registry (codeHashes and workers)
    /// @param hookGasLimit_ gas the result hook gets (> 0)
    /// @param requestTimeout_ seconds a request may be fulfilled after it was made (> 0)
    constructor(ITeefnRegistry registry_, uint32 hookGasLimit_, uint32 requestTimeout_) EIP712("teefn", "1") {
        if (address(registry_) == address(0)) revert ZeroRegistry();
        if (hookGasLimit_ == 0) revert ZeroHookGasLimit();
        if (requestTimeout_ == 0) revert ZeroRequestTimeout();
        registry = registry_;
        hookGasLimit = hookGasLimit_;
        requestTimeout = requestTimeout_;
        // Signing up: nodes serve the requests of registered consumers only.
        registry_.registerConsumer();
    }

    // ---- for the inheriting contract ----

    /// @notice Issues a request for `functionId` with `payload` (the function's input), answerable until
    /// `block.timestamp + requestTimeout`, and emits `RequestSent`. The requester is `msg.sender`.
    /// @return requestId `computeRequestId(nonce, msg.sender, functionId, keccak256(payload))`
    function _request(bytes32 functionId, bytes memory payload) internal returns (bytes32 requestId) {
        // Fail now rather than leave a request no worker may answer.
        if (registry.codeHashOf(functionId) == bytes32(0)) revert FunctionNotRegistered(functionId);
        uint64 nonce = requestCount++;
        uint64 deadline = uint64(block.timestamp) + requestTimeout;
        requestId = computeRequestId(nonce, msg.sender, functionId, keccak256(payload));
        _requests[requestId] = Request({
            functionId: functionId,
            requester: msg.sender,
            nonce: SafeCast.toUint48(nonce),
            deadline: SafeCast.toUint40(deadline),
            state: RequestState.Pending
        });
        emit RequestSent(requestId, functionId, msg.sender, nonce, deadline, payload);
    }

    /// @notice Takes this consumer off the registry's consumer list: nodes stop serving its requests, pending ones
    /// included (their requesters can cancel them after the deadline). Expose it with your own access control.
    function _deregisterConsumer() internal {
        registry.deregisterConsumer();
    }

    /// @notice Signs this consumer up again after `_deregisterConsumer` (the constructor signed it up first).
    function _registerConsumer() internal {
        registry.registerConsumer();
    }

    /// @notice Receives a verified answer. `status` 0 is OK, anything else an error code from the worker
    /// (see runtime/resultStatus.ts); `result` is the function's output or an error message.
    /// Runs with `hookGasLimit` gas; a revert here is recorded (`HookFailed`) and is not retried.
    function _onFulfillment(bytes32 requestId, uint8 status, bytes calldata result) internal virtual;

    /// @notice Called once a request is cancelled (state already `Cancelled`), e.g. to refund a fee.
    /// Empty by default. Runs with the canceller's gas, unbounded: keep it cheap and non-reverting.
    function _onRequestCancelled(bytes32 requestId) internal virtual {}

    /// @notice Cancels a request that is neither fulfilled nor cancelled, without `cancelRequest`'s requester
    /// and deadline checks: for consumers with their own policy. Emits `RequestCancelled`, then calls
    /// `_onRequestCancelled`.
    function _cancelRequest(bytes32 requestId) internal {
        Request storage r = _requests[requestId];
        _requireOpen(requestId, r.state);
        r.state = RequestState.Cancelled;
        emit ITeefnRequestEvents.RequestCancelled(requestId, r.requester);
        _onRequestCancelled(requestId);
    }

    /// @notice The stored request, for inheriting contracts (e.g. to order answers by nonce).
    function _requestOf(bytes32 requestId) internal view returns (Request storage) {
        return _requests[requestId];
    }

    // ---- requesters ----

    /// @notice Gives up on a request nobody answered in time: only its requester, only after its deadline.
    /// A request `fulfillBatch` recorded as `Expired` can still be cancelled (so a relayer cannot keep the
    /// requester from its `_onRequestCancelled` hook). Emits `RequestCancelled`.
    function cancelRequest(bytes32 requestId) external {
        Request storage r = _requests[requestId];
        RequestState state = r.state;
        if (state == RequestState.None) revert UnknownRequest(requestId);
        if (r.requester != msg.sender) revert NotRequester(requestId, msg.sender);
        _requireOpen(requestId, state);
        uint64 deadline = r.deadline;
        if (block.timestamp <= deadline) revert RequestNotExpired(requestId, deadline);
        _cancelRequest(requestId);
    }

    // ---- fulfilment ----

    /// @notice Accepts one envelope or reverts with the error of the first rule it breaks (a late envelope
    /// reverts with `RequestExpired` and changes nothing; `fulfillBatch` records the expiry).
    function fulfill(Envelope calldata envelope) external {
        (RejectReason reason, address worker, bytes32 resultHash) = _check(envelope);
        if (reason != RejectReason.None) _revertFor(reason, envelope, worker);
        _accept(envelope, worker, resultHash);
    }

    /// @notice Accepts every valid envelope and skips the others with `FulfillmentRejected`; one bad envelope
    /// does not block the rest. A pending request found past its deadline is recorded as `Expired`
    /// (`RequestExpired` event, once). Reverts only when the gas cannot cover a hook (see `hookGasLimit`).
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
                if (reason == RejectReason.RequestExpired) _recordExpired(envelope.requestId);
                emit FulfillmentRejected(envelope.requestId, reason);
                continue;
            }
            _accept(envelope, worker, resultHash);
            ++accepted;
        }
        emit BatchFulfilled(accepted, total);
    }

    /// @notice Accepts the answers of distinct workers to one request when enough of them agree under the function's
    /// result policy, and delivers the agreed result once; reverts with the error of the first rule it breaks.
    /// Answers must be ordered by strictly increasing signer address, each signer an active worker, each signature
    /// over the same `Fulfillment` a single envelope carries. Emits `QuorumReached`, `QuorumDissent` (when some
    /// were outvoted), then `RequestFulfilled` with worker address(0). See docs/protocol.md.
    function fulfillQuorum(QuorumEnvelope calldata envelope) external {
        (RejectReason reason, address culprit, Tally memory tally) = _checkQuorum(envelope);
        if (reason != RejectReason.None) {
            _revertForQuorum(reason, envelope, culprit, tally);
        }
        _acceptQuorum(envelope, tally);
    }

    /// @notice `fulfillQuorum` for many requests: accepts every valid quorum and skips the others with
    /// `FulfillmentRejected`, like `fulfillBatch` (which it mirrors, expiry records included).
    /// @return accepted how many quorum envelopes were accepted
    function fulfillQuorumBatch(QuorumEnvelope[] calldata envelopes) external returns (uint256 accepted) {
        uint256 total = envelopes.length;
        uint256 freeMemory;
        assembly ("memory-safe") {
            freeMemory := mload(0x40)
        }
        for (uint256 i = 0; i < total; ++i) {
            assembly ("memory-safe") {
                mstore(0x40, freeMemory)
            }
            QuorumEnvelope calldata envelope = envelopes[i];
            (RejectReason reason,, Tally memory tally) = _checkQuorum(envelope);
            if (reason != RejectReason.None) {
                if (reason == RejectReason.RequestExpired) _recordExpired(envelope.requestId);
                emit FulfillmentRejected(envelope.requestId, reason);
                continue;
            }
            _acceptQuorum(envelope, tally);
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

    /// @notice The least number of agreeing workers this consumer accepts for any of its requests, whatever the
    /// function's policy says (the effective threshold is the larger of the two). 1 by default; override it (e.g.
    /// return an immutable) to stop a function owner from lowering the quorum your results depend on.
    function minQuorum() public view virtual returns (uint8) {
        return 1;
    }

    /// @notice The threshold an answer to a request for `functionId` must meet now: max(policy, `minQuorum()`).
    function effectiveThreshold(bytes32 functionId) public view returns (uint256) {
        (uint8 policy,) = registry.policyOf(functionId);
        uint256 minimum = minQuorum();
        return policy > minimum ? policy : minimum;
    }

    /// @notice Whether `requestId` can still be fulfilled: pending and not past its deadline (a submitter
    /// re-checks this before resending).
    function isPending(bytes32 requestId) external view returns (bool) {
        Request storage r = _requests[requestId];
        return r.state == RequestState.Pending && block.timestamp <= r.deadline;
    }

    /// @notice A request as stored. `state` is the stored state: a `Pending` request past its deadline is
    /// expired in effect (`isPending` says so) until `fulfillBatch` records it or its requester cancels it.
    /// @return functionId the function requested
    /// @return requester the account that made the request
    /// @return nonce the request's nonce (its position among this consumer's requests)
    /// @return deadline unix seconds after which it can no longer be fulfilled
    /// @return state see `RequestState`; `None` for an unknown id
    function requestInfo(bytes32 requestId)
        external
        view
        returns (bytes32 functionId, address requester, uint64 nonce, uint64 deadline, RequestState state)
    {
        Request storage r = _requests[requestId];
        return (r.functionId, r.requester, r.nonce, r.deadline, r.state);
    }

    /// @notice The id of the request `requester` makes here as nonce `nonce` for `functionId` with a payload
    /// whose keccak256 is `payloadHash`: keccak256(abi.encode(chainid, this, nonce, requester, functionId,
    /// payloadHash)).
    function computeRequestId(uint64 nonce, address requester, bytes32 functionId, bytes32 payloadHash)
        public
        view
        returns (bytes32)
    {
        return keccak256(abi.encode(block.chainid, address(this), nonce, requester, functionId, payloadHash));
    }

    /// @notice The EIP-712 digest a worker signs, to cross-check off-chain signers.
    function hashFulfillment(
        bytes32 requestId,
        bytes32 functionId,
        bytes32 payloadHash,
        bytes32 codeHash,
        uint8 status,
        bytes32 resultHash
    ) public view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(
                abi.encode(FULFILLMENT_TYPEHASH, requestId, functionId, payloadHash, codeHash, status, resultHash)
            )
        );
    }

    /// @notice The EIP-712 domain separator (domain "teefn" / "1" / this chain / this contract).
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    // ---- internals ----

    /// What `_checkQuorum` found: the answer to deliver and who agreed.
    struct Tally {
        uint256 threshold;
        ITeefnRegistry.Aggregation aggregation;
        address[] signers;
        bytes32[] keys;
        bytes32 winner;
        /// Index of the answer whose status and result are delivered.
        uint256 delivered;
        bytes32 resultHash;
    }

    /// The request rules (open, in time, same function, same payload, current code), shared by single and quorum
    /// answers; also returns the effective threshold and the aggregation.
    function _checkRequest(bytes32 requestId, bytes32 functionId, bytes32 payloadHash, bytes32 codeHash)
        private
        view
        returns (RejectReason, uint256 threshold, ITeefnRegistry.Aggregation aggregation)
    {
        Request storage r = _requests[requestId];
        RequestState state = r.state;
        if (state != RequestState.Pending) return (_closedReason(state), 0, aggregation);
        if (block.timestamp > r.deadline) return (RejectReason.RequestExpired, 0, aggregation);
        bytes32 requested = r.functionId;
        if (requested != functionId) return (RejectReason.FunctionMismatch, 0, aggregation);
        // The id commits to the payload: an answer to another question (a forged payload, or a request that a
        // reorg replaced at this nonce) recomputes to another id.
        if (computeRequestId(r.nonce, r.requester, requested, payloadHash) != requestId) {
            return (RejectReason.PayloadMismatch, 0, aggregation);
        }
        (bytes32 registered, uint8 policy, ITeefnRegistry.Aggregation mode) = registry.fulfillmentPolicyOf(requested);
        if (registered == bytes32(0) || codeHash != registered) return (RejectReason.CodeHashMismatch, 0, mode);
        uint256 minimum = minQuorum();
        return (RejectReason.None, policy > minimum ? policy : minimum, mode);
    }

    /// Cheap rules first, so replays and stray envelopes cost little.
    function _check(Envelope calldata envelope)
        private
        view
        returns (RejectReason reason, address worker, bytes32 resultHash)
    {
        bytes32 requestId = envelope.requestId;
        uint256 threshold;
        (reason, threshold,) =
            _checkRequest(requestId, envelope.functionId, envelope.payloadHash, envelope.codeHash);
        if (reason != RejectReason.None) return (reason, address(0), 0);
        if (threshold > 1) return (RejectReason.QuorumRequired, address(0), 0);
        bytes32 functionId = envelope.functionId;
        resultHash = keccak256(envelope.result);
        bytes32 digest = hashFulfillment(
            requestId, functionId, envelope.payloadHash, envelope.codeHash, envelope.status, resultHash
        );
        (address signer, ECDSA.RecoverError error,) = ECDSA.tryRecoverCalldata(digest, envelope.signature);
        if (error != ECDSA.RecoverError.NoError) return (RejectReason.InvalidSignature, address(0), 0);
        if (!registry.isWorkerActive(signer)) return (RejectReason.WorkerNotActive, signer, 0);
        return (RejectReason.None, signer, resultHash);
    }

    /// Why an envelope for a request in `state` (not `Pending`) is refused.
    function _closedReason(RequestState state) private pure returns (RejectReason) {
        if (state == RequestState.None) return RejectReason.UnknownRequest;
        if (state == RequestState.Cancelled) return RejectReason.RequestCancelled;
        if (state == RequestState.Expired) return RejectReason.RequestExpired;
        return RejectReason.AlreadyFulfilled;
    }

    /// Reverts unless a request in `state` can still be cancelled (pending, or recorded as expired).
    function _requireOpen(bytes32 requestId, RequestState state) private pure {
        if (state == RequestState.None) revert UnknownRequest(requestId);
        if (state == RequestState.Cancelled) revert RequestCancelled(requestId);
        if (state == RequestState.Fulfilled || state == RequestState.FulfilledHookFailed) {
            revert AlreadyFulfilled(requestId);
        }
    }

    function _revertFor(RejectReason reason, Envelope calldata envelope, address signer) private view {
        bytes32 requestId = envelope.requestId;
        _revertForRequest(reason, requestId, envelope.functionId, envelope.codeHash);
        if (reason == RejectReason.InvalidSignature) revert InvalidSignature(requestId);
        if (reason == RejectReason.QuorumRequired) {
            revert QuorumRequired(requestId, effectiveThreshold(envelope.functionId));
        }
        revert WorkerNotActive(signer);
    }

    function _revertForQuorum(
        RejectReason reason,
        QuorumEnvelope calldata envelope,
        address signer,
        Tally memory tally
    ) private view {
        bytes32 requestId = envelope.requestId;
        _revertForRequest(reason, requestId, envelope.functionId, envelope.codeHash);
        if (reason == RejectReason.InvalidSignature) revert InvalidSignature(requestId);
        if (reason == RejectReason.InvalidAnswerCount) revert InvalidAnswerCount(requestId, envelope.answers.length);
        if (reason == RejectReason.DuplicateSigner) revert DuplicateSigner(signer);
        if (reason == RejectReason.SignersNotAscending) revert SignersNotAscending(signer);
        if (reason == RejectReason.QuorumNotReached) revert QuorumNotReached(requestId, tally.threshold);
        revert WorkerNotActive(signer);
    }

    /// Reverts with the error of a request rule; returns for the other reasons.
    function _revertForRequest(RejectReason reason, bytes32 requestId, bytes32 functionId, bytes32 codeHash)
        private
        view
    {
        if (reason == RejectReason.UnknownRequest) revert UnknownRequest(requestId);
        if (reason == RejectReason.AlreadyFulfilled) revert AlreadyFulfilled(requestId);
        if (reason == RejectReason.RequestCancelled) revert RequestCancelled(requestId);
        if (reason == RejectReason.RequestExpired) revert RequestExpired(requestId, _requests[requestId].deadline);
        if (reason == RejectReason.FunctionMismatch) {
            revert FunctionMismatch(requestId, _requests[requestId].functionId, functionId);
        }
        if (reason == RejectReason.PayloadMismatch) revert PayloadMismatch(requestId);
        if (reason == RejectReason.CodeHashMismatch) {
            revert CodeHashMismatch(functionId, registry.codeHashOf(functionId), codeHash);
        }
    }

    /// Records a pending request found past its deadline as `Expired`, once.
    function _recordExpired(bytes32 requestId) private {
        Request storage r = _requests[requestId];
        if (r.state != RequestState.Pending) return;
        r.state = RequestState.Expired;
        emit ITeefnRequestEvents.RequestExpired(requestId);
    }

    function _accept(Envelope calldata envelope, address worker, bytes32 resultHash) private {
        _deliver(envelope.requestId, envelope.status, envelope.result, worker, resultHash);
    }

    /// Marks the request fulfilled, runs the hook, records its failure, and emits `RequestFulfilled`.
    function _deliver(bytes32 requestId, uint8 status, bytes calldata result, address worker, bytes32 resultHash)
        private
    {
        // Marked before the hook runs, so a re-entrant fulfilment of the same request is rejected.
        _requests[requestId].state = RequestState.Fulfilled;
        (bool hookSucceeded, bytes memory reason) = _callHook(requestId, status, result);
        if (!hookSucceeded) {
            _requests[requestId].state = RequestState.FulfilledHookFailed;
            emit HookFailed(requestId, reason);
        }
        emit RequestFulfilled(requestId, worker, status, resultHash, hookSucceeded);
    }

    /// Cheap rules first: the request, the answer count, then one signature and one registry read per answer, then
    /// the tally. Returns the signer a refusal is about (`culprit`).
    function _checkQuorum(QuorumEnvelope calldata envelope)
        private
        view
        returns (RejectReason reason, address culprit, Tally memory tally)
    {
        (reason, tally.threshold, tally.aggregation) =
            _checkRequest(envelope.requestId, envelope.functionId, envelope.payloadHash, envelope.codeHash);
        if (reason != RejectReason.None) return (reason, address(0), tally);
        uint256 total = envelope.answers.length;
        if (total == 0 || total > MAX_QUORUM_ANSWERS) return (RejectReason.InvalidAnswerCount, address(0), tally);
        if (total < tally.threshold) return (RejectReason.QuorumNotReached, address(0), tally);
        tally.signers = new address[](total);
        tally.keys = new bytes32[](total);
        uint256[] memory values = new uint256[](total);
        address previous;
        for (uint256 i = 0; i < total; ++i) {
            address signer;
            (reason, signer) = _checkAnswer(envelope, i, previous, tally, values);
            if (reason != RejectReason.None) return (reason, signer, tally);
            previous = signer;
        }
        (bytes32 winner, uint256 agreeing, bool unique) = QuorumAggregation.winner(tally.keys);
        // A tie for the most answers delivers nothing, whatever the threshold.
        if (!unique || agreeing < tally.threshold) return (RejectReason.QuorumNotReached, address(0), tally);
        tally.winner = winner;
        tally.delivered = tally.winner == QuorumAggregation.MEDIAN_GROUP
            ? QuorumAggregation.lowerMedian(
                tally.keys, values, tally.aggregation == ITeefnRegistry.Aggregation.MedianInt256
            )
            : _firstOf(tally.keys, tally.winner);
        tally.resultHash = keccak256(envelope.answers[tally.delivered].result);
        return (RejectReason.None, address(0), tally);
    }

    /// Checks answer `i` (signature, order, activity) and records its signer, group key and median value.
    function _checkAnswer(
        QuorumEnvelope calldata envelope,
        uint256 i,
        address previous,
        Tally memory tally,
        uint256[] memory values
    ) private view returns (RejectReason, address signer) {
        Answer calldata answer = envelope.answers[i];
        bytes32 resultHash = keccak256(answer.result);
        bytes32 digest = hashFulfillment(
            envelope.requestId, envelope.functionId, envelope.payloadHash, envelope.codeHash, answer.status, resultHash
        );
        ECDSA.RecoverError error;
        (signer, error,) = ECDSA.tryRecoverCalldata(digest, answer.signature);
        if (error != ECDSA.RecoverError.NoError) return (RejectReason.InvalidSignature, address(0));
        if (signer == previous) return (RejectReason.DuplicateSigner, signer);
        if (signer < previous) return (RejectReason.SignersNotAscending, signer);
        if (!registry.isWorkerActive(signer)) return (RejectReason.WorkerNotActive, signer);
        tally.signers[i] = signer;
        bytes32 key = QuorumAggregation.groupKey(tally.aggregation, answer.status, answer.result.length, resultHash);
        tally.keys[i] = key;
        if (key == QuorumAggregation.MEDIAN_GROUP) values[i] = uint256(bytes32(answer.result));
        return (RejectReason.None, signer);
    }

    function _firstOf(bytes32[] memory keys, bytes32 key) private pure returns (uint256 i) {
        while (keys[i] != key) ++i;
    }

    function _acceptQuorum(QuorumEnvelope calldata envelope, Tally memory tally) private {
        bytes32 requestId = envelope.requestId;
        (address[] memory agreeing, address[] memory dissenting) =
            QuorumAggregation.split(tally.keys, tally.signers, tally.winner);
        emit QuorumReached(requestId, agreeing);
        if (dissenting.length > 0) emit QuorumDissent(requestId, dissenting);
        Answer calldata chosen = envelope.answers[tally.delivered];
        _deliver(requestId, chosen.status, chosen.result, address(0), tally.resultHash);
    }

    /// Calls the hook with exactly `hookGasLimit` gas. EIP-150 passes on at most 63/64 of the gas left, so a
    /// submitter could otherwise pick a gas limit that starves the hook yet leaves enough to record the failure
    /// and mark the request fulfilled; this reverts the whole transaction instead.
    function _callHook(bytes32 requestId, uint8 status, bytes calldata result)
        private
        returns (bool success, bytes memory reason)
    {
        bytes memory data = abi.encodeCall(this.teefnFulfillmentHook, (requestId, status, result));
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
