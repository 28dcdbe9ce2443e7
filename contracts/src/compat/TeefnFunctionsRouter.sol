// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ITeefnRegistry} from "../ITeefnRegistry.sol";
import {TeefnConsumer} from "../TeefnConsumer.sol";

/// @title The callback a Chainlink Functions client (`FunctionsClient`) exposes to its router.
interface IFunctionsClientCallback {
    function handleOracleFulfillment(bytes32 requestId, bytes memory response, bytes memory err) external;
}

/// @title A router that speaks Chainlink Functions' client interface, answered by teefn workers.
/// @notice A contract that inherits `FunctionsClient` (@chainlink/contracts) redeploys unchanged but for the router
/// address: its `_sendRequest` calls `sendRequest` here, which issues a teefn request whose payload is the request's
/// CBOR (so the envelope's payloadHash binds the source text, args and bytesArgs) for the function `donId` names:
/// the requester's registered copy of teefn's Chainlink Functions request runner, which runs the inline source
/// with its owner's teefn secrets. The answer reaches the client's `handleOracleFulfillment` only after
/// `TeefnConsumer` verified the envelope (request binding, codeHash, active worker signature): status 0 as
/// `response`, any other status as `err` (the error message). A client that reverts is recorded (`HookFailed`) and
/// never called again, as Chainlink's router records a callback error.
/// There is no billing: `subscriptionId` is only logged. `callbackGasLimit` is given exactly, up to
/// `maxCallbackGasLimit()`, which follows from `hookGasLimit`.
contract TeefnFunctionsRouter is TeefnConsumer {
    /// @notice The only request data version there is (`FunctionsRequest.REQUEST_DATA_VERSION`).
    uint16 public constant REQUEST_DATA_VERSION = 1;

    /// @notice Gas the hook keeps for its own work around the client call (reading and clearing the callback,
    /// building its calldata, the exact-gas check, the call's cold account access). Results of a few KiB fit;
    /// a hook left with too little gas reverts (`InsufficientGasForCallback`) rather than starve the client.
    uint256 public constant CALLBACK_OVERHEAD_GAS = 40_000;

    /// Gas between the check in `_callClient` and the CALL (cold account access included).
    uint256 private constant GAS_FOR_CALL_CHECK = 5_000;
    /// At most this many bytes of a failing client's revert data are passed on (the base cuts to 256 anyway).
    uint256 private constant MAX_CLIENT_REASON_BYTES = 256;

    /// Who gets the answer, with how much gas: one slot.
    struct Callback {
        address client;
        uint32 gasLimit;
    }

    mapping(bytes32 requestId => Callback) private _callbacks;

    /// @notice `client` sent a Chainlink Functions request, issued as teefn request `requestId` for the function
    /// `donId` (the teefn functionId). `subscriptionId` is kept for the record: nothing is billed.
    event FunctionsRequestSent(
        bytes32 indexed requestId,
        address indexed client,
        uint64 indexed subscriptionId,
        bytes32 donId,
        uint32 callbackGasLimit
    );

    /// @notice The request data is not of a version this router decodes (only `REQUEST_DATA_VERSION`).
    error UnsupportedRequestDataVersion(uint16 dataVersion, uint16 supported);
    /// @notice The request carries no data (Chainlink's router refuses it alike).
    error EmptyRequestData();
    /// @notice `callbackGasLimit` is above what the hook can give: at most `limit` (Chainlink's error).
    error GasLimitTooBig(uint32 limit);
    /// @notice The hook has too little gas left to give the client its full `callbackGasLimit`.
    error InsufficientGasForCallback(uint32 callbackGasLimit);
    /// @notice The constructor's `hookGasLimit` leaves no gas for a callback.
    error HookGasLimitTooLow(uint32 hookGasLimit, uint256 overhead);

    /// @param registry_ the teefn registry (codeHashes and workers)
    /// @param hookGasLimit_ gas the hook gets; clients may ask for up to `maxCallbackGasLimit()` of it
    /// @param requestTimeout_ seconds a request may be fulfilled after it was made
    constructor(ITeefnRegistry registry_, uint32 hookGasLimit_, uint32 requestTimeout_)
        TeefnConsumer(registry_, hookGasLimit_, requestTimeout_)
    {
        if (hookGasLimit_ <= CALLBACK_OVERHEAD_GAS) revert HookGasLimitTooLow(hookGasLimit_, CALLBACK_OVERHEAD_GAS);
    }

    /// @notice What `FunctionsClient._sendRequest` calls: issues a teefn request for the function `donId` with `data`
    /// (the CBOR of `FunctionsRequest.encodeCBOR`) as its payload; the requester is the client (`msg.sender`).
    /// @return requestId the teefn request id, which the client's `handleOracleFulfillment` receives
    function sendRequest(
        uint64 subscriptionId,
        bytes calldata data,
        uint16 dataVersion,
        uint32 callbackGasLimit,
        bytes32 donId
    ) external returns (bytes32 requestId) {
        if (dataVersion != REQUEST_DATA_VERSION) {
            revert UnsupportedRequestDataVersion(dataVersion, REQUEST_DATA_VERSION);
        }
        if (data.length == 0) revert EmptyRequestData();
        uint32 maxGas = maxCallbackGasLimit();
        if (callbackGasLimit > maxGas) revert GasLimitTooBig(maxGas);
        requestId = _request(donId, data);
        _callbacks[requestId] = Callback({client: msg.sender, gasLimit: callbackGasLimit});
        emit FunctionsRequestSent(requestId, msg.sender, subscriptionId, donId, callbackGasLimit);
    }

    /// @notice The largest `callbackGasLimit` a client may ask for: what the hook's gas leaves after its own work
    /// and after EIP-150 keeps 1/64 back.
    function maxCallbackGasLimit() public view returns (uint32) {
        uint256 usable = hookGasLimit - CALLBACK_OVERHEAD_GAS;
        return uint32(usable - usable / 64);
    }

    /// @notice The client that sent `requestId` and the gas its callback gets (zero once it was called back).
    function callbackOf(bytes32 requestId) external view returns (address client, uint32 callbackGasLimit) {
        Callback memory callback = _callbacks[requestId];
        return (callback.client, callback.gasLimit);
    }

    /// Runs only for verified envelopes: the client gets (result, "") for status 0, ("", result) otherwise.
    function _onFulfillment(bytes32 requestId, uint8 status, bytes calldata result) internal override {
        Callback memory callback = _callbacks[requestId];
        delete _callbacks[requestId];
        bytes memory data = status == 0
            ? abi.encodeCall(IFunctionsClientCallback.handleOracleFulfillment, (requestId, result, ""))
            : abi.encodeCall(IFunctionsClientCallback.handleOracleFulfillment, (requestId, "", result));
        _callClient(callback, data);
    }

    /// Calls the client with exactly its `callbackGasLimit` (EIP-150 would otherwise silently give it less), and
    /// passes a revert on, cut to MAX_CLIENT_REASON_BYTES, so the base records it as `HookFailed`.
    function _callClient(Callback memory callback, bytes memory data) private {
        uint256 gasLimit = callback.gasLimit;
        address client = callback.client;
        uint256 available = gasleft();
        if (available < GAS_FOR_CALL_CHECK) revert InsufficientGasForCallback(callback.gasLimit);
        available -= GAS_FOR_CALL_CHECK;
        if (available - available / 64 <= gasLimit) revert InsufficientGasForCallback(callback.gasLimit);
        bool success;
        assembly ("memory-safe") {
            success := call(gasLimit, client, 0, add(data, 0x20), mload(data), 0, 0)
        }
        if (success) return;
        assembly ("memory-safe") {
            let size := returndatasize()
            if gt(size, MAX_CLIENT_REASON_BYTES) { size := MAX_CLIENT_REASON_BYTES }
            let reason := mload(0x40)
            returndatacopy(reason, 0, size)
            revert(reason, size)
        }
    }
}
