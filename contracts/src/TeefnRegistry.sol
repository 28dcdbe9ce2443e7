// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ITeefnRegistry} from "./ITeefnRegistry.sol";

/// @title teefn registry: which code may answer a function, which workers may sign answers, and which contracts
/// nodes serve.
/// @notice Functions are registered first-come by their owner, who may upgrade the codeHash or lock it for good.
/// Workers are admitted by the admin after their TEE quote was verified off-chain; the admission records the hash
/// of that attestation and expires. Consumers sign themselves up, without asking anyone: a contract registers
/// itself (`TeefnConsumer` does so in its constructor), and nodes serve the requests of registered consumers only.
/// Every change emits an event.
contract TeefnRegistry is ITeefnRegistry {
    struct FunctionInfo {
        bytes32 codeHash;
        address owner;
        bool locked;
    }

    struct WorkerInfo {
        bytes32 attestationHash;
        /// Zero means not admitted.
        uint64 expiresAt;
    }

    address public admin;
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
    event ConsumerRegistered(address indexed consumer);
    event ConsumerDeregistered(address indexed consumer);
    event AdminTransferred(address indexed previousAdmin, address indexed newAdmin);

    error NotAdmin(address caller);
    error NotFunctionOwner(bytes32 functionId, address caller);
    error FunctionAlreadyRegistered(bytes32 functionId);
    error FunctionNotRegistered(bytes32 functionId);
    error FunctionIsLocked(bytes32 functionId);
    error ZeroFunctionId();
    error ZeroCodeHash();
    error ZeroAttestationHash();
    error ZeroAddress();
    error ExpiryNotInFuture(uint64 expiresAt, uint256 blockTimestamp);
    error WorkerNotAdmitted(address worker);
    error ConsumerAlreadyRegistered(address consumer);
    error ConsumerNotRegistered(address consumer);

    modifier onlyAdmin() {
        if (msg.sender != admin) revert NotAdmin(msg.sender);
        _;
    }

    modifier onlyFunctionOwner(bytes32 functionId) {
        address owner = _functions[functionId].owner;
        if (owner == address(0)) revert FunctionNotRegistered(functionId);
        if (msg.sender != owner) revert NotFunctionOwner(functionId, msg.sender);
        _;
    }

    constructor(address initialAdmin) {
        if (initialAdmin == address(0)) revert ZeroAddress();
        admin = initialAdmin;
        emit AdminTransferred(address(0), initialAdmin);
    }

    // ---- functions ----

    /// @notice Registers `functionId` with the caller as its owner. The first registration wins.
    function registerFunction(bytes32 functionId, bytes32 codeHash) external {
        if (functionId == bytes32(0)) revert ZeroFunctionId();
        if (codeHash == bytes32(0)) revert ZeroCodeHash();
        if (_functions[functionId].owner != address(0)) revert FunctionAlreadyRegistered(functionId);
        _functions[functionId] = FunctionInfo({codeHash: codeHash, owner: msg.sender, locked: false});
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

    /// @notice Freezes the codeHash of `functionId` for good; there is no unlock.
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

    function functionInfo(bytes32 functionId) external view returns (bytes32 codeHash, address owner, bool locked) {
        FunctionInfo storage info = _functions[functionId];
        return (info.codeHash, info.owner, info.locked);
    }

    // ---- workers ----

    /// @notice Admits `worker` (or refreshes its admission) until `expiresAt` (unix seconds, exclusive).
    function admitWorker(address worker, bytes32 attestationHash, uint64 expiresAt) external onlyAdmin {
        if (worker == address(0)) revert ZeroAddress();
        if (attestationHash == bytes32(0)) revert ZeroAttestationHash();
        if (expiresAt <= block.timestamp) revert ExpiryNotInFuture(expiresAt, block.timestamp);
        _workers[worker] = WorkerInfo({attestationHash: attestationHash, expiresAt: expiresAt});
        emit WorkerAdmitted(worker, attestationHash, expiresAt);
    }

    /// @notice Removes `worker` at once; envelopes it signed are rejected from now on.
    function removeWorker(address worker) external onlyAdmin {
        WorkerInfo memory info = _workers[worker];
        if (info.expiresAt == 0) revert WorkerNotAdmitted(worker);
        delete _workers[worker];
        emit WorkerRemoved(worker, info.attestationHash);
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

    // ---- admin ----

    /// @notice Hands the admin role to `newAdmin` in one step.
    function transferAdmin(address newAdmin) external onlyAdmin {
        if (newAdmin == address(0)) revert ZeroAddress();
        emit AdminTransferred(admin, newAdmin);
        admin = newAdmin;
    }
}
