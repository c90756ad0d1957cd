/**
 * The streams module's published language: channels, live sessions and viewers. Names carry a
 * version; `z.object` drops fields it does not know, so adding a field is not a breaking change.
 */
import { z } from 'zod'

const id = z.string().min(1)
const timestamp = z.iso.datetime({ offset: true })
/** Grows with each change of the channel: consumers keep the highest seen per broadcaster. */
const version = z.number().int().positive()

export const streamsEvents = {
  /** A broadcaster went live: `stream_id` is the live session's, as `GET /api/streams` shows it. */
  'streams.online.v1': z.object({
    stream_id: id,
    broadcaster_id: id,
    broadcaster_login: z.string().min(1),
    started_at: timestamp,
  }),
  /** The live session ended: the media server said so, its updates stopped, or its key was reset. */
  'streams.offline.v1': z.object({
    stream_id: id,
    broadcaster_id: id,
    ended_at: timestamp,
    reason: z.string().min(1),
  }),
  /** The channel's Helix fields as they now are, in full. */
  'streams.channel_updated.v1': z.object({
    broadcaster_id: id,
    broadcaster_language: z.string(),
    game_id: z.string(),
    game_name: z.string(),
    title: z.string(),
    tags: z.array(z.string()),
    version,
  }),
  /**
   * One minute of watching on one live stream: the signed-in viewers seen in that minute, in
   * chunks of at most 1 000 ids (`chunk` of `chunks`), never one event per viewer.
   */
  'streams.viewer_minutes.v1': z.object({
    stream_id: id,
    broadcaster_id: id,
    minute: timestamp,
    user_ids: z.array(id).max(1000),
    anonymous_viewers: z.number().int().min(0),
    chunk: z.number().int().min(1),
    chunks: z.number().int().min(1),
  }),
  /** A live session's recording became a VOD, ready to play (`GET /api/videos?id=`). */
  'streams.vod_created.v1': z.object({
    vod_id: id,
    stream_id: id,
    broadcaster_id: id,
    duration_seconds: z.number().int().min(0),
    created_at: timestamp,
  }),
  /** A clip was cut and is ready (`GET /api/clips?id=`). */
  'streams.clip_created.v1': z.object({
    clip_id: id,
    broadcaster_id: id,
    duration: z.number().int().min(1),
    created_at: timestamp,
  }),
  /** A raid's countdown began: chat can announce it in both channels. */
  'streams.raid_started.v1': z.object({
    raid_id: id,
    from_broadcaster_id: id,
    to_broadcaster_id: id,
    to_broadcaster_login: z.string().min(1),
    completes_at: timestamp,
  }),
  /** The raid went: `viewer_count` viewers are sent from one channel to the other. */
  'streams.raid_completed.v1': z.object({
    raid_id: id,
    from_broadcaster_id: id,
    to_broadcaster_id: id,
    to_broadcaster_login: z.string().min(1),
    viewer_count: z.number().int().min(0),
  }),
  'streams.raid_canceled.v1': z.object({
    raid_id: id,
    from_broadcaster_id: id,
    to_broadcaster_id: id,
  }),
} as const

export type StreamsEventType = keyof typeof streamsEvents
export type StreamsEvent<T extends StreamsEventType> = z.output<(typeof streamsEvents)[T]>
