import { rename, rm } from 'node:fs/promises'

/** ffmpeg and ffprobe, as the background jobs run them. */
export type Media = {
  /** Remuxes `input` into an MP4 at `output` with its index first (faststart), written whole or not at all. */
  remux: (input: string, output: string, signal?: AbortSignal) => Promise<void>
  /**
   * Cuts `duration` seconds from `start` of `inputs` (MPEG-TS segments read as one, or one MP4)
   * into an MP4 at `output`, streams copied (so at keyframes), written whole or not at all.
   */
  cut: (inputs: string[], start: number, duration: number, output: string, signal?: AbortSignal) => Promise<void>
  /** One JPEG of `input`'s first frame, `width`×`height` when given, written whole or not at all. */
  still: (input: string, output: string, size?: { width: number; height: number }) => Promise<void>
  /** The duration ffprobe reads from `file`, in seconds. */
  duration: (file: string) => Promise<number>
}

async function run(command: string[], signal?: AbortSignal): Promise<string> {
  const proc = Bun.spawn(command, { stdout: 'pipe', stderr: 'pipe', signal })
  const [code, stdout, stderr] = await Promise.all([proc.exited, new Response(proc.stdout).text(), new Response(proc.stderr).text()])
  if (code !== 0) throw new Error(`${command[0]} exited with ${code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`)
  return stdout
}

/**
 * @example
 * const media = createMedia({ ffmpeg: 'ffmpeg', ffprobe: 'ffprobe' })
 * await media.remux('rec/ada-1700000000.flv', 'media/vods/7.mp4')
 * await media.duration('media/vods/7.mp4') // 8.04
 */
export function createMedia(tools: { ffmpeg: string; ffprobe: string }): Media {
  // Written beside the target and renamed into place: a reader never sees half a file.
  const writeWhole = async (output: string, args: string[], signal?: AbortSignal) => {
    const partial = `${output}.partial.mp4`
    try {
      await run([tools.ffmpeg, '-hide_banner', '-loglevel', 'error', '-y', ...args, '-c', 'copy', '-movflags', '+faststart', partial], signal)
      await rename(partial, output)
    } finally {
      await rm(partial, { force: true })
    }
  }
  return {
    remux: (input, output, signal) => writeWhole(output, ['-i', input], signal),
    cut: (inputs, start, duration, output, signal) => {
      const input = inputs.length === 1 ? inputs[0]! : `concat:${inputs.join('|')}`
      return writeWhole(output, ['-ss', start.toFixed(3), '-i', input, '-t', String(duration)], signal)
    },
    still: async (input, output, size) => {
      const partial = `${output}.partial.jpg`
      try {
        const scale = size ? ['-vf', `scale=${size.width}:${size.height}`] : []
        await run([tools.ffmpeg, '-hide_banner', '-loglevel', 'error', '-y', '-i', input, '-frames:v', '1', ...scale, '-q:v', '4', partial])
        await rename(partial, output)
      } finally {
        await rm(partial, { force: true })
      }
    },
    duration: async (file) => {
      const out = await run([tools.ffprobe, '-v', 'error', '-show_entries', 'format=duration', '-of', 'default=noprint_wrappers=1:nokey=1', file])
      const seconds = Number(out.trim())
      if (!Number.isFinite(seconds) || seconds < 0) throw new Error(`ffprobe read no duration from ${file}`)
      return seconds
    },
  }
}
