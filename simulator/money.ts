import { Decimal } from 'decimal.js'

// A private clone: the global Decimal config is shared with the rest of the app.
const Exact = Decimal.clone({ precision: 40, rounding: Decimal.ROUND_HALF_UP })
export type Amount = InstanceType<typeof Exact>

/** Panels answer money with 5 decimals ("0.27819", "100.84292"); SmartPanel keeps 4. */
export const MONEY_PLACES = 5

export function money (value: string | number | Amount): Amount {
  return new Exact(value)
}

export function round (value: Amount, places = MONEY_PLACES): Amount {
  return value.toDecimalPlaces(places, Decimal.ROUND_HALF_UP)
}

export function formatMoney (value: Amount, places = MONEY_PLACES): string {
  return value.toFixed(places)
}
