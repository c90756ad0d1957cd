import type { ModuleDatabase } from '../../platform/db/database.ts'
import { hasPgCode, PG } from '../../platform/db/errors.ts'
import { streamsError } from './errors.ts'

/** A category (Helix "game"). */
export type Category = { id: string; name: string; boxArtUrl: string; igdbId: string }
export type CategoryInput = { name: string; boxArtUrl?: string; igdbId?: string }
/** A category with the viewers of its live streams now, for the top list. */
export type RankedCategory = Category & { viewers: number }

type Row = { id: string; name: string; box_art_url: string; igdb_id: string }
const toCategory = (row: Row): Category => ({ id: row.id, name: row.name, boxArtUrl: row.box_art_url, igdbId: row.igdb_id })

export type Categories = {
  lookup: (query: { ids: string[]; names: string[]; igdbIds: string[] }) => Promise<Category[]>
  /** Names containing `query` (any case), by name; `after` is the last name and id of the previous page. */
  search: (query: string, first: number, after?: readonly [string, string]) => Promise<Category[]>
  /** By live viewers, most first; `after` is the last page's viewers and id. */
  top: (first: number, after?: readonly [number, string]) => Promise<RankedCategory[]>
  create: (input: CategoryInput) => Promise<Category>
  update: (id: string, input: Partial<CategoryInput>) => Promise<Category>
  remove: (id: string) => Promise<void>
}

const taken = () => streamsError('category.taken', 'A category with this name exists', { errors: [{ field: 'name', message: 'taken' }] })
const missing = () => streamsError('category.not_found', 'No category with this id')

/**
 * Categories: Helix's "Get Games", "Search Categories", "Get Top Games", and admin edits.
 *
 * @example
 * const categories = createCategories(database)
 * const game = await categories.create({ name: 'Just Chatting' })
 */
export function createCategories(database: ModuleDatabase): Categories {
  const { sql } = database
  const columns = sql`id::text as id, name, box_art_url, igdb_id`
  const guard = async <T>(work: () => Promise<T>) => {
    try {
      return await work()
    } catch (error) {
      if (hasPgCode(error, PG.uniqueViolation)) throw taken()
      throw error
    }
  }
  return {
    lookup: async ({ ids, names, igdbIds }) =>
      (
        await sql<Row[]>`
          select ${columns} from categories
          where id = any(${ids}::bigint[]) or lower(name) = any(${names.map((n) => n.toLowerCase())}::text[])
             or (igdb_id <> '' and igdb_id = any(${igdbIds}::text[]))
          order by id`
      ).map(toCategory),
    search: async (query, first, after) => {
      const pattern = `%${query.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`
      const rows = await sql<Row[]>`
        select ${columns} from categories
        where lower(name) like ${pattern}
          ${after ? sql`and (name, id) > (${after[0]}, ${after[1]}::bigint)` : sql``}
        order by name, id limit ${first + 1}`
      return rows.map(toCategory)
    },
    top: async (first, after) => {
      const rows = await sql<(Row & { viewers: number })[]>`
        select * from (
          select g.id::text as id, g.name, g.box_art_url, g.igdb_id, g.id as key,
                 coalesce(sum(s.viewer_count), 0)::int as viewers
          from categories g
          left join channels c on c.game_id = g.id
          left join streams s on s.broadcaster_id = c.broadcaster_id and s.ended_at is null
          group by g.id
        ) ranked
        ${after ? sql`where (viewers < ${after[0]} or (viewers = ${after[0]} and key > ${after[1]}::bigint))` : sql``}
        order by viewers desc, key limit ${first + 1}`
      return rows.map((row) => ({ ...toCategory(row), viewers: row.viewers }))
    },
    create: (input) =>
      guard(async () => {
        const [row] = await sql<Row[]>`
          insert into categories (name, box_art_url, igdb_id)
          values (${input.name}, ${input.boxArtUrl ?? ''}, ${input.igdbId ?? ''})
          returning ${columns}`
        return toCategory(row!)
      }),
    update: (id, input) =>
      guard(async () => {
        const [row] = await sql<Row[]>`
          update categories set
            name = coalesce(${input.name ?? null}, name),
            box_art_url = coalesce(${input.boxArtUrl ?? null}, box_art_url),
            igdb_id = coalesce(${input.igdbId ?? null}, igdb_id)
          where id = ${id}::bigint returning ${columns}`
        if (!row) throw missing()
        return toCategory(row)
      }),
    remove: async (id) => {
      const [row] = await sql`delete from categories where id = ${id}::bigint returning 1`
      if (!row) throw missing()
    },
  }
}
