/**
 * The text of a request: contracts send bytes, which reach `main` as 0x-hex; the CLI and the HTTP API
 * send text. Functions that take JSON or a URL accept both through this helper (bundled by `teefn build`).
 */
export function requestText(request: string): string {
  if (!/^0x(?:[0-9a-fA-F]{2})*$/.test(request)) return request
  const bytes = new Uint8Array((request.length - 2) / 2)
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(request.slice(2 + i * 2, 4 + i * 2), 16)
  return new TextDecoder().decode(bytes)
}
