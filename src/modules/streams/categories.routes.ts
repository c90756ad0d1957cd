import { z } from '@hono/zod-openapi'
import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../../platform/http/env.ts'
import { problemResponses } from '../../platform/http/openapi.ts'
import { decodeCursor, listEnvelope, pageQuery, toPage } from '../../platform/http/pagination.ts'
import { Problem } from '../../platform/http/problem.ts'
import { routeDefiner } from '../../platform/http/route.ts'
import { createRouter } from '../../platform/http/router.ts'
import type { Categories, Category } from './categories.ts'
import { Id } from './ids.ts'

const CategoryView = z
  .object({
    id: z.string(),
    name: z.string(),
    box_art_url: z.string().openapi({ example: 'https://static-cdn.example/ttv-boxart/509658-{width}x{height}.jpg' }),
    igdb_id: z.string(),
  })
  .openapi('Category')

const toView = (category: Category): z.infer<typeof CategoryView> => ({
  id: category.id,
  name: category.name,
  box_art_url: category.boxArtUrl,
  igdb_id: category.igdbId,
})

const Name = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[^\p{C}]+$/u, 'no control characters')
const Url = z
  .string()
  .max(2048)
  .refine((value) => value === '' || /^https?:\/\/[^\s]+$/.test(value), 'an http(s) URL or ""')
const IgdbId = z.string().regex(/^[0-9]{0,20}$/, 'digits or ""')

const CategoryInput = z.strictObject({ name: Name, box_art_url: Url.optional(), igdb_id: IgdbId.optional() }).openapi('CategoryInput')
const CategoryChange = z.strictObject({ name: Name.optional(), box_art_url: Url.optional(), igdb_id: IgdbId.optional() }).openapi('CategoryChange')
const many = <T extends z.ZodType>(item: T) => z.union([item, z.array(item).max(100)]).optional()
const list = (value: string | string[] | undefined) => (value === undefined ? [] : [value].flat())
const one = z.object({ data: CategoryView })
const IdParam = z.object({ id: Id })

/** Categories: lookups, search, the top list and admin edits. */
export function categoryRoutes(categories: Categories, authenticated: MiddlewareHandler<AppEnv>) {
  const router = createRouter()
  const route = routeDefiner(authenticated)

  router.openapi(
    route({
      auth: 'none',
      operationId: 'getGames',
      method: 'get',
      path: '/api/games',
      tags: ['categories'],
      summary: 'Categories by id, name or IGDB id (Helix "Get Games")',
      request: { query: z.object({ id: many(Id), name: many(Name), igdb_id: many(IgdbId) }) },
      responses: {
        200: { description: 'The categories found', content: { 'application/json': { schema: z.object({ data: z.array(CategoryView) }) } } },
        ...problemResponses(400),
      },
    }),
    async (c) => {
      const query = c.req.valid('query')
      const lookup = { ids: list(query.id), names: list(query.name), igdbIds: list(query.igdb_id) }
      const count = lookup.ids.length + lookup.names.length + lookup.igdbIds.length
      if (count === 0 || count > 100) throw new Problem(400, 'Give 1 to 100 ids, names and igdb_ids together', { code: 'request.invalid' })
      return c.json({ data: (await categories.lookup(lookup)).map(toView) }, 200)
    },
  )

  router.openapi(
    route({
      auth: 'none',
      operationId: 'getTopGames',
      method: 'get',
      path: '/api/games/top',
      tags: ['categories'],
      summary: 'Categories by live viewers, most first (Helix "Get Top Games")',
      request: { query: pageQuery },
      responses: { 200: { description: 'A page of categories', content: { 'application/json': { schema: listEnvelope(CategoryView) } } }, ...problemResponses(400) },
    }),
    async (c) => {
      const { first, after } = c.req.valid('query')
      const cursor = decodeCursor(after, ['number', 'string'] as const)
      if (cursor && (!Number.isSafeInteger(cursor[0]) || !Id.safeParse(cursor[1]).success)) throw badCursor()
      const rows = await categories.top(first, cursor)
      return c.json(toPage(rows, first, toView, (row) => [row.viewers, row.id]), 200)
    },
  )

  router.openapi(
    route({
      auth: 'none',
      operationId: 'searchCategories',
      method: 'get',
      path: '/api/search/categories',
      tags: ['categories'],
      summary: 'Categories whose name contains the query (Helix "Search Categories")',
      request: { query: pageQuery.extend({ query: Name }) },
      responses: { 200: { description: 'A page of categories', content: { 'application/json': { schema: listEnvelope(CategoryView) } } }, ...problemResponses(400) },
    }),
    async (c) => {
      const { first, after, query } = c.req.valid('query')
      const cursor = decodeCursor(after, ['string', 'string'] as const)
      if (cursor && !Id.safeParse(cursor[1]).success) throw badCursor()
      const rows = await categories.search(query, first, cursor)
      return c.json(toPage(rows, first, toView, (row) => [row.name, row.id]), 200)
    },
  )

  router.openapi(
    route({
      auth: 'required',
      roles: ['admin'],
      operationId: 'createGame',
      method: 'post',
      path: '/api/games',
      tags: ['categories'],
      summary: 'Add a category (admins)',
      request: { body: { required: true, content: { 'application/json': { schema: CategoryInput } } } },
      responses: { 201: { description: 'Added', content: { 'application/json': { schema: one } } }, ...problemResponses(400, 409) },
    }),
    async (c) => {
      const body = c.req.valid('json')
      const category = await categories.create({ name: body.name, boxArtUrl: body.box_art_url, igdbId: body.igdb_id })
      return c.json({ data: toView(category) }, 201)
    },
  )

  router.openapi(
    route({
      auth: 'required',
      roles: ['admin'],
      operationId: 'updateGame',
      method: 'patch',
      path: '/api/games/{id}',
      tags: ['categories'],
      summary: 'Edit a category (admins)',
      request: { params: IdParam, body: { required: true, content: { 'application/json': { schema: CategoryChange } } } },
      responses: { 200: { description: 'Edited', content: { 'application/json': { schema: one } } }, ...problemResponses(400, 404, 409) },
    }),
    async (c) => {
      const body = c.req.valid('json')
      const category = await categories.update(c.req.valid('param').id, { name: body.name, boxArtUrl: body.box_art_url, igdbId: body.igdb_id })
      return c.json({ data: toView(category) }, 200)
    },
  )

  router.openapi(
    route({
      auth: 'required',
      roles: ['admin'],
      operationId: 'deleteGame',
      method: 'delete',
      path: '/api/games/{id}',
      tags: ['categories'],
      summary: 'Remove a category (admins); channels in it have none after',
      request: { params: IdParam },
      responses: { 204: { description: 'Removed' }, ...problemResponses(400, 404) },
    }),
    async (c) => {
      await categories.remove(c.req.valid('param').id)
      return c.body(null, 204)
    },
  )

  return router
}

const badCursor = () =>
  new Problem(400, 'Invalid query parameter: after: not a cursor this list issued', {
    code: 'request.invalid',
    errors: [{ field: 'after', message: 'not a cursor this list issued' }],
  })
