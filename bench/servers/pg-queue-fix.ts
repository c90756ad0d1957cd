/**
 * Preload (`BENCH_PG_QUEUE_FIX=1`): serves postgres.js 3.4.9's `src/queue.js` with a fix, to
 * measure what the fix is worth without touching node_modules.
 *
 * The bug: `shift()` only empties its array once the queue has drained completely, leaving an
 * `undefined` slot behind each element it hands out, while `remove()` scans the whole array
 * with `indexOf`. A pool whose connections are all busy (more queries in flight than `max`)
 * never drains its `busy` queue: `handler` shifts a connection off it and `move` pushes it
 * back, so the array gains a slot per query and every `move` scans all of them. Throughput
 * falls steadily for as long as the load lasts (measured: 21k → 8k req/s in 40 s).
 * The fix compacts the array once half of it is spent, and `remove()` scans from the head.
 */
import { plugin } from 'bun'

const FIXED_QUEUE = `export default Queue

function Queue(initial = []) {
  let xs = initial.slice()
  let index = 0

  return {
    get length() {
      return xs.length - index
    },
    remove: (x) => {
      const i = xs.indexOf(x, index)
      return i === -1
        ? null
        : (xs.splice(i, 1), x)
    },
    push: (x) => (xs.push(x), x),
    shift: () => {
      const out = xs[index++]

      if (index === xs.length) {
        index = 0
        xs = []
      } else {
        xs[index - 1] = undefined
        if (index >= 64 && index * 2 >= xs.length) {
          xs = xs.slice(index)
          index = 0
        }
      }

      return out
    }
  }
}
`

plugin({
  name: 'postgres.js queue fix (bench only)',
  setup(build) {
    build.onLoad({ filter: /node_modules\/postgres\/src\/queue\.js$/ }, () => ({ contents: FIXED_QUEUE, loader: 'js' }))
  },
})
