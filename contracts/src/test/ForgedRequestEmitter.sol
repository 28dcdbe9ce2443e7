// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Test-only attacker: a contract that is no registered consumer but emits `RequestSent` exactly as a
/// `TeefnConsumer` does (same signature, an id that recomputes from its content) and answers `requestInfo` with a
/// pending request, so everything a worker reads of it looks like a real request.
/// @dev Not for deployment outside tests. Nodes must ignore it: it never signed up (`registerConsumer`).
contract ForgedRequestEmitter {
    uint64 public requestCount;
    mapping(bytes32 requestId => uint64 deadline) private _deadlines;
    mapping(bytes32 requestId => bytes32 functionId) private _functionIds;

    event RequestSent(
        bytes32 indexed requestId,
        bytes32 indexed functionId,
        address indexed requester,
        uint64 nonce,
        uint64 deadline,
        bytes payload
    );

    /// Emits a request for `functionId` with `payload`, as `TeefnConsumer._request` would, without any registry.
    function request(bytes32 functionId, bytes calldata payload) external returns (bytes32 requestId) {
        uint64 nonce = requestCount++;
        uint64 deadline = uint64(block.timestamp) + 3600;
        requestId =
            keccak256(abi.encode(block.chainid, address(this), nonce, msg.sender, functionId, keccak256(payload)));
        _deadlines[requestId] = deadline;
        _functionIds[requestId] = functionId;
        emit RequestSent(requestId, functionId, msg.sender, nonce, deadline, payload);
    }

    /// `TeefnConsumer.requestInfo`'s shape; state 1 (Pending) for every request it emitted.
    function requestInfo(bytes32 requestId)
        external
        view
        returns (bytes32 functionId, address requester, uint64 nonce, uint64 deadline, uint8 state)
    {
        uint64 at = _deadlines[requestId];
        return (_functionIds[requestId], address(0), 0, at, at == 0 ? 0 : 1);
    }
}
