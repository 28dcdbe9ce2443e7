/**
 * [global name, part that defines it]: what the prelude (`src/installGlobals.ts`) installs as lazy
 * accessors. Parts are in `src/` (see `loadGuestSources.ts`); `console`, `fetch` and `teefnHttpRequestsSync` are built by the host.
 */
export const lazyGlobals: [string, string][] = [
  ['console', 'console'],
  ['TextEncoder', 'encoding'],
  ['TextDecoder', 'encoding'],
  ['crypto', 'crypto'],
  ['deriveSecret', 'deriveSecret'],
  ['setTimeout', 'timers'],
  ['clearTimeout', 'timers'],
  ['queueMicrotask', 'timers'],
  ['fetch', 'fetch'],
  ['Headers', 'fetchClasses'],
  ['Response', 'fetchClasses'],
  ['teefnCompatOutput', 'compatOutput'],
  ['teefnHttpRequestsSync', 'syncHttp'],
]
