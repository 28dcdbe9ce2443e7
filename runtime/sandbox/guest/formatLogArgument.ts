import type { QuickJSContext, QuickJSHandle } from 'quickjs-emscripten'

const maxMessageChars = 65_537

/**
 * One `console.log` argument as text, formatted by the host (no guest code to compile): strings as
 * they are, errors with their stack, other values as JSON, like a browser console would.
 */
export function formatLogArgument(context: QuickJSContext, value: QuickJSHandle): string {
  const type = context.typeof(value)
  if (type === 'string') return context.getString(value).slice(0, maxMessageChars)
  if (type === 'bigint') return `${context.getBigInt(value)}n`
  if (type === 'undefined') return 'undefined'
  if (type === 'function') return '[function]'
  if (type === 'symbol') return '[symbol]'
  let dumped: unknown
  try {
    dumped = context.dump(value)
  } catch {
    return '[unprintable value]'
  }
  if (isErrorLike(dumped))
    return `${dumped.name}: ${dumped.message}${dumped.stack ? `\n${dumped.stack}` : ''}`
  if (typeof dumped === 'string') return dumped
  try {
    return (JSON.stringify(dumped) ?? String(dumped)).slice(0, maxMessageChars)
  } catch {
    return String(dumped)
  }
}

function isErrorLike(value: unknown): value is { name: string; message: string; stack?: string } {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { name?: unknown }).name === 'string' &&
    typeof (value as { message?: unknown }).message === 'string' &&
    'stack' in value
  )
}
