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

/** SmartPanel's wordings, from its English language table. */
export const SMARTPANEL_MESSAGES = {
  /** A wrong, missing or disabled key. */
  disabledKey: 'API is Disable for this user or User Not Found! Contact the Support',
  /** Any action but services, add, status and balance (refill, cancel and refill_status included). */
  invalidAction: 'This action is Invalid',
  missingParameters: 'There are missing required parameters. Please check your API Manual',
  serviceNotFound: 'Service ID does not exists',
  commentsRequired: 'Comments field is required',
  quantityRequired: 'Quantity is required',
  badLink: 'Bad Link',
  minQuantity: (min: number) => `Quantity must to be greater than or equal to minimum amount ${min}`,
  maxQuantity: (max: number) => `Quantity must to be less than or equal to maximum amount ${max}`,
  notEnoughFunds: 'Not enough funds on balance',
  noDripFeed: 'This services does not support Dripfeed feature!',
  intervalRequired: 'Interval time is required',
  runsRequired: 'Runs is required',
  /** The one check answered as `{"status":"error","message":…}`. */
  invalidInterval: 'Invalid Interval in minutes',
  incorrectOrder: 'Incorrect order ID',
  /** Only with `rejectDuplicateLinks`: the script itself has no such check. */
  duplicateLink: 'There is already an active order for this link. Please wait until it is completed.'
} as const

/** The rental script's errors: text and code, 101–105 as strings, the others as numbers. */
export const RENTAL_ERRORS = {
  /** No key or no action. */
  missingData: { error: 'Missing data', status: '101' },
  invalidKey: { error: 'API key invalid', status: '102' },
  inactive: { error: 'Your account is inactive', status: '103' },
  /** Also every `orders=`/`refills=` call: the script reads the single field only. */
  orderNotFound: { error: 'Order not found.', status: '104' },
  serviceNotFound: { error: 'Service not found or inactive', status: '105' },
  requiredFields: { error: 'You must fill in the required fields.', status: 107 },
  minQuantity: { error: 'Enter a value above the minimum number.', status: 108 },
  maxQuantity: { error: 'Maximum number exceed.', status: 109 },
  subscriptionMinAboveMax: { error: 'Minimum number can not be much than maximum number.', status: 110 },
  subscriptionMin: { error: 'Enter a value above the minimum number.', status: 111 },
  subscriptionMax: { error: 'Maximum number exceed', status: 112 },
  duplicateLink: { error: 'You cannot start a new order with the same link that is active processing order.', status: 113 },
  insufficientBalance: { error: 'Your balance is insufficient.', status: 113 }
} as const
