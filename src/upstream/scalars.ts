import { Decimal } from 'decimal.js'

// Panel values as they come (numbers as strings, "$0.50", "10,000", "1"/"true") to typed ones.

export type Json = Record<string, unknown>

export function isRecord (value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** An own member only: `{}.constructor` must not read as a panel field. */
export function own (value: Json, name: string): unknown {
  return Object.hasOwn(value, name) ? value[name] : undefined
}

const CURRENCY_SIGNS = '$€£¥₹₺₽₴₦₱₩฿₫'
const PREFIX = new RegExp(`^(?:[${CURRENCY_SIGNS}]\\s*|[A-Za-z]{3}\\s+)`)
const SUFFIX = new RegExp(`(?:\\s*[${CURRENCY_SIGNS}]|\\s+[A-Za-z]{3})$`)
const THOUSANDS = /^\d{1,3}(?:,\d{3})+(?:\.\d*)?$/
const PLAIN = /^(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d{1,3})?$/i
// Beyond this a "number" is garbage, and toFixed() of 1e999 would build a huge string.
const MAX_EXPONENT = 30

function parseDecimal (value: unknown): Decimal | null {
  let text: string
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return null
    text = String(value)
  } else if (typeof value === 'string') {
    if (value.length > 64) return null
    text = value.trim()
  } else {
    return null
  }
  let sign = ''
  if (text.startsWith('-') || text.startsWith('+')) {
    sign = text[0] === '-' ? '-' : ''
    text = text.slice(1).trimStart()
  }
  text = text.replace(PREFIX, '').replace(SUFFIX, '')
  if (text.includes(',')) {
    // "10,000" is a thousands separator; "0,50" could be a decimal comma: refuse to guess.
    if (!THOUSANDS.test(text)) return null
    text = text.replaceAll(',', '')
  }
  if (!PLAIN.test(text)) return null
  const d = new Decimal(sign + text)
  if (!d.isFinite() || Math.abs(d.e) > MAX_EXPONENT) return null
  return d
}

/** A canonical decimal string ("0.90" → "0.9", "$1,000.50" → "1000.5"), or null. */
export function toDecimalString (value: unknown): string | null {
  try {
    const d = parseDecimal(value)
    if (d === null) return null
    return d.isZero() ? '0' : d.toFixed()
  } catch {
    return null
  }
}

/** A safe integer from a number or a numeric string ("10,000", " 12 ", "-5"), or null. */
export function toInteger (value: unknown): number | null {
  try {
    const d = parseDecimal(value)
    if (d === null || !d.isInteger()) return null
    const n = d.toNumber()
    return Number.isSafeInteger(n) ? (n === 0 ? 0 : n) : null
  } catch {
    return null
  }
}

/** A positive integer id from a number or a string ("1", " 23 "), or null. */
export function toId (value: unknown): number | null {
  if (typeof value !== 'number' && typeof value !== 'string') return null
  if (typeof value === 'string' && !/^\s*\d{1,16}\s*$/.test(value)) return null
  const n = toInteger(value)
  return n !== null && n >= 1 ? n : null
}

const TRUE = new Set(['1', 'true', 'yes'])

/** true for true, 1, "1", "true", "yes" (any case); false for anything else. */
export function toBoolean (value: unknown): boolean {
  if (value === true || value === 1) return true
  return typeof value === 'string' && value.length <= 16 && TRUE.has(value.trim().toLowerCase())
}

const FALSE = new Set(['0', 'false', 'no'])

/** A capability flag: true or false when the panel states it, null when it does not (missing, null, unreadable). */
export function toFlag (value: unknown): boolean | null {
  if (value === undefined || value === null) return null
  if (toBoolean(value)) return true
  if (value === false || value === 0) return false
  if (typeof value === 'string' && value.length <= 16 && FALSE.has(value.trim().toLowerCase())) return false
  return null
}

/** An order limit (`min`/`max`): a non-negative integer, or null when missing, null, negative or unreadable. */
export function toLimit (value: unknown): number | null {
  const n = toInteger(value)
  return n === null || n < 0 ? null : n
}

export function toText (value: unknown, max = 1000): string | null {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value)
  if (typeof value !== 'string') return null
  const text = value.trim()
  if (text === '') return null
  return text.length > max ? text.slice(0, max) : text
}

export function toCurrency (value: unknown): string | null {
  const text = toText(value, 16)
  if (text === null || /^\d/.test(text)) return null
  return /^[a-z]{3}$/i.test(text) ? text.toUpperCase() : text
}
