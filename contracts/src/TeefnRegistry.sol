// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ITeefnRegistry} from "./ITeefnRegistry.sol";
import {TeefnGovernance} from "./TeefnGovernance.sol";

/// @title teefn registry: which code may answer a function, which workers may sign answers, and which contracts
/// nodes serve.
/// @notice Functions are registered first-come by their owner, who may upgrade the codeHash, set its result
/// policy (quorum threshold and aggregation) or lock both for good. Workers are admitted after their TEE quote was
/// verified off-chain, by the admin (until it renounces) or by a k-of-n gatekeeper quorum naming a pinned
/// measurement (`TeefnGovernance`); the admission records the hash of that attestation and expires. Consumers sign
/// themselves up, without asking anyone: a contract registers itself (`TeefnConsumer` does so in its constructor),
/// and nodes serve the requests of registered consumers only. Every change emits an event.
/// docs/protocol.md specifies the statements and rules.
contract TeefnRegistry is ITeefnRegistry, TeefnGovernance {
    /// Two slots: the policy shares the owner's.
    struct FunctionInfo {
        bytes32 codeHash;
        address owner;
        bool locked;
        uint8 threshold;
        Aggregation aggregation;
    }

    struct WorkerInfo {
        bytes32 attestationHash;
        /// Zero means not admitted.
        uint64 expiresAt;
        /// Statements about this worker must carry it; bumped by every admission and removal (never reset).
        uint64 nonce;
        /// The measurement its quorum admission named; zero for an admission by the admin.
        bytes32 measurement;
    }

    /// @notice What gatekeepers sign to admit `worker` until `expiresAt`: the hash of its quote
    /// (`attestationHash`), its pinned runtime measurement, its current `workerNonce` and a deadline for the
    /// signatures.
    struct Admission {
        address worker;
        bytes32 quoteHash;
        bytes32 measurement;
        uint64 expiresAt;
        uint64 nonce;
        uint64 deadline;
    }

    /// @notice What gatekeepers sign to remove `worker`.
    struct Removal {
        address worker;
        uint64 nonce;
        uint64 deadline;
    }

    bytes32 public constant ADMISSION_TYPEHASH = keccak256(
        "Admission(address worker,bytes32 quoteHash,bytes32 measurement,uint64 expiresAt,uint64 nonce,uint64 deadline)"
    );
    bytes32 public constant REMOVAL_TYPEHASH = keccak256("Removal(address worker,uint64 nonce,uint64 deadline)");
    /// @notice The largest result-policy threshold (and the most answers a consumer takes in one quorum).
    uint8 public constant MAX_THRESHOLD = 32;

    mapping(bytes32 functionId => FunctionInfo) private _functions;
    mapping(address worker => WorkerInfo) private _workers;
    mapping(address consumer => bool) private _consumers;

    event FunctionRegistered(bytes32 indexed functionId, address indexed owner, bytes32 codeHash);
    event FunctionUpgraded(bytes32 indexed functionId, bytes32 previousCodeHash, bytes32 newCodeHash);
    event FunctionLocked(bytes32 indexed functionId, bytes32 codeHash);
    event FunctionOwnershipTransferred(
        bytes32 indexed functionId, address indexed previousOwner, address indexed newOwner
    );
    event WorkerAdmitted(address indexed worker, bytes32 attestationHash, uint64 expiresAt);
    event WorkerRemoved(address indexed worker, bytes32 attestationHash);
    /// @notice `worker` (the sender: its enclave key's address) asks the gatekeepers to admit it on the quote whose
    /// keccak256 is `quoteHash`, served at `quoteUrl` (its node's `/v1/attestation`).
    event AdmissionRequested(address indexed worker, bytes32 quoteHash, string quoteUrl);
    event ConsumerRegistered(address indexed consumer);
    event ConsumerDeregistered(address indexed consumer);
    event ResultPolicyChanged(bytes32 indexed functionId, uint8 threshold, Aggregation aggregation);

    error NotFunctionOwner(bytes32 functionId, address caller);
    error FunctionAlreadyRegistered(bytes32 functionId);
    error FunctionNotRegistered(bytes32 functionId);
    error FunctionIsLocked(bytes32 functionId);
    error ZeroFunctionId();
    error ZeroCodeHash();
    error ZeroAttestationHash();
    error InvalidThreshold(uint8 threshold);
    error MeasurementNotPinned(bytes32 measurement);
    error ExpiryNotInFuture(uint64 expiresAt, uint256 blockTimestamp);
    error WorkerNotAdmitted(address worker);
    error ConsumerAlreadyRegistered(address consumer);
    error ConsumerNotRegistered(address consumer);

    modifier onlyFunctionOwner(bytes32 functionId) {
        address owner = _functions[functionId].owner;
        if (owner == address(0)) revert FunctionNotRegistered(functionId);
        if (msg.sender != owner) revert NotFunctionOwner(functionId, msg.sender);
        _;
    }

    constructor(address initialAdmin) TeefnGovernance(initialAdmin) {}

    // ---- functions ----

    /// @notice Registers `functionId` with the caller as its owner. The first registration wins. Its result
    /// policy starts as one worker, `Identical`.
    function registerFunction(bytes32 functionId, bytes32 codeHash) external {
        if (functionId == bytes32(0)) revert ZeroFunctionId();
        if (codeHash == bytes32(0)) revert ZeroCodeHash();
        if (_functions[functionId].owner != address(0)) revert FunctionAlreadyRegistered(functionId);
        _functions[functionId] = FunctionInfo({
            codeHash: codeHash,
            owner: msg.sender,
            locked: false,
            threshold: 1,
            aggregation: Aggregation.Identical
        });
        emit FunctionRegistered(functionId, msg.sender, codeHash);
    }

    /// @notice Points `functionId` at new code. Pending requests must then be answered by the new code.
    function upgradeFunction(bytes32 functionId, bytes32 newCodeHash) external onlyFunctionOwner(functionId) {
        if (newCodeHash == bytes32(0)) revert ZeroCodeHash();
        FunctionInfo storage info = _functions[functionId];
        if (info.locked) revert FunctionIsLocked(functionId);
        bytes32 previous = info.codeHash;
        info.codeHash = newCodeHash;
        emit FunctionUpgraded(functionId, previous, newCodeHash);
    }

    /// @notice Sets how many distinct active workers must agree on an answer (1..MAX_THRESHOLD) and how their
    /// answers are combined. Applies to every answer checked from now on, pending requests included; a consumer
    /// that must not depend on the owner's choice sets its own minimum (`TeefnConsumer.minQuorum`).
    function setResultPolicy(bytes32 functionId, uint8 threshold, Aggregation aggregation)
        external
        onlyFunctionOwner(functionId)
    {
        if (threshold == 0 || threshold > MAX_THRESHOLD) revert InvalidThreshold(threshold);
        FunctionInfo storage info = _functions[functionId];
        if (info.locked) revert FunctionIsLocked(functionId);
        info.threshold = threshold;
        info.aggregation = aggregation;
        emit ResultPolicyChanged(functionId, threshold, aggregation);
    }

    /// @notice Freezes the codeHash and the result policy of `functionId` for good; there is no unlock.
    function lockFunction(bytes32 functionId) external onlyFunctionOwner(functionId) {
        FunctionInfo storage info = _functions[functionId];
        if (info.locked) revert FunctionIsLocked(functionId);
        info.locked = true;
        emit FunctionLocked(functionId, info.codeHash);
    }

    /// @notice Hands `functionId` to `newOwner` (one step; also allowed after lock, where it changes no code).
    function transferFunctionOwnership(bytes32 functionId, address newOwner) external onlyFunctionOwner(functionId) {
        if (newOwner == address(0)) revert ZeroAddress();
        _functions[functionId].owner = newOwner;
        emit FunctionOwnershipTransferred(functionId, msg.sender, newOwner);
    }

    function codeHashOf(bytes32 functionId) external view returns (bytes32) {
        return _functions[functionId].codeHash;
    }

    function policyOf(bytes32 functionId) external view returns (uint8 threshold, Aggregation aggregation) {
        FunctionInfo storage info = _functions[functionId];
        return (info.threshold, info.aggregation);
    }

    function fulfillmentPolicyOf(bytes32 functionId)
        external
        view
        returns (bytes32 codeHash, uint8 threshold, Aggregation aggregation)
    {
        FunctionInfo storage info = _functions[functionId];
        return (info.codeHash, info.threshold, info.aggregation);
    }

    function functionInfo(bytes32 functionId) external view returns (bytes32 codeHash, address owner, bool locked) {
        FunctionInfo storage info = _functions[functionId];
        return (info.codeHash, info.owner, info.locked);
    }

    // ---- workers ----

    /// @notice Admits `worker` (or refreshes its admission) until `expiresAt` (unix seconds, exclusive); admin path.
    function admitWorker(address worker, bytes32 attestationHash, uint64 expiresAt) external onlyAdmin {
        _admit(worker, attestationHash, bytes32(0), expiresAt);
    }

    /// @notice Removes `worker` at once; envelopes it signed are rejected from now on. Admin path.
    function removeWorker(address worker) external onlyAdmin {
        _remove(worker);
    }

    /// @notice A candidate worker asks to be admitted: gatekeepers watch `AdmissionRequested`, fetch the quote from
    /// `quoteUrl`, check its hash, verify it and sign an `Admission`. Permissionless and stateless: it only
    /// emits; the caller is the worker key, so no one can ask on another key's behalf.
    function requestAdmission(bytes32 quoteHash, string calldata quoteUrl) external {
        if (quoteHash == bytes32(0)) revert ZeroAttestationHash();
        emit AdmissionRequested(msg.sender, quoteHash, quoteUrl);
    }

    /// @notice Admits `admission.worker` on `gatekeeperThreshold` gatekeeper signatures of the `Admission`
    /// statement (strictly increasing signers). Its measurement must be pinned, its nonce the worker's
    /// `workerNonce`, its deadline not passed.
    function admitWorkerByQuorum(Admission calldata admission, bytes[] calldata signatures) external {
        _useWorkerNonce(admission.worker, admission.nonce, admission.deadline);
        if (!isMeasurementPinned(admission.measurement)) revert MeasurementNotPinned(admission.measurement);
        _requireGatekeeperQuorum(hashAdmission(admission), signatures);
        _admit(admission.worker, admission.quoteHash, admission.measurement, admission.expiresAt);
    }

    /// @notice Removes `removal.worker` on `gatekeeperThreshold` gatekeeper signatures of the `Removal` statement.
    function removeWorkerByQuorum(Removal calldata removal, bytes[] calldata signatures) external {
        _useWorkerNonce(removal.worker, removal.nonce, removal.deadline);
        _requireGatekeeperQuorum(hashRemoval(removal), signatures);
        _remove(removal.worker);
    }

    /// @notice The EIP-712 digest gatekeepers sign for `admission`.
    function hashAdmission(Admission calldata admission) public view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(
                abi.encode(
                    ADMISSION_TYPEHASH,
                    admission.worker,
                    admission.quoteHash,
                    admission.measurement,
                    admission.expiresAt,
                    admission.nonce,
                    admission.deadline
                )
            )
        );
    }

    /// @notice The EIP-712 digest gatekeepers sign for `removal`.
    function hashRemoval(Removal calldata removal) public view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(abi.encode(REMOVAL_TYPEHASH, removal.worker, removal.nonce, removal.deadline))
        );
    }

    /// @return The nonce the next `Admission` or `Removal` statement about `worker` must carry.
    function workerNonce(address worker) external view returns (uint64) {
        return _workers[worker].nonce;
    }

    /// @return The measurement `worker`'s admission named; zero when admitted by the admin or not admitted.
    function workerMeasurement(address worker) external view returns (bytes32) {
        return _workers[worker].measurement;
    }

    function isWorkerActive(address worker) external view returns (bool) {
        return _workers[worker].expiresAt > block.timestamp;
    }

    /// @return attestationHash zero when not admitted
    /// @return expiresAt zero when not admitted
    function workerInfo(address worker) external view returns (bytes32 attestationHash, uint64 expiresAt) {
        WorkerInfo storage info = _workers[worker];
        return (info.attestationHash, info.expiresAt);
    }

    // ---- consumers ----

    /// @notice Signs the caller up as a consumer: nodes turn its `RequestSent` events into requests from now on.
    /// Permissionless; the caller is the consumer contract itself, so no one can sign up a contract but that
    /// contract (an account without code may register too, and gains nothing: it emits no events).
    function registerConsumer() external {
        if (_consumers[msg.sender]) revert ConsumerAlreadyRegistered(msg.sender);
        _consumers[msg.sender] = true;
        emit ConsumerRegistered(msg.sender);
    }

    /// @notice Takes the caller off the consumer list: nodes ignore its requests from now on, pending ones included
    /// (they can still be cancelled after their deadline). It may register again.
    function deregisterConsumer() external {
        if (!_consumers[msg.sender]) revert ConsumerNotRegistered(msg.sender);
        delete _consumers[msg.sender];
        emit ConsumerDeregistered(msg.sender);
    }

    function isConsumer(address consumer) external view returns (bool) {
        return _consumers[consumer];
    }

    // ---- internals ----

    function _useWorkerNonce(address worker, uint64 nonce, uint64 deadline) private view {
        _requireLive(deadline);
        uint64 expected = _workers[worker].nonce;
        if (nonce != expected) revert StaleNonce(expected, nonce);
    }

    /// Every admission bumps the worker's nonce, so no statement signed before it can be used afterwards.
    function _admit(address worker, bytes32 attestationHash, bytes32 measurement, uint64 expiresAt) private {
        if (worker == address(0)) revert ZeroAddress();
        if (attestationHash == bytes32(0)) revert ZeroAttestationHash();
        if (expiresAt <= block.timestamp) revert ExpiryNotInFuture(expiresAt, block.timestamp);
        WorkerInfo storage info = _workers[worker];
        info.attestationHash = attestationHash;
        info.expiresAt = expiresAt;
        info.measurement = measurement;
        ++info.nonce;
        emit WorkerAdmitted(worker, attestationHash, expiresAt);
    }

    /// Clears the admission but keeps (and bumps) the nonce: a statement signed before cannot re-admit it.
    function _remove(address worker) private {
        WorkerInfo storage info = _workers[worker];
        if (info.expiresAt == 0) revert WorkerNotAdmitted(worker);
        bytes32 attestationHash = info.attestationHash;
        info.attestationHash = bytes32(0);
        info.expiresAt = 0;
        info.measurement = bytes32(0);
        ++info.nonce;
        emit WorkerRemoved(worker, attestationHash);
    }
}
