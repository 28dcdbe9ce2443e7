/**
 * The part of ethers v5's `BigNumber` that Gelato functions use on what the SDK hands them (`gelatoArgs.gasPrice`,
 * a provider's `getBalance`), on native bigint. It carries ethers' markers (`_isBigNumber`, `_hex`,
 * `toHexString`), so ethers v5's own `BigNumber.from` and `isBigNumber` accept it, and a function may pass it to
 * its own ethers. Bundled into `--compat gelato` functions instead of bn.js: it throws plain `Error`s.
 */
export type BigNumberish = BigNumber | bigint | number | string

export class BigNumber {
  readonly _hex: string
  readonly _isBigNumber = true

  private constructor(value: bigint) {
    this._hex = value < 0n ? `-0x${(-value).toString(16)}` : `0x${value.toString(16)}`
  }

  static from(value: unknown): BigNumber {
    return new BigNumber(toBigInt(value))
  }

  static isBigNumber(value: unknown): value is BigNumber {
    return Boolean(value && (value as { _isBigNumber?: unknown })._isBigNumber)
  }

  toBigInt(): bigint {
    return this._hex.startsWith('-') ? -BigInt(this._hex.slice(1)) : BigInt(this._hex)
  }

  toString(): string {
    return this.toBigInt().toString()
  }

  toHexString(): string {
    return this._hex
  }

  toNumber(): number {
    const value = this.toBigInt()
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER))
      throw new Error(`overflow (fault="overflow", operation="toNumber", value="${value}")`)
    return Number(value)
  }

  toJSON(): { type: 'BigNumber'; hex: string } {
    return { type: 'BigNumber', hex: this._hex }
  }

  add(other: BigNumberish): BigNumber {
    return new BigNumber(this.toBigInt() + toBigInt(other))
  }

  sub(other: BigNumberish): BigNumber {
    return new BigNumber(this.toBigInt() - toBigInt(other))
  }

  mul(other: BigNumberish): BigNumber {
    return new BigNumber(this.toBigInt() * toBigInt(other))
  }

  div(other: BigNumberish): BigNumber {
    return new BigNumber(this.toBigInt() / nonZero(other, 'div'))
  }

  mod(other: BigNumberish): BigNumber {
    return new BigNumber(this.toBigInt() % nonZero(other, 'mod'))
  }

  pow(other: BigNumberish): BigNumber {
    const exponent = toBigInt(other)
    if (exponent < 0n) throw new Error('negative-power (fault="negative-power", operation="pow")')
    return new BigNumber(this.toBigInt() ** exponent)
  }

  abs(): BigNumber {
    const value = this.toBigInt()
    return new BigNumber(value < 0n ? -value : value)
  }

  and(other: BigNumberish): BigNumber {
    return new BigNumber(this.toBigInt() & toBigInt(other))
  }

  or(other: BigNumberish): BigNumber {
    return new BigNumber(this.toBigInt() | toBigInt(other))
  }

  xor(other: BigNumberish): BigNumber {
    return new BigNumber(this.toBigInt() ^ toBigInt(other))
  }

  shl(bits: number): BigNumber {
    return new BigNumber(this.toBigInt() << BigInt(bits))
  }

  shr(bits: number): BigNumber {
    return new BigNumber(this.toBigInt() >> BigInt(bits))
  }

  mask(bits: number): BigNumber {
    return new BigNumber(this.toBigInt() & ((1n << BigInt(bits)) - 1n))
  }

  eq(other: BigNumberish): boolean {
    return this.toBigInt() === toBigInt(other)
  }

  lt(other: BigNumberish): boolean {
    return this.toBigInt() < toBigInt(other)
  }

  lte(other: BigNumberish): boolean {
    return this.toBigInt() <= toBigInt(other)
  }

  gt(other: BigNumberish): boolean {
    return this.toBigInt() > toBigInt(other)
  }

  gte(other: BigNumberish): boolean {
    return this.toBigInt() >= toBigInt(other)
  }

  isZero(): boolean {
    return this.toBigInt() === 0n
  }

  isNegative(): boolean {
    return this.toBigInt() < 0n
  }
}

/** A bigint from what ethers calls BigNumberish: a BigNumber (ours or ethers'), bigint, safe integer, or string. */
export function toBigInt(value: unknown): bigint {
  if (typeof value === 'bigint') return value
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new Error(`invalid BigNumber value (value=${value})`)
    return BigInt(value)
  }
  if (typeof value === 'string') {
    if (/^-?0x[0-9a-fA-F]+$/.test(value))
      return value.startsWith('-') ? -BigInt(value.slice(1)) : BigInt(value)
    if (/^-?[0-9]+$/.test(value)) return BigInt(value)
    throw new Error(`invalid BigNumber string (value="${value}")`)
  }
  const hex =
    value && typeof (value as { toHexString?: unknown }).toHexString === 'function'
      ? (value as { toHexString(): unknown }).toHexString()
      : (value as { _hex?: unknown } | null)?._hex
  if (typeof hex === 'string') return toBigInt(hex)
  throw new Error(`invalid BigNumber value (value=${String(value)})`)
}

function nonZero(value: BigNumberish, operation: string): bigint {
  const number = toBigInt(value)
  if (number === 0n) throw new Error(`division-by-zero (fault="division-by-zero", operation="${operation}")`)
  return number
}
