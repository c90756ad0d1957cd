/**
 * Probe modules for the event tests: a producer and a consumer with their own migrations,
 * standing in for real modules (the platform may import none), under names and databases
 * of their own.
 */
import { OpenAPIHono } from '@hono/zod-openapi'
import { resolve } from 'node:path'
import { transactionOn } from '../db/database.ts'
import type { Sql } from 'postgres'
import { z } from 'zod'
import type { AppEnv } from '../http/env.ts'
import type { ModuleDefinition } from '../module.ts'
import { consume } from './consume.ts'
import { publisher } from './publish.ts'
import { pings } from './test-probe/schema.ts'

export const probeEvents = {
  'probe.pinged.v1': z.object({ n: z.number().int(), fail: z.literal('always').optional() }),
}
export const PROBE_TYPE = 'probe.pinged.v1'

const publish = publisher(probeEvents)
const migrations = resolve(import.meta.dir, 'test-probe/migrations')

export const probeProducer: ModuleDefinition = {
  name: 'probe-producer',
  prefixes: [],
  migrations,
  produces: probeEvents,
  create: () => ({ routes: new OpenAPIHono<AppEnv>() }),
}

/**
 * Handler calls per event id, across every replica of this test process. A batch that failed
 * counts too: its events are then tried again one by one, so a poison event delivered with
 * others counts one call more than its deliveries, and so does each of its companions.
 */
export type Attempts = Map<string, number>

/**
 * A consumer replica; `replica` marks the rows it writes, so a test sees who handled what. It
 * takes a delivery's pings in one call and inserts them in one statement; an event with
 * `fail: 'always'` makes the whole call throw, as a poison event would.
 */
export function probeConsumer(replica: string, attempts: Attempts = new Map()): ModuleDefinition {
  return {
    name: 'probe-consumer',
    prefixes: [],
    migrations,
    consumes: consume(probeEvents, {
      'probe.pinged.v1': {
        handleMany: async (tx, events) => {
          for (const event of events) attempts.set(event.id, (attempts.get(event.id) ?? 0) + 1)
          if (events.some((event) => event.payload.fail === 'always')) throw new Error('the probe was told to fail')
          await tx.insert(pings).values(events.map((event) => ({ eventId: event.id, n: event.payload.n, replica })))
        },
      },
    }),
    create: () => ({ routes: new OpenAPIHono<AppEnv>() }),
  }
}

/** Commits probe events in one transaction on the producer's database, as module code would; returns their ids. */
export function pingFrom(sql: Sql, ...payloads: z.input<(typeof probeEvents)['probe.pinged.v1']>[]): Promise<string[]> {
  return transactionOn(sql, async (tx) => {
    const ids: string[] = []
    for (const payload of payloads) ids.push(await publish(tx, 'probe.pinged.v1', payload))
    return ids
  })
}

/** Polls `check` until it holds; fails with `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await Bun.sleep(20)
  }
}
