import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { UsageError } from '../UsageError.js'

const scalarTypes = new Set(['string', 'number', 'boolean'])

/**
 * Checks `userArgs` against the `schema.json` beside a Gelato function's entry, when there is one, as Gelato's
 * runner does before a run (`userArgs: { name: "string" | "number" | "boolean" | "string[]" | ... }`), with its
 * messages. A mismatch is a usage error: the function does not run.
 */
export async function checkGelatoUserArgs(entry: string, userArgs: Record<string, unknown>): Promise<void> {
  const schemaFile = join(dirname(entry), 'schema.json')
  if (!existsSync(schemaFile)) return
  let schema: { userArgs?: unknown }
  try {
    schema = JSON.parse(await readFile(schemaFile, 'utf8'))
  } catch {
    throw new UsageError(`${schemaFile} is not valid JSON`)
  }
  const types = (schema.userArgs ?? {}) as Record<string, unknown>
  for (const [key, type] of Object.entries(types)) {
    const value = userArgs[key]
    if (value === undefined) throw schemaError(`Missing user arg '${key}'`, schemaFile)
    const itemType = typeof type === 'string' && type.endsWith('[]') ? type.slice(0, -2) : undefined
    if (typeof type !== 'string' || !scalarTypes.has(itemType ?? type))
      throw schemaError(`Unrecognized type '${String(type)}' for user arg '${key}'`, schemaFile)
    const fits =
      itemType === undefined
        ? typeof value === type
        : Array.isArray(value) && value.every((item) => typeof item === itemType)
    if (!fits) throw schemaError(`Invalid ${type} value '${String(value)}' for user arg '${key}'`, schemaFile)
  }
}

function schemaError(message: string, schemaFile: string): UsageError {
  return new UsageError(
    `Web3FunctionSchemaError: ${message}`,
    `--user-args must match the userArgs of ${schemaFile}`,
  )
}
