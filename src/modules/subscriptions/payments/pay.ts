import { z } from '@hono/zod-openapi'
import type { ModuleDatabase } from '../../../platform/db/database.ts'
import { once } from '../idempotency.ts'
import type { Checkout, Purchase } from '../purchases.ts'

/** A paid action's answer: the payment as its checkout left it (`dev`: succeeded; Stripe: pending, with the page to pay on). */
export const PaymentView = z
  .object({
    payment_id: z.string(),
    kind: z.enum(['subscription', 'gift', 'donation']),
    status: z.enum(['pending', 'succeeded']),
    amount: z.number().int().openapi({ description: "In the currency's minor units" }),
    currency: z.string(),
    checkout_url: z.string().nullable().openapi({ description: 'Stripe Checkout, where the buyer pays; null once paid' }),
  })
  .openapi('Payment')
export type PaymentAnswer = z.infer<typeof PaymentView>

/** A continuation that needs a card saved first (Stripe: nothing on file): it continues once the subscriber saves one at `checkout_url`. */
export const CardSetupView = z
  .object({
    setup_id: z.string(),
    subscription_id: z.string(),
    status: z.literal('pending'),
    checkout_url: z.string().nullable().openapi({ description: 'Stripe Checkout in setup mode, where the card the renewals charge is saved; nothing is charged there' }),
  })
  .openapi('CardSetup')
export type CardSetupAnswer = z.infer<typeof CardSetupView>

/**
 * A paid action's answer from its purchase and what its checkout started.
 * @example
 * const payment = paymentAnswer(purchase, await checkout(purchase, tx))
 */
export function paymentAnswer(purchase: Purchase, started: Awaited<ReturnType<Checkout>>): PaymentAnswer {
  return {
    payment_id: started.paymentId,
    kind: purchase.kind,
    status: started.status,
    amount: purchase.amount,
    currency: purchase.currency,
    checkout_url: started.checkoutUrl,
  }
}

/**
 * Checks a purchase out under its `Idempotency-Key` (when given): the first request makes the
 * payment, in the transaction that claims the key; its retries get that answer (`replayed`),
 * even while it still runs; the key with another purchase is `idempotency.mismatch`.
 * @example
 * const { payment, replayed } = await pay(database, checkout, purchase, c.req.valid('header')['idempotency-key'])
 * if (replayed) c.header('Idempotent-Replayed', 'true')
 */
export async function pay(
  database: ModuleDatabase,
  checkout: Checkout,
  purchase: Purchase,
  idempotencyKey: string | undefined,
): Promise<{ payment: PaymentAnswer; replayed: boolean }> {
  const answerOf = async (tx?: Parameters<Checkout>[1]) => paymentAnswer(purchase, await checkout(purchase, tx))
  if (idempotencyKey === undefined) return { payment: await answerOf(), replayed: false }
  const { answer, replayed } = await once(
    database,
    { userId: purchase.purchaserId, operation: `pay:${purchase.kind}`, key: idempotencyKey, request: purchase },
    async (tx) => ({ status: 201, body: await answerOf(tx) }),
  )
  return { payment: answer.body as PaymentAnswer, replayed }
}
