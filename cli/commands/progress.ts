/**
 * Progress lines for long steps (bundling, uploading, waiting), on stderr and only when stderr is a terminal
 * and the command is not printing JSON: scripts and pipes see stdout alone.
 */
export function createProgress(options: { json?: boolean | undefined }): (message: string) => void {
  const enabled = process.stderr.isTTY === true && options.json !== true
  return (message) => {
    if (enabled) process.stderr.write(`\u2026 ${message}\n`)
  }
}
