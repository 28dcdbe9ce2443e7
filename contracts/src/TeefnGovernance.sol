// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";

/// @title Who may change the teefn registry: an admin until it renounces, and a k-of-n gatekeeper quorum.
/// @notice Gatekeepers sign EIP-712 statements (domain "teefn registry" / "1" / chain / registry) off chain;
/// anyone submits them with at least `threshold` distinct gatekeeper signatures, ordered by strictly increasing
/// signer address. The admin can do the same changes alone until `renounceAdmin`, after which no single key can
/// change anything. The gatekeeper set, its threshold and the pinned measurements change by the same quorum.
/// Statements carry a nonce (the registry's `governanceNonce` here, a worker's `workerNonce` for admissions and
/// removals) and a deadline, so a signed statement is used at most once and never after a later change.
abstract contract TeefnGovernance is EIP712 {
    /// @notice A new gatekeeper set: `gatekeepers` strictly increasing, 1 <= threshold <= gatekeepers.length.
    struct GatekeeperChange {
        address[] gatekeepers;
        uint8 threshold;
        uint64 nonce;
        uint64 deadline;
    }

    /// @notice Pin (`pinned` true) or unpin a runtime measurement admissions may name.
    struct MeasurementPin {
        bytes32 measurement;
        bool pinned;
        uint64 nonce;
        uint64 deadline;
    }

    bytes32 public constant GATEKEEPER_CHANGE_TYPEHASH =
        keccak256("GatekeeperChange(address[] gatekeepers,uint8 threshold,uint64 nonce,uint64 deadline)");
    bytes32 public constant MEASUREMENT_PIN_TYPEHASH =
        keccak256("MeasurementPin(bytes32 measurement,bool pinned,uint64 nonce,uint64 deadline)");

    /// @notice At most this many gatekeepers (and signatures per statement).
    uint256 public constant MAX_GATEKEEPERS = 32;

    /// @notice Zero once renounced.
    address public admin;
    /// @notice Gatekeeper signatures a statement needs; zero until a gatekeeper set is configured.
    uint8 public gatekeeperThreshold;
    /// @notice The nonce the next `GatekeeperChange` or `MeasurementPin` statement must carry.
    uint64 public governanceNonce;
    address[] private _gatekeepers;
    mapping(address => bool) private _isGatekeeper;
    mapping(bytes32 measurement => bool) private _pinned;

    event AdminTransferred(address indexed previousAdmin, address indexed newAdmin);
    event GatekeepersChanged(address[] gatekeepers, uint8 threshold);
    event MeasurementPinned(bytes32 indexed measurement, bool pinned);
    /// @notice A statement (its EIP-712 digest) was accepted on these gatekeepers' signatures.
    event GatekeeperApproval(bytes32 indexed digest, address[] gatekeepers);

    error NotAdmin(address caller);
    error AdminRenounced();
    error ZeroAddress();
    error NoGatekeepers();
    error ZeroMeasurement();
    error InvalidGatekeeperSet();
    error InvalidGatekeeperThreshold(uint8 threshold, uint256 gatekeepers);
    error StatementExpired(uint64 deadline);
    error StaleNonce(uint64 expected, uint64 given);
    error InvalidGatekeeperSignature(uint256 index);
    error NotGatekeeper(address signer);
    error DuplicateGatekeeper(address signer);
    error GatekeepersNotAscending(address previous, address next);
    error GatekeeperQuorumNotReached(uint256 signatures, uint8 threshold);

    modifier onlyAdmin() {
        address current = admin;
        if (current == address(0)) revert AdminRenounced();
        if (msg.sender != current) revert NotAdmin(msg.sender);
        _;
    }

    constructor(address initialAdmin) EIP712("teefn registry", "1") {
        if (initialAdmin == address(0)) revert ZeroAddress();
        admin = initialAdmin;
        emit AdminTransferred(address(0), initialAdmin);
    }

    // ---- admin ----

    /// @notice Hands the admin role to `newAdmin` in one step.
    function transferAdmin(address newAdmin) external onlyAdmin {
        if (newAdmin == address(0)) revert ZeroAddress();
        emit AdminTransferred(admin, newAdmin);
        admin = newAdmin;
    }

    /// @notice Gives up the admin role for good (`AdminTransferred(admin, 0)`): from then on every admin-only
    /// function reverts `AdminRenounced` and only the gatekeeper quorum changes workers, gatekeepers and pins.
    /// Refused (`NoGatekeepers`) while no gatekeeper set is configured, which would freeze admission for ever.
    function renounceAdmin() external onlyAdmin {
        if (gatekeeperThreshold == 0) revert NoGatekeepers();
        emit AdminTransferred(admin, address(0));
        admin = address(0);
    }

    /// @notice Replaces the gatekeeper set (admin path).
    function setGatekeepers(address[] calldata gatekeepers_, uint8 threshold) external onlyAdmin {
        _setGatekeepers(gatekeepers_, threshold);
    }

    /// @notice Pins or unpins a measurement (admin path).
    function setMeasurementPinned(bytes32 measurement, bool pinned) external onlyAdmin {
        _setPinned(measurement, pinned);
    }

    // ---- quorum ----

    /// @notice Replaces the gatekeeper set on the current set's quorum (`change.nonce == governanceNonce`).
    function setGatekeepersByQuorum(GatekeeperChange calldata change, bytes[] calldata signatures) external {
        _useGovernanceNonce(change.nonce, change.deadline);
        _requireGatekeeperQuorum(hashGatekeeperChange(change), signatures);
        _setGatekeepers(change.gatekeepers, change.threshold);
    }

    /// @notice Pins or unpins a measurement on the gatekeeper quorum (`pin.nonce == governanceNonce`).
    function setMeasurementPinnedByQuorum(MeasurementPin calldata pin, bytes[] calldata signatures) external {
        _useGovernanceNonce(pin.nonce, pin.deadline);
        _requireGatekeeperQuorum(hashMeasurementPin(pin), signatures);
        _setPinned(pin.measurement, pin.pinned);
    }

    // ---- views ----

    /// @return gatekeepers_ the set, strictly increasing
    /// @return threshold signatures a statement needs (0: none configured)
    function gatekeepers() external view returns (address[] memory gatekeepers_, uint8 threshold) {
        return (_gatekeepers, gatekeeperThreshold);
    }

    function isGatekeeper(address account) external view returns (bool) {
        return _isGatekeeper[account];
    }

    function isMeasurementPinned(bytes32 measurement) public view returns (bool) {
        return _pinned[measurement];
    }

    /// @notice The EIP-712 digest gatekeepers sign for `change`.
    function hashGatekeeperChange(GatekeeperChange calldata change) public view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(
                abi.encode(
                    GATEKEEPER_CHANGE_TYPEHASH,
                    keccak256(abi.encodePacked(change.gatekeepers)),
                    change.threshold,
                    change.nonce,
                    change.deadline
                )
            )
        );
    }

    /// @notice The EIP-712 digest gatekeepers sign for `pin`.
    function hashMeasurementPin(MeasurementPin calldata pin) public view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(abi.encode(MEASUREMENT_PIN_TYPEHASH, pin.measurement, pin.pinned, pin.nonce, pin.deadline))
        );
    }

    /// @notice The registry's EIP-712 domain separator (domain "teefn registry" / "1" / this chain / this contract).
    function registryDomainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    // ---- internals ----

    /// Reverts unless `signatures` are at least `gatekeeperThreshold` distinct current gatekeepers' signatures of
    /// `digest`, in strictly increasing signer order; emits `GatekeeperApproval`.
    function _requireGatekeeperQuorum(bytes32 digest, bytes[] calldata signatures) internal {
        uint8 threshold = gatekeeperThreshold;
        if (threshold == 0) revert NoGatekeepers();
        uint256 count = signatures.length;
        if (count < threshold || count > MAX_GATEKEEPERS) revert GatekeeperQuorumNotReached(count, threshold);
        address[] memory signers = new address[](count);
        address previous;
        for (uint256 i = 0; i < count; ++i) {
            (address signer, ECDSA.RecoverError error,) = ECDSA.tryRecoverCalldata(digest, signatures[i]);
            if (error != ECDSA.RecoverError.NoError) revert InvalidGatekeeperSignature(i);
            if (!_isGatekeeper[signer]) revert NotGatekeeper(signer);
            if (signer == previous) revert DuplicateGatekeeper(signer);
            if (signer < previous) revert GatekeepersNotAscending(previous, signer);
            signers[i] = signer;
            previous = signer;
        }
        emit GatekeeperApproval(digest, signers);
    }

    /// Reverts unless `deadline` has not passed.
    function _requireLive(uint64 deadline) internal view {
        if (block.timestamp > deadline) revert StatementExpired(deadline);
    }

    function _useGovernanceNonce(uint64 nonce, uint64 deadline) private view {
        _requireLive(deadline);
        uint64 expected = governanceNonce;
        if (nonce != expected) revert StaleNonce(expected, nonce);
    }

    /// Every change bumps `governanceNonce`, so statements signed before it can no longer be used.
    function _setGatekeepers(address[] calldata list, uint8 threshold) private {
        uint256 count = list.length;
        if (count == 0 || count > MAX_GATEKEEPERS) revert InvalidGatekeeperSet();
        if (threshold == 0 || threshold > count) revert InvalidGatekeeperThreshold(threshold, count);
        address[] storage current = _gatekeepers;
        for (uint256 i = current.length; i > 0; --i) {
            delete _isGatekeeper[current[i - 1]];
            current.pop();
        }
        address previous;
        for (uint256 i = 0; i < count; ++i) {
            address gatekeeper = list[i];
            // Strictly increasing: no zero address, no duplicate.
            if (gatekeeper <= previous) revert InvalidGatekeeperSet();
            _isGatekeeper[gatekeeper] = true;
            current.push(gatekeeper);
            previous = gatekeeper;
        }
        gatekeeperThreshold = threshold;
        ++governanceNonce;
        emit GatekeepersChanged(list, threshold);
    }

    function _setPinned(bytes32 measurement, bool pinned) private {
        if (measurement == bytes32(0)) revert ZeroMeasurement();
        _pinned[measurement] = pinned;
        ++governanceNonce;
        emit MeasurementPinned(measurement, pinned);
    }
}
