// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ITeefnRegistry} from "teefn/contracts/src/ITeefnRegistry.sol";
import {TeefnConsumer} from "teefn/contracts/src/TeefnConsumer.sol";

/// @title Asks the function in src/index.ts for a price and keeps the latest answer.
/// @notice `TeefnConsumer` checks every answer (the registry's codeHash for `functionId`, an admitted worker's
/// signature, the payload the request id commits to) before `_onFulfillment` sees it.
contract PriceConsumer is TeefnConsumer {
    /// @notice The function that answers: its id in the registry, which names its codeHash.
    bytes32 public immutable functionId;
    /// @notice The latest price, with 8 decimals.
    uint256 public latestPrice;

    event PriceUpdated(bytes32 indexed requestId, uint256 price);
    event PriceRequestFailed(bytes32 indexed requestId, uint8 status, bytes message);

    /// @param registry the TeefnRegistry of the chain
    /// @param functionId_ the function's id in the registry
    constructor(ITeefnRegistry registry, bytes32 functionId_) TeefnConsumer(registry, 100_000, 1 hours) {
        functionId = functionId_;
    }

    /// @notice Asks for the price the API at `url` answers; the function gets `url` as its request.
    function requestPrice(string calldata url) external returns (bytes32 requestId) {
        return _request(functionId, bytes(url));
    }

    function _onFulfillment(bytes32 requestId, uint8 status, bytes calldata result) internal override {
        if (status != 0) {
            emit PriceRequestFailed(requestId, status, result.length > 256 ? result[:256] : result);
            return;
        }
        latestPrice = abi.decode(result, (uint256));
        emit PriceUpdated(requestId, latestPrice);
    }
}
