/**
 * Twitch's refusal `msg-id` for each domain error code, per command where Twitch words them
 * apart (`bad_ban_self`, `bad_timeout_self`); tmi.js 1.8.5 rejects the command's promise on
 * exactly these. Codes no command lists fall back to `ANY_COMMAND`.
 */
export const ANY_COMMAND: Record<string, string> = {
  'chat.not_moderator': 'no_permission',
  'chat.not_broadcaster': 'no_permission',
  'chat.user_not_found': 'invalid_user',
}

export const REFUSALS: Record<string, Record<string, string>> = {
  ban: {
    'ban.already_banned': 'already_banned',
    'ban.broadcaster': 'bad_ban_broadcaster',
    'ban.self': 'bad_ban_self',
    'ban.moderator': 'bad_ban_mod',
  },
  timeout: {
    'ban.already_banned': 'already_banned',
    'ban.broadcaster': 'bad_timeout_broadcaster',
    'ban.self': 'bad_timeout_self',
    'ban.moderator': 'bad_timeout_mod',
    'ban.duration': 'bad_timeout_duration',
  },
  unban: { 'ban.not_banned': 'bad_unban_no_ban' },
  untimeout: { 'ban.not_banned': 'bad_unban_no_ban', 'ban.permanent': 'untimeout_banned' },
  delete: {
    'message.not_found': 'bad_delete_message_error',
    'message.too_old': 'bad_delete_message_error',
    'message.broadcaster': 'bad_delete_message_broadcaster',
    'message.moderator': 'bad_delete_message_mod',
  },
  mod: { 'moderator.already': 'bad_mod_mod', 'moderator.banned': 'bad_mod_banned' },
  unmod: { 'moderator.not_moderator': 'bad_unmod_mod' },
  vip: {
    'vip.already': 'bad_vip_grantee_already_vip',
    'vip.banned': 'bad_vip_grantee_banned',
    // Twitch's msg-id list has no refusal for a moderator made VIP (Helix answers 422): tmi.js 1.8.5
    // rejects vip() only on its five bad_vip_* / usage_vip ids, and a moderator holds a VIP's privileges already.
    'vip.moderator': 'bad_vip_grantee_already_vip',
  },
  unvip: { 'vip.not_vip': 'bad_unvip_grantee_not_vip' },
}

/** The `msg-id` refusing `code` for `command`, or undefined for a code no command answers (a bug, logged by the connection). */
export const refusalOf = (command: string, code: string): string | undefined => REFUSALS[command]?.[code] ?? ANY_COMMAND[code]
