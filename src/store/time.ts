// Budgets and usage are counted per UTC calendar day and month.

export interface Window {
  from: Date
  to: Date
}

export function utcDay (now: Date): Window {
  const from = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()))
  const to = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1))
  return { from, to }
}

export function utcMonth (now: Date): Window {
  const from = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1))
  const to = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1))
  return { from, to }
}

/** 'YYYY-MM-DD' */
export function dayKey (date: Date): string {
  return date.toISOString().slice(0, 10)
}

/** 'YYYY-MM' */
export function monthKey (date: Date): string {
  return date.toISOString().slice(0, 7)
}

export function addUtcDays (date: Date, days: number): Date {
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate() + days))
}

export function addUtcMonths (date: Date, months: number): Date {
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + months, 1))
}
