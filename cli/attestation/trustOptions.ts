import { dirname, resolve } from 'node:path'
import type { Command } from 'commander'
import type { MeasurementPins, TcbStatus } from '../../runtime/enclave/verifyAttestation.js'
import { readInputFile } from '../readInputFile.js'
import { UsageError } from '../UsageError.js'
import { acceptableTcbStatuses, pinnableMeasurements, type TrustPolicy } from './TrustPolicy.js'

type PinName = (typeof pinnableMeasurements)[number]

/** The flags `addTrustOptions` adds, as commander parses them. */
export type TrustOptions = {
  trust?: string
  allowDev?: boolean
  collateral?: string
  tcbStatus?: string
  measurement?: string
  at?: string
} & Partial<Record<PinName, string>>

/** The fields a `--trust` file may hold: the flags' names in camelCase. */
const trustFileFields = ['allowDev', 'collateral', 'tcbStatus', 'measurement', ...pinnableMeasurements]

/** Adds the attestation flags shared by `invoke`, `verify` and `secrets put`. */
export function addTrustOptions(command: Command): Command {
  return command
    .option(
      '--trust <file>',
      `a JSON file with any of ${trustFileFields.join(', ')} (flags given as well win)`,
    )
    .option('--allow-dev', 'accept a dev attestation: no TEE, the operator holds the keys (development only)')
    .option('--collateral <file>', "the DCAP collateral JSON for the worker's quote (from a PCCS)")
    .option(
      '--tcb-status <list>',
      `TCB statuses to accept, comma-separated (default UpToDate; of ${acceptableTcbStatuses.join(', ')})`,
    )
    .option(
      '--measurement <text>',
      "the node's tee.measurement that report_data must bind (default: the one the server names, not pinned)",
    )
    .option('--mrtd <hex>', 'pin MRTD')
    .option('--rtmr0 <hex>', 'pin RTMR0')
    .option('--rtmr1 <hex>', 'pin RTMR1')
    .option('--rtmr2 <hex>', 'pin RTMR2')
    .option('--rtmr3 <hex>', 'pin RTMR3')
    .option('--at <iso time>', 'verify the quote as of this time instead of now (e.g. 2025-07-01T00:00:00Z)')
}

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
