import type { ModuleDefinition } from './platform/module.ts'
import { analytics } from './modules/analytics/index.ts'
import { chat } from './modules/chat/index.ts'
import { streams } from './modules/streams/index.ts'
import { subscriptions } from './modules/subscriptions/index.ts'
import { users } from './modules/users/index.ts'

/** Every module this build ships; `main.ts` mounts them and `bun run gateway:config` routes to them. */
export const modules: ModuleDefinition[] = [users, streams, chat, subscriptions, analytics]
