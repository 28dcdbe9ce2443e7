// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {ITeefnRegistry} from "../ITeefnRegistry.sol";
import {TeefnConsumer} from "../TeefnConsumer.sol";

/// @title Example consumer: a price feed answered by a teefn function.
/// @notice The owner asks for a price; the function (`functionId`) answers with the price ABI-encoded as one
/// uint256. The latest verified price is kept, "latest" by request order: an answer to an older request that
/// arrives after a newer one was stored is ignored. A request unanswered after `requestTimeout` seconds can
/// be cancelled by whoever made it (`cancelRequest`).
contract PriceOracle is TeefnConsumer, Ownable {
    /// @notice The teefn function that answers price requests.
    bytes32 public immutable functionId;

    /// @notice The latest verified price (see `latest`).
    uint256 public latestPrice;
    /// @notice Block timestamp of the fulfilment that stored `latestPrice`.
    uint64 public latestUpdatedAt;
    /// @notice The request `latestPrice` answered.
    bytes32 public latestRequestId;
    /// Nonce + 1 of the request whose answer is stored; 0 before the first price.
    uint64 private _latestOrder;

    /// @notice A verified price was stored.
    event PriceUpdated(bytes32 indexed requestId, uint256 price, uint64 updatedAt);
    /// @notice The function answered with an error (`status` != 0); `message` is its first 256 bytes.
    event PriceRequestFailed(bytes32 indexed requestId, uint8 status, bytes message);
    /// @notice A verified price arrived after the answer to a newer request and was not stored.
    event StalePriceIgnored(bytes32 indexed requestId, uint256 price);

    /// @notice The function's result is not one ABI-encoded uint256 (32 bytes).
    error InvalidPriceResult(uint256 length);
    /// @notice No price has been stored yet.
    error NoPriceYet();

    /// @param requestTimeout_ seconds a price request may be answered (> 0)
    constructor(
        ITeefnRegistry registry_,
        bytes32 functionId_,
        uint32 hookGasLimit_,
        uint32 requestTimeout_,
        address owner_
    ) TeefnConsumer(registry_, hookGasLimit_, requestTimeout_) Ownable(owner_) {
        functionId = functionId_;
    }

    /// @notice Asks for a price; the owner is the request's requester (the one who may cancel it after its
    /// deadline).
    /// @param payload the function's input, as the function expects it (e.g. UTF-8 JSON `{"pair":"ETH/USD"}`)
    function requestPrice(bytes calldata payload) external onlyOwner returns (bytes32 requestId) {
        return _request(functionId, payload);
    }

    /// @notice The latest verified price; reverts with `NoPriceYet` before the first one.
    /// @return price the latest verified price
    /// @return updatedAt block timestamp of the fulfilment that stored it
    /// @return requestId the request it answered
    function latest() external view returns (uint256 price, uint64 updatedAt, bytes32 requestId) {
        if (_latestOrder == 0) revert NoPriceYet();
        return (latestPrice, latestUpdatedAt, latestRequestId);
    }

    function _onFulfillment(bytes32 requestId, uint8 status, bytes calldata result) internal override {
        if (status != 0) {
            // The worker's error message, bounded: the full result stays verifiable through resultHash.
            emit PriceRequestFailed(requestId, status, result.length > 256 ? result[:256] : result);
            return;
        }
        if (result.length != 32) revert InvalidPriceResult(result.length);
        uint256 price = abi.decode(result, (uint256));
        uint64 order = uint64(_requestOf(requestId).nonce) + 1;
        if (order <= _latestOrder) {
            emit StalePriceIgnored(requestId, price);
            return;
        }
        _latestOrder = order;
        latestPrice = price;
        latestUpdatedAt = uint64(block.timestamp);
        latestRequestId = requestId;
        emit PriceUpdated(requestId, price, uint64(block.timestamp));
    }
}
