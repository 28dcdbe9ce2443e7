// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Reads a Gelato Web3 Function result in teefn's canonical JSON text.
/// @notice `teefn --compat gelato` signs the object a Web3 Function returns as JSON text, normalised so a
/// contract can read it. The text is exactly one of (no whitespace anywhere, keys in this order):
///
///     {"canExec":true,"callData":[]}
///     {"canExec":true,"callData":[{"to":"0x<addr>","data":"0x<hex>"},{"to":"0x<addr>","data":"0x<hex>"}]}
///     {"canExec":false,"message":<string>}
///
/// - `<addr>`: exactly 40 lowercase hex digits (no EIP-55 checksum casing: the shim lowercases addresses).
/// - `<hex>`: an even number (zero included) of lowercase hex digits.
/// - `<string>`: a JSON string as `JSON.stringify` writes it: bytes below 0x20 only as the escapes `\b \f \n \r
///   \t` or `\u00xx` (lowercase hex, for the other control characters), `"` and `\` only as `\"` and `\\`, a lone
///   surrogate as `\udxxx` (decoded as U+FFFD, which UTF-8 has for it), every other byte as itself (UTF-8 is not
///   re-validated). Other escapes (`\/`, `\u` of anything else, uppercase hex) are refused. The decoded bytes
///   are returned.
///
/// Anything else (other keys, key order, whitespace, uppercase hex, odd-length data, trailing bytes, truncated
/// text) is refused as a whole: `parse` returns `ok = false` and the offset of the first byte it could not
/// accept, never a partial list of calls.
library GelatoResultParser {
    /// @notice One call a result asks the executor to make.
    struct Call {
        address to;
        bytes data;
    }

    /// @notice A parsed result: `calls` when `canExec`, else `message`.
    struct Result {
        bool canExec;
        Call[] calls;
        bytes message;
    }

    bytes32 private constant OPEN = '{"canExec":';
    bytes32 private constant CAN_EXEC = 'true,"callData":[';
    bytes32 private constant CANNOT_EXEC = 'false,"message":';
    bytes32 private constant CALL_TO = '{"to":"0x';
    bytes32 private constant CALL_DATA = '","data":"0x';
    bytes32 private constant CALL_CLOSE = '"}';

    uint256 private constant ONES = 0x0101010101010101010101010101010101010101010101010101010101010101;
    uint256 private constant HIGH_BITS = 0x8080808080808080808080808080808080808080808080808080808080808080;
    uint256 private constant ZEROS = 0x3030303030303030303030303030303030303030303030303030303030303030;
    uint256 private constant LOW_NIBBLES = 0x0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f;
    uint256 private constant EVEN_LANES = 0xff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00;
    uint256 private constant ODD_LANES = 0x00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff;
    uint256 private constant MASK_16 = 0x0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff;
    uint256 private constant MASK_32 = 0x00000000ffffffff00000000ffffffff00000000ffffffff00000000ffffffff;
    uint256 private constant MASK_64 = 0x0000000000000000ffffffffffffffff0000000000000000ffffffffffffffff;
    uint256 private constant MASK_128 = 0x00000000000000000000000000000000ffffffffffffffffffffffffffffffff;

    /// Shortest call text (`{"to":"0x<40>","data":"0x"}`, 62 bytes): bounds how many calls a text can hold.
    uint256 private constant MIN_CALL_LENGTH = 62;

    /// @notice Parses `text` (see the library's notice for the format).
    /// @return ok whether `text` is a canonical result
    /// @return errorAt when not `ok`, the offset of the first byte that breaks the format (`text.length` when
    /// the text ends too soon)
    /// @return result the parsed result (empty when not `ok`)
    function parse(bytes calldata text) internal pure returns (bool ok, uint256 errorAt, Result memory result) {
        if (!_literal(text, 0, OPEN, 11)) return (false, _mismatchAt(text, 0, OPEN, 11), result);
        uint256 i = 11;
        if (_literal(text, i, CAN_EXEC, 17)) {
            result.canExec = true;
            (ok, i, result.calls) = _calls(text, i + 17);
        } else if (_literal(text, i, CANNOT_EXEC, 16)) {
            (ok, i, result.message) = _string(text, i + 16);
        } else {
            return (false, i, result);
        }
        if (!ok) return (false, i, _empty());
        if (i >= text.length || text[i] != "}") return (false, i, _empty());
        if (i + 1 != text.length) return (false, i + 1, _empty());
        return (true, 0, result);
    }

    /// Reads `<call>,<call>...]` from `i` (just after `[`); returns the offset after `]`, or of the error.
    function _calls(bytes calldata text, uint256 i) private pure returns (bool ok, uint256 end, Call[] memory calls) {
        unchecked {
            calls = new Call[](text.length / MIN_CALL_LENGTH);
            uint256 count;
            if (i < text.length && text[i] == "]") return (true, i + 1, _shrink(calls, 0));
            for (;;) {
                Call memory call;
                (ok, i, call) = _call(text, i);
                if (!ok) return (false, i, calls);
                calls[count++] = call;
                if (i >= text.length) return (false, i, calls);
                bytes1 next = text[i];
                ++i;
                if (next == "]") return (true, i, _shrink(calls, count));
                if (next != ",") return (false, i - 1, calls);
            }
        }
    }

    /// Reads `{"to":"0x<addr>","data":"0x<hex>"}` from `i`; returns the offset after it, or of the error.
    function _call(bytes calldata text, uint256 i) private pure returns (bool ok, uint256 end, Call memory call) {
        unchecked {
            if (!_literal(text, i, CALL_TO, 9)) return (false, _mismatchAt(text, i, CALL_TO, 9), call);
            i += 9;
            if (i + 40 > text.length) return (false, text.length, call);
            (bool valid, uint256 badAt, uint256 high) = _hexWord(text, i, 32);
            if (!valid) return (false, badAt, call);
            uint256 low;
            (valid, badAt, low) = _hexWord(text, i + 32, 8);
            if (!valid) return (false, badAt, call);
            i += 40;
            call.to = address(uint160((high << 32) | low));
            if (!_literal(text, i, CALL_DATA, 12)) return (false, _mismatchAt(text, i, CALL_DATA, 12), call);
            i += 12;
            uint256 start = i;
            i = _hexRunEnd(text, i);
            if (i >= text.length || text[i] != '"') return (false, i, call);
            if ((i - start) % 2 != 0) return (false, i, call);
            (valid, end, call.data) = _hex(text, start, i);
            if (!valid) return (false, end, call);
            if (!_literal(text, i, CALL_CLOSE, 2)) return (false, _mismatchAt(text, i, CALL_CLOSE, 2), call);
            return (true, i + 2, call);
        }
    }

    /// Decodes the lowercase hex digits text[start:stop] (an even count); on a bad digit, returns its offset.
    function _hex(bytes calldata text, uint256 start, uint256 stop)
        private
        pure
        returns (bool ok, uint256 errorAt, bytes memory data)
    {
        unchecked {
            data = new bytes((stop - start) / 2);
            // 32 digits (16 bytes) at a time: each byte costs a handful of opcodes instead of a checked loop step.
            for (uint256 i = start; i < stop; i += 32) {
                uint256 count = stop - i < 32 ? stop - i : 32;
                (bool valid, uint256 badAt, uint256 word) = _hexWord(text, i, count);
                if (!valid) return (false, badAt, data);
                uint256 shift = (32 - count / 2) * 8;
                assembly ("memory-safe") {
                    // The decoded bytes, left-aligned at their place; the bytes after them in the word are kept.
                    let at := add(add(data, 0x20), div(sub(i, start), 2))
                    let keep := not(shr(sub(256, shift), not(0)))
                    mstore(at, or(shl(shift, word), and(mload(at), not(keep))))
                }
            }
            return (true, 0, data);
        }
    }

    /// The value of the `count` (<= 32) lowercase hex digits at text[at:], read as one number; when one is not
    /// a digit, `badAt` is the offset of the first. All digits are checked and converted at once (SWAR: one
    /// byte lane per digit), so a 32-byte call argument costs a few dozen opcodes, not a loop of 64.
    function _hexWord(bytes calldata text, uint256 at, uint256 count)
        private
        pure
        returns (bool ok, uint256 badAt, uint256 value)
    {
        unchecked {
            uint256 word;
            assembly ("memory-safe") {
                word := calldataload(add(text.offset, at))
            }
            // Lanes past `count` become '0', which reads as a valid zero digit.
            uint256 lanes = type(uint256).max << ((32 - count) * 8);
            word = (word & lanes) | (ZEROS & ~lanes);
            if (_nonDigitLanes(word) != 0) return (false, _firstBadDigit(text, at, count), 0);
            // Digit value in each lane: low nibble, plus 9 for 'a'-'f' (bit 6 set).
            uint256 nibbles = (word & LOW_NIBBLES) + 9 * ((word >> 6) & ONES);
            // Pack lane pairs into bytes, then squeeze the 16 bytes together (order kept: first digit highest).
            uint256 v = ((nibbles & EVEN_LANES) >> 4) | (nibbles & ODD_LANES);
            v = (v | (v >> 8)) & MASK_16;
            v = (v | (v >> 16)) & MASK_32;
            v = (v | (v >> 32)) & MASK_64;
            v = (v | (v >> 64)) & MASK_128;
            return (true, 0, v >> ((32 - count) * 4));
        }
    }

    /// The high bit of every byte lane of `word` that is not '0'-'9' or 'a'-'f'.
    function _nonDigitLanes(uint256 word) private pure returns (uint256) {
        unchecked {
            // With bit 7 cleared in every lane, adding (0x80 - lo) sets it exactly where the lane is >= lo, and no
            // lane carries into the next; lanes that had bit 7 set are no digits anyway.
            uint256 w = word & ~HIGH_BITS;
            uint256 isDigit = (w + 0x50 * ONES) & ~(w + 0x46 * ONES);
            uint256 isLetter = (w + 0x1f * ONES) & ~(w + 0x19 * ONES);
            return HIGH_BITS & ~((isDigit | isLetter) & ~word);
        }
    }

    /// The offset of the first byte from `from` that is not a lowercase hex digit, or `text.length`; 32 bytes
    /// a step.
    function _hexRunEnd(bytes calldata text, uint256 from) private pure returns (uint256) {
        unchecked {
            uint256 length = text.length;
            for (uint256 at = from; at < length; at += 32) {
                uint256 word;
                assembly ("memory-safe") {
                    word := calldataload(add(text.offset, at))
                }
                uint256 bad = _nonDigitLanes(word);
                if (bad != 0) {
                    uint256 end = at + _firstLane(bad);
                    return end < length ? end : length;
                }
            }
            return length;
        }
    }

    /// The index (0 = most significant) of the first byte lane of `x` (non-zero) with a bit set.
    function _firstLane(uint256 x) private pure returns (uint256 n) {
        unchecked {
            if (x >> 128 == 0) (n, x) = (n + 16, x << 128);
            if (x >> 192 == 0) (n, x) = (n + 8, x << 64);
            if (x >> 224 == 0) (n, x) = (n + 4, x << 32);
            if (x >> 240 == 0) (n, x) = (n + 2, x << 16);
            if (x >> 248 == 0) n += 1;
        }
    }

    /// The offset of the first non-digit among the `count` bytes at text[at:] (only on the error path).
    function _firstBadDigit(bytes calldata text, uint256 at, uint256 count) private pure returns (uint256) {
        for (uint256 k = 0; k < count; ++k) {
            uint8 c = uint8(text[at + k]);
            if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return at + k;
        }
        return at + count;
    }

    /// Reads a JSON string (as `JSON.stringify` writes it) from `i`; returns its decoded bytes and the offset
    /// after the closing quote, or the offset of the error.
    function _string(bytes calldata text, uint256 i) private pure returns (bool ok, uint256 end, bytes memory out) {
        unchecked {
            if (i >= text.length || text[i] != '"') return (false, i, out);
            ++i;
            // Decoded text is never longer than its JSON form.
            out = new bytes(text.length - i);
            uint256 length;
            for (;;) {
                // Copy the run of bytes that stand for themselves, then read what ends it.
                uint256 runEnd = _plainRunEnd(text, i);
                assembly ("memory-safe") {
                    calldatacopy(add(add(out, 0x20), length), add(text.offset, i), sub(runEnd, i))
                }
                length += runEnd - i;
                i = runEnd;
                if (i >= text.length) return (false, i, out);
                bytes1 c = text[i];
                if (c == '"') break;
                if (c != "\\") return (false, i, out);
                (bool valid, bytes3 decoded, uint256 decodedLength, uint256 size) = _escape(text, i);
                if (!valid) return (false, i, out);
                assembly ("memory-safe") {
                    // Bytes past `length` are overwritten by what follows or cut by the final length.
                    let at := add(add(out, 0x20), length)
                    mstore(at, or(decoded, and(mload(at), shr(24, not(0)))))
                }
                length += decodedLength;
                i += size;
            }
            assembly ("memory-safe") {
                mstore(out, length)
            }
            return (true, i + 1, out);
        }
    }

    /// The bytes an escape at `i` (backslash included) stands for (left-aligned, `decodedLength` of them), and
    /// how many bytes the escape takes.
    function _escape(bytes calldata text, uint256 i)
        private
        pure
        returns (bool ok, bytes3 decoded, uint256 decodedLength, uint256 size)
    {
        if (i + 1 >= text.length) return (false, 0, 0, 0);
        bytes1 e = text[i + 1];
        if (e == '"' || e == "\\") return (true, e, 1, 2);
        if (e == "b") return (true, 0x080000, 1, 2);
        if (e == "f") return (true, 0x0c0000, 1, 2);
        if (e == "n") return (true, 0x0a0000, 1, 2);
        if (e == "r") return (true, 0x0d0000, 1, 2);
        if (e == "t") return (true, 0x090000, 1, 2);
        if (e != "u" || i + 5 >= text.length) return (false, 0, 0, 0);
        (bool valid,, uint256 code) = _hexWord(text, i + 2, 4);
        if (!valid) return (false, 0, 0, 0);
        // A lone surrogate (JSON.stringify escapes those) has no UTF-8 form: U+FFFD stands for it.
        if (code >= 0xd800 && code <= 0xdfff) return (true, 0xefbfbd, 3, 6);
        // Otherwise only the control characters that have no short escape.
        if (code > 0x1f || code == 0x08 || code == 0x09 || code == 0x0a || code == 0x0c || code == 0x0d) {
            return (false, 0, 0, 0);
        }
        return (true, bytes3(bytes1(uint8(code))), 1, 6);
    }

    /// The offset of the first byte from `from` that is `"`, `\` or below 0x20, or `text.length`.
    function _plainRunEnd(bytes calldata text, uint256 from) private pure returns (uint256 at) {
        uint256 length = text.length;
        assembly ("memory-safe") {
            for { at := from } lt(at, length) { at := add(at, 1) } {
                let c := byte(0, calldataload(add(text.offset, at)))
                if or(lt(c, 0x20), or(eq(c, 0x22), eq(c, 0x5c))) { break }
            }
        }
    }

    /// Whether text[at:at+length] is the first `length` bytes of `word`.
    function _literal(bytes calldata text, uint256 at, bytes32 word, uint256 length) private pure returns (bool) {
        unchecked {
            if (at + length > text.length) return false;
            bytes32 found;
            assembly ("memory-safe") {
                found := calldataload(add(text.offset, at))
            }
            bytes32 mask = ~bytes32(type(uint256).max >> (length * 8));
            return found & mask == word;
        }
    }

    /// The offset of the first byte from `at` that differs from `word` (or where the text ends).
    function _mismatchAt(bytes calldata text, uint256 at, bytes32 word, uint256 length)
        private
        pure
        returns (uint256)
    {
        for (uint256 k = 0; k < length; ++k) {
            if (at + k >= text.length || text[at + k] != word[k]) return at + k;
        }
        return at + length;
    }

    /// Cuts `calls` to its first `count` entries (the array was allocated for the most a text can hold).
    function _shrink(Call[] memory calls, uint256 count) private pure returns (Call[] memory) {
        assembly ("memory-safe") {
            mstore(calls, count)
        }
        return calls;
    }

    function _empty() private pure returns (Result memory result) {}
}
