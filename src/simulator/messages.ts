/**
 * The error strings the simulator answers, worded as real panels word them.
 * Where panels publish nothing (drip-feed limits, a missing type field) the
 * wording follows the same terse style.
 */
export const MESSAGES = {
  invalidKey: 'Invalid API key',
  /** Missing/unknown action, a JSON body, a missing or invalid type field, more than 100 ids. */
  incorrectRequest: 'Incorrect request',
  incorrectOrder: 'Incorrect order ID',
  incorrectService: 'Incorrect service ID',
  refillNotFound: 'Refill not found',
  notEnoughFunds: 'Not enough funds on balance',
  badLink: 'Bad link',
  minQuantity: (min: number) => `Quantity less than minimal ${min}`,
  maxQuantity: (max: number) => `Quantity more than maximum ${max}`,
  /** Drip-feed: `runs` must be an integer ≥ 2. */
  incorrectRuns: 'Incorrect runs',
  /** Drip-feed: `interval` must be an integer ≥ 1 (minutes). */
  incorrectInterval: 'Incorrect interval',
  refillDisabled: 'Refill is disabled for this service',
  notCompleted: 'The order is not completed',
  cancelDisabled: 'Cancel is disabled for this service',
  cannotCancel: 'The order can not be canceled',
  duplicateLink: 'You have active order with this link. Please wait until order being completed.',
  tooManyRequests: 'Too many requests'
} as const
