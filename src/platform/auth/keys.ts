import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { exportPKCS8, exportSPKI, generateKeyPair } from 'jose'

export type SigningKeys = { privateKey: string; publicKey: string }

/**
 * The embedded default's Ed25519 key pair: generated on the first start, then read back, so
 * tokens survive restarts. Written with `wx` so two processes starting together agree.
 */
export async function loadOrCreateSigningKeys(dataDir: string): Promise<SigningKeys> {
  const dir = resolve(dataDir, 'keys')
  const privatePath = resolve(dir, 'jwt-ed25519.pem')
  const publicPath = resolve(dir, 'jwt-ed25519.pub.pem')
  try {
    return { privateKey: readFileSync(privatePath, 'utf8'), publicKey: readFileSync(publicPath, 'utf8') }
  } catch {
    // Only the keys directory is private: a 0700 data directory would lock out the embedded
    // Postgres, which runs as another user when we are root.
    mkdirSync(resolve(dataDir), { recursive: true })
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true })
    const keys = { privateKey: await exportPKCS8(pair.privateKey), publicKey: await exportSPKI(pair.publicKey) }
    try {
      writeFileSync(publicPath, keys.publicKey, { flag: 'wx' })
      writeFileSync(privatePath, keys.privateKey, { flag: 'wx', mode: 0o600 })
      return keys
    } catch {
      await Bun.sleep(50)
      return { privateKey: readFileSync(privatePath, 'utf8'), publicKey: readFileSync(publicPath, 'utf8') }
    }
  }
}
