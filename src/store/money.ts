import { Decimal } from 'decimal.js'

// Amounts are stored as BIGINT counts of 1e-8 currency units. Integer sums are
// exact on both engines (SQLite has no decimal type and would sum REAL floats;
// PostgreSQL's NUMERIC would work but SQLite could not match it), and 8 places
// cover every panel's charge precision. Conversion happens only here, with
// enough precision that a full 64-bit count never rounds.
const Exact = Decimal.clone({ precision: 64, rounding: Decimal.ROUND_HALF_UP })
/** Decimal places the store keeps. */
export const SCALE = 8
const UNIT = new Exact(10).pow(SCALE)
const MAX_UNITS = 2n ** 63n - 1n
const MIN_UNITS = -(2n ** 63n)

/**
 * Integer digits an amount given to the gateway may have: with SCALE places,
 * every 10-digit amount fits a BIGINT count (at most 92233720368.54775807),
 * while an 11-digit one may not.
 */
export const INPUT_INTEGER_DIGITS = 10

/** An amount outside what a BIGINT count of 1e-8 units holds. */
export class AmountOutOfRangeError extends RangeError {
  readonly amount: string

  constructor (amount: string) {
    super(`amount out of the storable range: ${amount}`)
    this.name = 'AmountOutOfRangeError'
    this.amount = amount
  }
}

/** A decimal string (or number of units from an SQL sum) as the integer count of 1e-8 units, rounded half-up. */
export function toUnits (amount: string): bigint {
  const value = new Exact(amount)
  if (!value.isFinite()) throw new RangeError(`not a finite amount: ${amount}`)
  const units = BigInt(value.toDecimalPlaces(SCALE, Decimal.ROUND_HALF_UP).times(UNIT).toFixed(0))
  // Refused here, typed: the drivers would fail later, each with its own error.
  if (units > MAX_UNITS || units < MIN_UNITS) throw new AmountOutOfRangeError(amount)
  return units
}

/** Integer units as the database returns them (bigint from SQLite, text from pg) back to a decimal string. */
export function fromUnits (units: bigint | number | string): string {
  if (typeof units === 'number' && !Number.isSafeInteger(units)) {
    throw new RangeError(`amount units not a safe integer: ${units}`)
  }
  return new Exact(units.toString()).div(UNIT).toFixed()
}

export function toUnitsOrNull (amount: string | null | undefined): bigint | null {
  return amount === null || amount === undefined ? null : toUnits(amount)
}

export function fromUnitsOrNull (units: bigint | number | string | null): string | null {
  return units === null ? null : fromUnits(units)
}

/** Normalises a decimal string the way it reads back from the store. */
export function normaliseAmount (amount: string): string {
  return fromUnits(toUnits(amount))
}
