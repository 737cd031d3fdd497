import { Type } from 'typebox'
import { Money, errorResponses } from './common.js'

export const Balance = Type.Object({
  balance: Money,
  currency: Type.String({ examples: ['USD'] })
})

export const getBalanceSchema = {
  tags: ['balance'],
  summary: 'The panel account balance',
  response: { 200: Balance, ...errorResponses }
}
