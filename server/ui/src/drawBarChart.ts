import { svgElement } from './element.js'

export type BarPair = { queuedMs: number; runMs: number }

const width = 600
const height = 160
const pad = 14

/**
 * Draws each job's queue and run time as a stacked bar (queued below, run above) into an SVG (viewBox 600×160),
 * oldest first; each bar carries its numbers as `data-queued-ms` and `data-run-ms`.
 */
export function drawBarChart(svg: SVGSVGElement, bars: readonly BarPair[]): void {
  const top = Math.max(1, ...bars.map((bar) => bar.queuedMs + bar.runMs))
  const slot = (width - 2 * pad) / Math.max(bars.length, 1)
  const scale = (ms: number) => (ms * (height - 2 * pad)) / top
  const children: SVGElement[] = []
  bars.forEach((bar, index) => {
    const x = pad + index * slot
    const queued = scale(bar.queuedMs)
    const run = scale(bar.runMs)
    const group = svgElement('g', { 'data-queued-ms': bar.queuedMs, 'data-run-ms': bar.runMs })
    group.append(
      svgElement('rect', {
        class: 'bar-queued',
        x,
        y: height - pad - queued,
        width: Math.max(1, slot - 2),
        height: queued,
      }),
      svgElement('rect', {
        class: 'bar-run',
        x,
        y: height - pad - queued - run,
        width: Math.max(1, slot - 2),
        height: run,
      }),
    )
    const title = svgElement('title', {})
    title.textContent = `queued ${bar.queuedMs} ms, ran ${bar.runMs} ms`
    group.append(title)
    children.push(group)
  })
  const label = svgElement('text', { x: pad, y: pad, 'font-size': 11, fill: 'currentColor' })
  label.textContent = bars.length === 0 ? 'no completed jobs yet' : `max ${top} ms`
  children.push(label)
  svg.replaceChildren(...children)
  svg.dataset.points = String(bars.length)
}
