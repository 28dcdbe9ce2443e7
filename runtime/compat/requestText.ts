/**
 * A compat function's request as text: an on-chain payload arrives as the 0x-hex of its bytes (UTF-8 JSON for
 * the peers' modes), an HTTP or CLI request as the text itself. Bundled into compat functions, so it uses only
 * what the sandbox has (no viem).
 */
export function requestText(request: string): string {
  if (!/^0x(?:[0-9a-fA-F]{2})*$/.test(request)) return request
  const bytes = new Uint8Array((request.length - 2) / 2)
  for (let index = 0; index < bytes.length; index++)
    bytes[index] = Number.parseInt(request.slice(2 + 2 * index, 4 + 2 * index), 16)
  return new TextDecoder().decode(bytes)
}
