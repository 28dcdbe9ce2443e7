// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {GelatoResultParser} from "../compat/GelatoResultParser.sol";

/// @title Test-only: exposes `GelatoResultParser.parse` to tests, with its result flattened for the ABI.
contract GelatoResultParserHarness {
    function parse(bytes calldata text)
        external
        pure
        returns (bool ok, uint256 errorAt, bool canExec, address[] memory to, bytes[] memory data, bytes memory message)
    {
        GelatoResultParser.Result memory result;
        (ok, errorAt, result) = GelatoResultParser.parse(text);
        to = new address[](result.calls.length);
        data = new bytes[](result.calls.length);
        for (uint256 i = 0; i < result.calls.length; ++i) {
            to[i] = result.calls[i].to;
            data[i] = result.calls[i].data;
        }
        return (ok, errorAt, result.canExec, to, data, result.message);
    }

    /// Gas of a parse, measured inside the call (without the ABI round trip).
    function parseGas(bytes calldata text) external view returns (uint256 gasUsed) {
        uint256 before = gasleft();
        GelatoResultParser.parse(text);
        return before - gasleft();
    }
}
