import { streamsEvents } from '../../contracts/streams.ts'
import { consume } from '../../platform/events/consume.ts'

/**
 * The live sessions projection (streams.online / offline), which chat replay reads to find a
 * past stream's messages. The two events are moments of one session and may arrive in either
 * order: each sets only its own end of the row.
 */
export const streamSessionsProjection = consume(streamsEvents, {
  'streams.online.v1': async (tx, { payload }) => {
    await tx.sql`
      insert into chat_stream_sessions (stream_id, broadcaster_id, started_at)
      values (${payload.stream_id}, ${payload.broadcaster_id}, ${payload.started_at})
      on conflict (stream_id) do update set started_at = excluded.started_at`
  },
  'streams.offline.v1': async (tx, { payload }) => {
    await tx.sql`
      insert into chat_stream_sessions (stream_id, broadcaster_id, ended_at)
      values (${payload.stream_id}, ${payload.broadcaster_id}, ${payload.ended_at})
      on conflict (stream_id) do update set ended_at = excluded.ended_at`
  },
})
