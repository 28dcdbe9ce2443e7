import { dirname, resolve } from 'node:path'
import type { MeasurementPins, TcbStatus } from '../../runtime/enclave/verifyAttestation.js'
import { readInputFile } from '../readInputFile.js'
import { UsageError } from '../UsageError.js'
import {
  acceptableTcbStatuses,
  pinnableMeasurements,
  type TrustPolicy,
  trustFileFields,
} from './TrustPolicy.js'

type PinName = (typeof pinnableMeasurements)[number]

/** The flags `addTrustOptions` (cli/definitions) adds, as commander parses them. */
export type TrustOptions = {
  trust?: string
  allowDev?: boolean
  collateral?: string
  tcbStatus?: string
  measurement?: string
  at?: string
} & Partial<Record<PinName, string>>

/**
 * The trust policy the flags and the `--trust` file describe, checked: a malformed value, an unknown field or
 * an unreadable file is a usage error naming it. Collateral paths in the file are relative to the file.
 */
export async function resolveTrustPolicy(options: TrustOptions): Promise<TrustPolicy> {
  const file = options.trust === undefined ? {} : await readTrustFile(options.trust)
  const where = (flag: string, fromFile: boolean) =>
    fromFile ? `${flag.replace(/^--/, '')} in ${options.trust}` : flag

  const allowDev = options.allowDev ?? file.allowDev ?? false
  let collateral: string | undefined
  const collateralPath =
    options.collateral ??
    (file.collateral === undefined ? undefined : resolve(dirname(options.trust!), file.collateral))
  if (collateralPath !== undefined) {
    collateral = (await readInputFile(collateralPath, 'collateral')).toString('utf8')
    try {
      JSON.parse(collateral)
    } catch {
      throw new UsageError(`the collateral file ${collateralPath} is not JSON`)
    }
  }

  const statusList = options.tcbStatus ?? file.tcbStatus
  const tcbStatuses = statusList === undefined ? (['UpToDate'] as TcbStatus[]) : parseStatuses(statusList)

  const measurementText = options.measurement ?? file.measurement
  const measurement = measurementText === undefined ? undefined : new TextEncoder().encode(measurementText)

  const pins: MeasurementPins = {}
  for (const name of pinnableMeasurements) {
    const value = options[name] ?? file[name]
    if (value === undefined) continue
    if (!/^(0x)?([0-9a-fA-F]{2})+$/.test(value)) {
      throw new UsageError(`${where(`--${name}`, options[name] === undefined)} must be hex`)
    }
    pins[name] = value.toLowerCase().replace(/^(?!0x)/, '0x')
  }
  const at = options.at === undefined ? undefined : new Date(options.at)
  if (at && Number.isNaN(at.getTime())) {
    throw new UsageError(`--at ${options.at} is not an ISO time`, 'e.g. 2025-07-01T00:00:00Z')
  }
  return { allowDev, collateral, tcbStatuses, measurement, pins, at }
}

type TrustFile = {
  allowDev?: boolean
  collateral?: string
  tcbStatus?: string | string[]
  measurement?: string
} & Partial<Record<PinName, string>>

async function readTrustFile(path: string): Promise<TrustFile> {
  const text = (await readInputFile(path, 'trust')).toString('utf8')
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new UsageError(`the trust file ${path} is not JSON`)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UsageError(`the trust file ${path} must hold a JSON object`)
  }
  const record = value as Record<string, unknown>
  for (const [field, entry] of Object.entries(record)) {
    if (!trustFileFields.includes(field)) {
      throw new UsageError(
        `the trust file ${path} has an unknown field ${field}`,
        `use ${trustFileFields.join(', ')}`,
      )
    }
    const wanted =
      field === 'allowDev'
        ? typeof entry === 'boolean'
        : field === 'tcbStatus'
          ? typeof entry === 'string' ||
            (Array.isArray(entry) && entry.every((item) => typeof item === 'string'))
          : typeof entry === 'string'
    if (!wanted) {
      const form =
        field === 'allowDev' ? 'true or false' : field === 'tcbStatus' ? 'a list of statuses' : 'a string'
      throw new UsageError(`${field} in the trust file ${path} must be ${form}`)
    }
  }
  return record as TrustFile
}

function parseStatuses(list: string | string[]): TcbStatus[] {
  const names = (Array.isArray(list) ? list : list.split(',')).map((name) => name.trim()).filter(Boolean)
  if (names.length === 0) throw new UsageError('--tcb-status names no status')
  for (const name of names) {
    if (!(acceptableTcbStatuses as readonly string[]).includes(name)) {
      throw new UsageError(
        `--tcb-status ${name} is not a TCB status`,
        `use ${acceptableTcbStatuses.join(', ')}`,
      )
    }
  }
  return names as TcbStatus[]
}
