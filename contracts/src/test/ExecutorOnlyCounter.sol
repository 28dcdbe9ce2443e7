// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Test-only Gelato target: counts, and accepts calls from its executor only (Gelato's dedicated
/// msg.sender check).
contract ExecutorOnlyCounter {
    address public immutable executor;
    uint256 public count;
    uint256 public lastAmount;

    event Counted(uint256 amount, uint256 count);

    error NotExecutor(address caller);
    error AmountTooLarge(uint256 amount);

    constructor(address executor_) {
        executor = executor_;
    }

    /// Adds `amount` (at most 1000, so tests can make a call fail on purpose).
    function increment(uint256 amount) external {
        if (msg.sender != executor) revert NotExecutor(msg.sender);
        if (amount > 1000) revert AmountTooLarge(amount);
        count += amount;
        lastAmount = amount;
        emit Counted(amount, count);
    }
}
