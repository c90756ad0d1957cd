/**
 * Every route that needs a role, found in the served /openapi.json (the roles of its bearer
 * requirement, which `route({ roles })` writes), called by bearers of every set of the other
 * roles: each is a 403 that writes nothing, in any module's database. A role-gated route added
 * later is in the document, so it is in these loops, and fails the first test until ROLE_POLICY
 * says who may call it; a role check the document does not name fails the last test.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { modules } from '../src/modules.ts'
import { ROLES, type Role } from '../src/platform/auth/tokens.ts'
import { problemType } from '../src/platform/http/problem.ts'
import { databaseDigest } from '../src/platform/testing/database-digest.ts'
import { createTestPlatform, type TestPlatform } from '../src/platform/testing/harness.ts'
import { accessTokenFor } from '../src/platform/testing/tokens.ts'

/**
 * Who may call each role-gated operation, written down apart from the routes: a route that lets
 * staff grant roles declares `roles: ['admin', 'staff']` consistently with itself, and only a
 * second statement of the intent catches it.
 */
const ROLE_POLICY: Record<string, Role[]> = {
  grantRole: ['admin'],
  revokeRole: ['admin'],
  suspendUser: ['admin'],
  getUserSuspension: ['admin'],
  reinstateUser: ['admin'],
  createGame: ['admin'],
  updateGame: ['admin'],
  deleteGame: ['admin'],
  getPlatformAnalytics: ['admin'],
  getPlatformRevenue: ['admin'],
  uploadGlobalEmote: ['admin'],
}

type Parameter = { name: string; in: string; schema?: { enum?: string[] } }
type Operation = { operationId: string; security?: Record<string, string[]>[]; parameters?: Parameter[]; requestBody?: unknown }
type Listed = { operationId: string; method: string; template: string; parameters: Parameter[]; withBody: boolean; documented: Role[] }
type Call = { method: string; path: string; withBody: boolean; roles: Role[] }

const ROLE_REQUIRED = problemType('role.required')

let t: TestPlatform
let operations: Listed[] = []
/** The users every path's user id takes: one holding every role, one holding none. */
const targets: string[] = []
/** Who the tokens are for: a real user (a grant names its author, a foreign key). */
let caller = ''

beforeAll(async () => {
  t = await createTestPlatform(modules, { AUTH_ATTEMPTS_PER_MINUTE: '1000' })
  for (const login of ['holds_every_role', 'holds_no_role', 'the_caller']) {
    const res = await t.request('/api/auth/register', {
      method: 'POST',
      json: { login, email: `${login}@example.test`, password: 'correct horse battery' },
    })
    expect(res.status).toBe(201)
    targets.push(((await res.json()) as { data: { user_id: string } }).data.user_id)
  }
  caller = targets.pop()!
  // So granting to the one and revoking from the other would each be a change.
  await t.sql.users!`insert into user_roles (user_id, role) select ${targets[0]!}, unnest(${[...ROLES]}::text[])`

  const document = (await (await t.request('/openapi.json')).json()) as { paths: Record<string, Record<string, Operation>> }
  operations = Object.entries(document.paths).flatMap(([template, byMethod]) =>
    Object.entries(byMethod).map(([method, op]) => ({
      operationId: op.operationId,
      method: method.toUpperCase(),
      template,
      parameters: op.parameters ?? [],
      withBody: op.requestBody !== undefined,
      // Any of the listed roles lets a bearer through (`requireRole`).
      documented: [...new Set((op.security ?? []).flatMap((requirement) => requirement.bearer ?? []))] as Role[],
    })),
  )
}, 30_000)
afterAll(() => t.close())

/** The roles an operation must be called with: the policy's, or, for one it lacks, the document's. */
const required = (op: Listed): Role[] => ROLE_POLICY[op.operationId] ?? op.documented

/**
 * Each call an operation can take: every value of an enum parameter, both targets for an id, and
 * a placeholder for anything else (the guard runs before validation, so it still decides).
 */
function calls(op: Listed): Call[] {
  let paths = [op.template]
  for (const parameter of op.parameters.filter((p) => p.in === 'path')) {
    const values = parameter.schema?.enum ?? (parameter.name === 'id' || parameter.name.endsWith('_id') ? targets : ['1'])
    paths = paths.flatMap((path) => values.map((value) => path.replace(`{${parameter.name}}`, encodeURIComponent(value))))
  }
  return paths.map((path) => ({ method: op.method, path, withBody: op.withBody, roles: required(op) }))
}

const gatedCalls = () => operations.filter((op) => required(op).length > 0).flatMap(calls)

/** Every subset of `roles`, the empty one first. */
const subsets = (roles: readonly Role[]): Role[][] =>
  roles.reduce<Role[][]>((sets, role) => [...sets, ...sets.map((set) => [...set, role])], [[]])

const digest = async () => (await Promise.all(Object.values(t.sql).map(databaseDigest))).join(';')

const send = async (call: Call, roles: Role[] | undefined) => {
  const token = roles && (await accessTokenFor(t, caller, roles))
  const res = await t.request(call.path, { method: call.method, token, ...(call.withBody ? { json: {} } : {}) })
  const type = res.status === 403 ? ((await res.json()) as { type: string }).type : undefined
  return { call: `${call.method} ${call.path}`, status: res.status, type }
}

describe('role-gated routes', () => {
  test('the document names exactly the roles ROLE_POLICY gives each role-gated operation', () => {
    const documented: Record<string, Role[]> = {}
    // Of the policy, what this build serves (a module in the making may not be in src/modules.ts yet).
    const served: Record<string, Role[]> = {}
    for (const op of operations) {
      if (op.documented.length > 0) documented[op.operationId] = op.documented
      const roles = ROLE_POLICY[op.operationId]
      if (roles) served[op.operationId] = roles
    }
    expect(documented).toEqual(served)
    expect(Object.keys(served)).toEqual(expect.arrayContaining(['grantRole', 'revokeRole']))
  })

  test('refuse every bearer without one of their roles, with a 403 that writes nothing', async () => {
    for (const call of gatedCalls()) {
      for (const roles of subsets(ROLES.filter((role) => !call.roles.includes(role)))) {
        const before = await digest()
        expect({ roles, ...(await send(call, roles)) }).toEqual({ roles, call: expect.any(String), status: 403, type: ROLE_REQUIRED })
        expect(await digest()).toBe(before)
      }
      const before = await digest()
      expect(await send(call, undefined)).toMatchObject({ status: 401 })
      expect(await digest()).toBe(before)
    }
  }, 30_000)

  test('let the same calls through with the role, and those change something', async () => {
    const before = await digest()
    const stopped: string[] = []
    for (const call of gatedCalls()) {
      const { status } = await send(call, [call.roles[0]!])
      // Past the guard: whatever the route answers, it is neither a refusal of the bearer nor a crash.
      if (status >= 500 || status === 401 || status === 403) stopped.push(`${call.method} ${call.path}: ${status}`)
    }
    expect(stopped).toEqual([])
    // So the digest sees what a refused call would have written.
    expect(await digest()).not.toBe(before)
  }, 30_000)

  test('no other route refuses a role-less bearer for a role: every role check is in the document', async () => {
    const others = operations.filter((op) => required(op).length === 0)
    expect(others.length).toBeGreaterThan(5)
    const refused: string[] = []
    for (const call of others.flatMap(calls)) {
      const answer = await send(call, [])
      if (answer.type === ROLE_REQUIRED) refused.push(answer.call)
    }
    expect(refused).toEqual([])
  }, 30_000)
})
