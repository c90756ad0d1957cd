import { z } from '@hono/zod-openapi'
import type { Channel } from './channels.ts'

/** Content classification labels Helix knows. */
export const CLASSIFICATION_LABELS = [
  'DebatedSocialIssuesAndPolitics',
  'DrugsIntoxication',
  'SexualThemes',
  'ViolentGraphic',
  'Gambling',
  'ProfanityVulgarity',
] as const

/** Channel information with Helix's field names. */
export const ChannelView = z
  .object({
    broadcaster_id: z.string().openapi({ example: '141981764' }),
    broadcaster_login: z.string().openapi({ example: 'twitchdev' }),
    broadcaster_name: z.string().openapi({ example: 'TwitchDev' }),
    broadcaster_language: z.string().openapi({ example: 'en' }),
    game_id: z.string().openapi({ description: '"" when none' }),
    game_name: z.string(),
    title: z.string(),
    delay: z.number().int(),
    tags: z.array(z.string()),
    content_classification_labels: z.array(z.enum(CLASSIFICATION_LABELS)),
    is_branded_content: z.boolean(),
  })
  .openapi('Channel')

export const toChannelView = (channel: Channel): z.infer<typeof ChannelView> => ({
  broadcaster_id: channel.broadcasterId,
  broadcaster_login: channel.login,
  broadcaster_name: channel.displayName,
  broadcaster_language: channel.language,
  game_id: channel.gameId,
  game_name: channel.gameName,
  title: channel.title,
  delay: channel.delay,
  tags: channel.tags,
  content_classification_labels: channel.contentClassificationLabels as (typeof CLASSIFICATION_LABELS)[number][],
  is_branded_content: channel.isBrandedContent,
})
