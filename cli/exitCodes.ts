/** Exit statuses shared by every command: 0 done, 1 the thing checked or run failed, 2 wrong usage. */
export const exitCodes = { ok: 0, failed: 1, usage: 2 } as const
