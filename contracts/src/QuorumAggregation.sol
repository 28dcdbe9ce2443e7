// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ITeefnRegistry} from "./ITeefnRegistry.sol";

/// @title How a quorum's answers are grouped and which one is delivered (docs/protocol.md, "Aggregation").
/// @notice Every answer gets a group key; the group with the most answers wins when it is the only one with that
/// count. `Identical`: one group per (status, keccak256(result)). Median modes: every OK answer whose result is
/// exactly 32 bytes joins one value group (`MEDIAN_GROUP`), every failure one group per (status, result), and an OK
/// answer of another length joins none (`NO_GROUP`: it can only dissent).
library QuorumAggregation {
    bytes32 internal constant NO_GROUP = bytes32(0);
    bytes32 internal constant MEDIAN_GROUP = bytes32(uint256(1));

    /// @return The group key of an answer with `status` and `result` (whose keccak256 is `resultHash`).
    function groupKey(ITeefnRegistry.Aggregation mode, uint8 status, uint256 resultLength, bytes32 resultHash)
        internal
        pure
        returns (bytes32)
    {
        if (mode != ITeefnRegistry.Aggregation.Identical && status == 0) {
            return resultLength == 32 ? MEDIAN_GROUP : NO_GROUP;
        }
        // A keccak256 output is never 0 or 1 in practice, so it cannot pose as the two reserved keys.
        return keccak256(abi.encode(status, resultHash));
    }

    /// @return key the key of the largest group (never `NO_GROUP`)
    /// @return count how many answers it holds (0 when every key is `NO_GROUP`)
    /// @return unique whether no other group holds as many
    function winner(bytes32[] memory keys) internal pure returns (bytes32 key, uint256 count, bool unique) {
        uint256 total = keys.length;
        for (uint256 i = 0; i < total; ++i) {
            bytes32 candidate = keys[i];
            // A group is counted once, where its first answer stands.
            if (candidate == NO_GROUP || _seenBefore(keys, i, candidate)) continue;
            uint256 size = 0;
            for (uint256 j = i; j < total; ++j) {
                if (keys[j] == candidate) ++size;
            }
            if (size > count) {
                (key, count, unique) = (candidate, size, true);
            } else if (size == count) {
                unique = false;
            }
        }
    }

    /// @return index the answer holding the lower median of the `MEDIAN_GROUP` values (the ((m - 1) / 2)-th
    /// smallest of m values, counting from 0), compared as int256 when `signed`, else as uint256
    function lowerMedian(bytes32[] memory keys, uint256[] memory values, bool signed)
        internal
        pure
        returns (uint256 index)
    {
        uint256 total = keys.length;
        uint256[] memory order = new uint256[](total);
        uint256 m = 0;
        // Insertion sort of the group's answer indexes by value: at most 32 answers.
        for (uint256 i = 0; i < total; ++i) {
            if (keys[i] != MEDIAN_GROUP) continue;
            uint256 j = m;
            while (j > 0 && _less(values[i], values[order[j - 1]], signed)) {
                order[j] = order[j - 1];
                --j;
            }
            order[j] = i;
            ++m;
        }
        return order[(m - 1) / 2];
    }

    /// @return agreeing the entries of `signers` whose key is `key`
    /// @return dissenting the others, in the same order
    function split(bytes32[] memory keys, address[] memory signers, bytes32 key)
        internal
        pure
        returns (address[] memory agreeing, address[] memory dissenting)
    {
        uint256 total = keys.length;
        agreeing = new address[](total);
        dissenting = new address[](total);
        uint256 a = 0;
        uint256 d = 0;
        for (uint256 i = 0; i < total; ++i) {
            if (keys[i] == key) agreeing[a++] = signers[i];
            else dissenting[d++] = signers[i];
        }
        assembly ("memory-safe") {
            mstore(agreeing, a)
            mstore(dissenting, d)
        }
    }

    function _seenBefore(bytes32[] memory keys, uint256 end, bytes32 key) private pure returns (bool) {
        for (uint256 i = 0; i < end; ++i) {
            if (keys[i] == key) return true;
        }
        return false;
    }

    function _less(uint256 a, uint256 b, bool signed) private pure returns (bool) {
        return signed ? int256(a) < int256(b) : a < b;
    }
}
