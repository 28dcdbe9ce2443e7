// SPDX-License-Identifier: MIT
pragma solidity ^0.8.19;

import {FunctionsRequest} from "@chainlink/contracts/src/v0.8/functions/v1_0_0/libraries/FunctionsRequest.sol";

/// @title Test-only wrapper of `FunctionsRequest` (@chainlink/contracts): the CBOR real requests carry.
/// @notice For tests of teefn's decoding of Chainlink Functions requests, against the library's own encoder.
contract FunctionsRequestEncoder {
    using FunctionsRequest for FunctionsRequest.Request;

    /// @notice An inline JavaScript request, as `FunctionsClient` consumers build it; empty arrays are not set.
    function encodeInline(string calldata source, string[] calldata args, bytes[] calldata bytesArgs)
        external
        pure
        returns (bytes memory)
    {
        FunctionsRequest.Request memory req;
        req.initializeRequestForInlineJavaScript(source);
        if (args.length > 0) req.setArgs(args);
        if (bytesArgs.length > 0) req.setBytesArgs(bytesArgs);
        return req.encodeCBOR();
    }

    /// @notice An inline request with DON-hosted secrets (`addDONHostedSecrets`).
    function encodeWithDonHostedSecrets(string calldata source, uint8 slotId, uint64 version)
        external
        pure
        returns (bytes memory)
    {
        FunctionsRequest.Request memory req;
        req.initializeRequestForInlineJavaScript(source);
        req.addDONHostedSecrets(slotId, version);
        return req.encodeCBOR();
    }

    /// @notice An inline request with remote secrets (`addSecretsReference`).
    function encodeWithSecretsReference(string calldata source, bytes calldata secretsReference)
        external
        pure
        returns (bytes memory)
    {
        FunctionsRequest.Request memory req;
        req.initializeRequestForInlineJavaScript(source);
        req.addSecretsReference(secretsReference);
        return req.encodeCBOR();
    }

    /// @notice A request with any code location (`initializeRequest`), e.g. Remote: a URL as the source.
    function encodeAt(FunctionsRequest.Location codeLocation, string calldata source)
        external
        pure
        returns (bytes memory)
    {
        FunctionsRequest.Request memory req;
        req.initializeRequest(codeLocation, FunctionsRequest.CodeLanguage.JavaScript, source);
        return req.encodeCBOR();
    }
}
