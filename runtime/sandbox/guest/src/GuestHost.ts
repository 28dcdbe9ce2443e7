/**
 * The object the prelude receives as `host` (built by `createHostObject.ts`): the only way guest code
 * reaches the worker. Every function validates its arguments on the host side.
 */
export type GuestHost = {
  /** Compiles a lazy part (or builds `console`/`fetch` on the host) and returns the globals it defines. */
  loadPart(name: string): Record<string, unknown>
  atob(text: string): string
  btoa(text: string): string
  encodeUtf8(text: string): ArrayBuffer
  decodeUtf8(buffer: ArrayBuffer, fatal: boolean, ignoreBOM: boolean): string
  /** At most 65536 bytes from the host's CSPRNG. */
  randomBytes(length: number): ArrayBuffer
  /** 32 bytes derived from the invocation's function key and `path`. */
  deriveSecret(path: string): ArrayBuffer
  /** Schedules `callback` on the host; returns the timer's id. */
  setTimer(callback: () => void, delayMs: number): number
  clearTimer(id: number): void
  /** Records a compat mode's side output (`name` -> JSON text) for the invocation's outcome. */
  setCompatOutput(name: string, json: string): void
}
