// json_encode as the PHP scripts call it: `\/` and `\uXXXX` escapes, floats
// written with a fraction, keys kept in the order the script set them.

/** A PHP float: 1000.0, 0.09, 1.0e-5. */
export class PhpFloat {
  constructor (readonly value: number) {}
}

/** A PHP array with keys in insertion order (a JS object would put integer-like keys first). */
export class PhpObject {
  constructor (readonly entries: ReadonlyArray<readonly [string, PhpValue]>) {}
}

export type PhpValue = null | boolean | number | string | PhpFloat | PhpObject | readonly PhpValue[] | { readonly [name: string]: PhpValue }

function phpString (text: string): string {
  return JSON.stringify(text).replace(/[\u0080-\uffff/]/g, (c) => c === '/' ? '\\/' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

/** PHP's serialize_precision -1: the shortest digits, exponent below 1e-4 and from 1e17 on, always a fraction. */
function phpFloat (value: number): string {
  if (!Number.isFinite(value)) return '0'
  const size = Math.abs(value)
  if (size !== 0 && (size < 1e-4 || size >= 1e17)) {
    const [mantissa, exponent] = value.toExponential().split('e') as [string, string]
    return `${mantissa.includes('.') ? mantissa : `${mantissa}.0`}e${exponent}`
  }
  const text = String(value)
  return text.includes('.') ? text : `${text}.0`
}

function entriesOf (value: PhpObject | { readonly [name: string]: PhpValue }): ReadonlyArray<readonly [string, PhpValue]> {
  return value instanceof PhpObject ? value.entries : Object.entries(value)
}

function encode (value: PhpValue, indent: string | undefined, depth: number): string {
  if (value === null) return 'null'
  if (typeof value === 'boolean') return String(value)
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : phpFloat(value)
  if (typeof value === 'string') return phpString(value)
  if (value instanceof PhpFloat) return phpFloat(value.value)
  const array = Array.isArray(value)
  const items: string[] = array
    ? (value as readonly PhpValue[]).map((item) => encode(item, indent, depth + 1))
    : entriesOf(value as PhpObject).map(([name, item]) => `${phpString(name)}:${indent === undefined ? '' : ' '}${encode(item, indent, depth + 1)}`)
  const [open, close] = array ? ['[', ']'] : ['{', '}']
  if (items.length === 0) return open + close
  if (indent === undefined) return open + items.join(',') + close
  const inner = `\n${indent.repeat(depth + 1)}`
  return `${open}${inner}${items.join(`,${inner}`)}\n${indent.repeat(depth)}${close}`
}

/** `json_encode($value)`, or with JSON_PRETTY_PRINT (4 spaces) when `pretty`. */
export function phpJson (value: PhpValue, pretty = false): string {
  return encode(value, pretty ? '    ' : undefined, 0)
}
