import { streamsError } from './errors.ts'

/** A broadcaster's own actions (channel edits, the stream key, raids): `channel.not_owner` for anyone else. */
export function ownerOnly(callerId: string, broadcasterId: string): void {
  if (callerId !== broadcasterId) throw streamsError('channel.not_owner', 'Only the broadcaster may do this')
}
