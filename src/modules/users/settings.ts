import { eq, sql } from 'drizzle-orm'
import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js'
import { type UserId, userSettings } from './schema.ts'

export type Notifications = { live: boolean; email: boolean; whispers: boolean }

export type Settings = {
  chatColor: string | null
  language: string
  notifications: Notifications
  matureContent: boolean
}

export type SettingsChanges = Partial<Omit<Settings, 'notifications'>> & { notifications?: Partial<Notifications> }

const columns = {
  chatColor: userSettings.chatColor,
  language: userSettings.language,
  notifications: userSettings.notifications,
  matureContent: userSettings.matureContent,
}

/** Per-user preferences; the row is created with the account, so reads never miss. */
export function createSettingsStore(db: PostgresJsDatabase) {
  return {
    async read(userId: UserId): Promise<Settings | undefined> {
      const [row] = await db.select(columns).from(userSettings).where(eq(userSettings.userId, BigInt(userId)))
      return row
    },
    async update(userId: UserId, changes: SettingsChanges): Promise<Settings | undefined> {
      if (Object.values(changes).every((value) => value === undefined)) return this.read(userId)
      const { notifications, ...rest } = changes
      const [row] = await db
        .update(userSettings)
        .set({
          ...rest,
          // Merged in SQL, so a partial change never loses a concurrent one to another flag.
          ...(notifications ? { notifications: sql`${userSettings.notifications} || ${JSON.stringify(notifications)}::jsonb` } : {}),
        })
        .where(eq(userSettings.userId, BigInt(userId)))
        .returning(columns)
      return row
    },
  }
}

export type SettingsStore = ReturnType<typeof createSettingsStore>
