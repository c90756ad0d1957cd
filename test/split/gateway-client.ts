/** A client of the split deployment that, like any client, only ever talks to the gateway. */

export type Viewer = { id: string; login: string; token: string }

type Registered = { data: { user_id: string; login: string; access_token: string } }

export function gatewayClient(gateway: string) {
  const expectStatus = async (what: string, response: Response, status: number) => {
    if (response.status !== status) throw new Error(`${what}: ${response.status} ${await response.text()}`)
  }
  return {
    async register(login: string): Promise<Viewer> {
      const response = await fetch(`${gateway}/api/auth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ login, email: `${login}@split.test`, password: 'correct horse battery' }),
      })
      await expectStatus(`register ${login}`, response, 201)
      const { data } = (await response.json()) as Registered
      return { id: data.user_id, login: data.login, token: data.access_token }
    },
    /** PUT to follow, DELETE to unfollow; both answer 204. */
    async setFollowing(follower: Viewer, followed: Viewer, following: boolean): Promise<void> {
      const response = await fetch(`${gateway}/api/users/${followed.id}/follow`, {
        method: following ? 'PUT' : 'DELETE',
        headers: { authorization: `Bearer ${follower.token}` },
      })
      await expectStatus(`${follower.login} ${following ? 'follows' : 'unfollows'} ${followed.login}`, response, 204)
    },
  }
}

export type GatewayClient = ReturnType<typeof gatewayClient>

/** Runs `task` on each item, at most `concurrency` at a time; rejects with the first failure. */
export async function inParallel<T>(items: readonly T[], concurrency: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < items.length) await task(items[next++] as T)
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker))
}

/** Who follows whom as the test has asked for it, by `follower>followed` user ids. */
export type FollowGraph = Set<string>

export const pairKey = (follower: Viewer, followed: Viewer) => `${follower.id}>${followed.id}`

/** Every (follower, followed) pair of distinct viewers, in random order. */
export function shuffledPairs(viewers: readonly Viewer[]): (readonly [Viewer, Viewer])[] {
  const pairs = viewers.flatMap((follower) =>
    viewers.filter((v) => v !== follower).map((followed) => [follower, followed] as const),
  )
  for (let i = pairs.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    ;[pairs[i], pairs[j]] = [pairs[j]!, pairs[i]!]
  }
  return pairs
}

/** Follows if `follower` does not follow `followed` yet, unfollows otherwise: each toggle is one event. */
export async function toggleFollow(client: GatewayClient, graph: FollowGraph, follower: Viewer, followed: Viewer): Promise<void> {
  const key = pairKey(follower, followed)
  const follow = !graph.has(key)
  await client.setFollowing(follower, followed, follow)
  if (follow) graph.add(key)
  else graph.delete(key)
}

export type FollowTraffic = {
  /** Toggles done so far; throws the first failed request's error. */
  toggles: () => number
  /** Lets the requests in flight finish and sends no more. */
  stop: () => Promise<void>
}

/**
 * Steady follow/unfollow traffic until stopped: `workers` clients toggling random pairs,
 * `pauseMs` apart. Each pair belongs to one worker, so a pair's follows and unfollows are
 * sent one after another and the users database orders them unambiguously.
 */
export function startFollowTraffic(
  client: GatewayClient,
  viewers: readonly Viewer[],
  graph: FollowGraph,
  options: { workers: number; pauseMs: number },
): FollowTraffic {
  const pairs = shuffledPairs(viewers)
  let toggles = 0
  let failure: unknown
  let stopped = false
  const worker = async (w: number) => {
    const mine = pairs.filter((_, i) => i % options.workers === w)
    while (!stopped) {
      const [follower, followed] = mine[Math.floor(Math.random() * mine.length)]!
      await toggleFollow(client, graph, follower, followed)
      toggles++
      await Bun.sleep(options.pauseMs)
    }
  }
  const running = Promise.all(Array.from({ length: options.workers }, (_, w) => worker(w))).catch((error: unknown) => {
    failure = error
    stopped = true
  })
  return {
    toggles: () => {
      if (failure) throw failure
      return toggles
    },
    stop: async () => {
      stopped = true
      await running
      if (failure) throw failure
    },
  }
}
