// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title The router function the probe sends through (Chainlink's `IFunctionsRouter.sendRequest`).
interface IRouterForProbe {
    function sendRequest(
        uint64 subscriptionId,
        bytes calldata data,
        uint16 dataVersion,
        uint32 callbackGasLimit,
        bytes32 donId
    ) external returns (bytes32);
}

/// @title Test-only Chainlink Functions client that records the gas its callback got, and does nothing else.
/// @notice Router tests check with it that the callback gets exactly the `callbackGasLimit` asked for.
/// @dev Not for deployment outside tests.
contract GasProbeFunctionsClient {
    IRouterForProbe public immutable router;
    /// `gasleft()` at the callback's first statement, and the lengths it was given.
    uint256 public gasAtCallback;
    uint256 public responseLength;
    uint256 public errLength;

    constructor(IRouterForProbe router_) {
        router = router_;
    }

    function send(bytes calldata data, uint32 callbackGasLimit, bytes32 donId) external returns (bytes32) {
        return router.sendRequest(1, data, 1, callbackGasLimit, donId);
    }

    function handleOracleFulfillment(bytes32, bytes calldata response, bytes calldata err) external {
        uint256 left = gasleft();
        require(msg.sender == address(router), "only the router");
        gasAtCallback = left;
        responseLength = response.length;
        errLength = err.length;
    }
}
