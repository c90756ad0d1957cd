import type { TimelineMinute } from './sessions.ts'

const WIDTH = 800
const HEIGHT = 300
const PAD = { left: 56, right: 16, top: 32, bottom: 40 }

const hhmm = (iso: string) => iso.slice(11, 16)

/**
 * A stream's viewers per minute as an SVG line chart, for broadcasters without Grafana.
 * Written by hand: a polyline, two axes and five labels need no charting library, and every
 * value drawn is a number or a time (nothing to escape).
 * @example
 * viewersChart('42', [{ minute: '2026-12-01T20:00:00.000Z', viewers: 12, … }]) // '<svg …>'
 */
export function viewersChart(streamId: string, timeline: Pick<TimelineMinute, 'minute' | 'viewers'>[]): string {
  const plotW = WIDTH - PAD.left - PAD.right
  const plotH = HEIGHT - PAD.top - PAD.bottom
  const peak = Math.max(1, ...timeline.map((m) => m.viewers))
  const first = timeline[0] ? Date.parse(timeline[0].minute) : 0
  const span = Math.max(1, (timeline.at(-1) ? Date.parse(timeline.at(-1)!.minute) : 0) - first)
  const x = (minute: string) => (PAD.left + ((Date.parse(minute) - first) / span) * plotW).toFixed(1)
  const y = (viewers: number) => (PAD.top + plotH - (viewers / peak) * plotH).toFixed(1)
  const points = timeline.map((m) => `${x(m.minute)},${y(m.viewers)}`).join(' ')
  const bottom = PAD.top + plotH
  const labels = timeline.length === 0 ? '' : [
    `<text x="${PAD.left}" y="${bottom + 24}" text-anchor="start">${hhmm(timeline[0]!.minute)} UTC</text>`,
    `<text x="${WIDTH - PAD.right}" y="${bottom + 24}" text-anchor="end">${hhmm(timeline.at(-1)!.minute)} UTC</text>`,
  ].join('')
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<title>Viewers of stream ${streamId}</title>`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#fff"/>`,
    `<text x="${PAD.left}" y="20" font-size="14">Viewers — stream ${streamId} (peak ${timeline.length === 0 ? 0 : peak})</text>`,
    `<line x1="${PAD.left}" y1="${PAD.top}" x2="${PAD.left}" y2="${bottom}" stroke="#888"/>`,
    `<line x1="${PAD.left}" y1="${bottom}" x2="${WIDTH - PAD.right}" y2="${bottom}" stroke="#888"/>`,
    `<text x="${PAD.left - 6}" y="${PAD.top + 4}" text-anchor="end">${timeline.length === 0 ? 0 : peak}</text>`,
    `<text x="${PAD.left - 6}" y="${bottom}" text-anchor="end">0</text>`,
    labels,
    timeline.length > 0 ? `<polyline fill="none" stroke="#9146ff" stroke-width="2" points="${points}"/>` : '',
    '</svg>',
  ].join('')
}
