import type { Cut } from './channels.routes.ts'

/**
 * Cuts a live session at nginx-rtmp through its `rtmp_control` HTTP location (`…/control`:
 * STREAMS_RTMP_CONTROL_URL's, or the embedded ingest's once started); without one nothing is cut here, and the session's next `on_update` (answered
 * 404) makes nginx-rtmp drop it within its update interval.
 *
 * @example
 * const cut = rtmpControlCut(() => 'http://127.0.0.1:8088/control')
 * await cut({ login: 'twitchdev' })
 */
export function rtmpControlCut(controlUrlNow: () => string | undefined): Cut {
  return async ({ login }) => {
    const controlUrl = controlUrlNow()
    if (!controlUrl) return
    // By the stream's name, the login it was renamed to: one live session per channel.
    const url = `${controlUrl.replace(/\/$/, '')}/drop/publisher?app=ingest&name=${encodeURIComponent(login)}`
    const response = await fetch(url, { signal: AbortSignal.timeout(5000) })
    if (!response.ok) throw new Error(`rtmp_control answered ${response.status}`)
  }
}
