import { z } from 'zod'

/** MediaMTX's control API (v3, its `apiAddress`), as far as Ondes uses it. */
export type MediaMtxApi = {
  /** Kicks the publisher `clientId` (MTX_SOURCE_ID) off the path `login`; nothing when it is gone already. */
  kick: (session: { login: string; clientId: string }) => Promise<void>
  /** The source ids of every path that is published now: the sessions MediaMTX still carries. */
  carried: () => Promise<string[]>
}

const Source = z.object({ type: z.string(), id: z.string() }).nullish()
// `ready` is the older name of `online` (MediaMTX deprecated it, and still sends both).
const Path = z.object({ name: z.string(), online: z.boolean().optional(), ready: z.boolean().optional(), source: Source })
const PathList = z.object({ pageCount: z.number().int(), items: z.array(Path) })

/** A publishing source's type → the API collection its kick is under (`POST /v3/<collection>/kick/{id}`). */
const KICKED_BY: Record<string, string> = {
  rtmpConn: 'rtmpconns',
  rtmpsConn: 'rtmpsconns',
  rtspSession: 'rtspsessions',
  rtspsSession: 'rtspssessions',
  srtConn: 'srtconns',
  webRTCSession: 'webrtcsessions',
}

const PAGE_SIZE = 100

/**
 * MediaMTX's API at `apiUrl` (`http://127.0.0.1:9997`). The publisher of a path is kicked under
 * its protocol's collection, which the path's `source.type` names.
 *
 * @example
 * const mediamtx = mediaMtxApi('http://127.0.0.1:9997')
 * await mediamtx.kick({ login: 'twitchdev', clientId: '4f6a1c2e-…' })
 */
export function mediaMtxApi(apiUrl: string): MediaMtxApi {
  const base = apiUrl.replace(/\/$/, '')
  const call = async (path: string, init: RequestInit = {}): Promise<Response | undefined> => {
    const response = await fetch(`${base}${path}`, { ...init, signal: AbortSignal.timeout(5000) })
    if (response.status === 404) return undefined
    if (!response.ok) throw new Error(`MediaMTX API ${init.method ?? 'GET'} ${path} answered ${response.status}`)
    return response
  }
  return {
    kick: async ({ login, clientId }) => {
      const found = await call(`/v3/paths/get/${encodeURIComponent(login)}`)
      const source = found && Path.parse(await found.json()).source
      if (!source) return
      const collection = KICKED_BY[source.type]
      if (!collection) throw new Error(`MediaMTX: no kick for a ${source.type} publisher`)
      await call(`/v3/${collection}/kick/${encodeURIComponent(clientId)}`, { method: 'POST' })
    },
    carried: async () => {
      const ids: string[] = []
      for (let page = 0, pages = 1; page < pages; page++) {
        const response = await call(`/v3/paths/list?page=${page}&itemsPerPage=${PAGE_SIZE}`)
        if (!response) throw new Error('MediaMTX API: /v3/paths/list not found (api: yes?)')
        const list = PathList.parse(await response.json())
        pages = list.pageCount
        for (const path of list.items) if ((path.online ?? path.ready) && path.source) ids.push(path.source.id)
      }
      return ids
    },
  }
}
