// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {TestPhatRollupAnchor} from "./TestPhatRollupAnchor.sol";

/// @title Test-only consumer of a Phat-style oracle, as Phala's samples write one: requests are queued with
/// `_pushMessage(abi.encode(id, query))`, replies arrive as `abi.encode(id, answer)`, and the owner picks the
/// attestor with `setAttestor`. `refuse` makes `_onMessageReceived` revert for one request id.
/// @dev Not for deployment outside tests.
contract TestPhatConsumer is TestPhatRollupAnchor, Ownable {
    uint256 public nextRequest = 1;
    /// Request ids in the order their replies arrived.
    uint256[] public answeredIds;
    mapping(uint256 id => string answer) public answers;
    uint256 public refusedId;

    event ResponseReceived(uint256 indexed id, string answer);

    error RefusedOnPurpose(uint256 id);

    constructor(address attestor) Ownable(msg.sender) {
        _grantRole(ATTESTOR_ROLE, attestor);
    }

    function setAttestor(address attestor) external onlyOwner {
        _grantRole(ATTESTOR_ROLE, attestor);
    }

    function revokeAttestor(address attestor) external onlyOwner {
        _revokeRole(ATTESTOR_ROLE, attestor);
    }

    function refuse(uint256 id) external onlyOwner {
        refusedId = id;
    }

    function request(string calldata query) external returns (uint256 id) {
        id = nextRequest++;
        _pushMessage(abi.encode(id, query));
    }

    function answeredCount() external view returns (uint256) {
        return answeredIds.length;
    }

    function _onMessageReceived(bytes calldata action) internal override {
        (uint256 id, string memory answer) = abi.decode(action, (uint256, string));
        if (id == refusedId) revert RefusedOnPurpose(id);
        answeredIds.push(id);
        answers[id] = answer;
        emit ResponseReceived(id, answer);
    }
}
