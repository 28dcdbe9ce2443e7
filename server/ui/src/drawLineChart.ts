import { svgElement } from './element.js'

export type LineSeries = { name: string; values: readonly number[] }

const width = 600
const height = 160
const pad = 14

/**
 * Draws series as polylines into an SVG (viewBox 600×160) with the maximum as a label; a series' points land on
 * its `data-values` too, so what is drawn can be read back. Each series has the class `line-<name>`.
 */
export function drawLineChart(svg: SVGSVGElement, series: readonly LineSeries[]): void {
  const longest = Math.max(2, ...series.map((line) => line.values.length))
  const top = Math.max(1, ...series.flatMap((line) => line.values))
  const x = (index: number) => pad + (index * (width - 2 * pad)) / (longest - 1)
  const y = (value: number) => height - pad - (value * (height - 2 * pad)) / top
  const children: SVGElement[] = [
    svgElement('line', { x1: pad, x2: width - pad, y1: height - pad, y2: height - pad, stroke: '#8886' }),
  ]
  for (const line of series) {
    const points = line.values.map((value, index) => `${x(index).toFixed(1)},${y(value).toFixed(1)}`)
    children.push(
      svgElement('polyline', {
        class: `line-${line.name}`,
        points: points.join(' '),
        'data-series': line.name,
        'data-values': line.values.join(','),
      }),
    )
    // Dots too: a page that has polled once has one point, which a line alone would not show.
    line.values.forEach((value, index) => {
      children.push(svgElement('circle', { class: `line-${line.name}`, cx: x(index), cy: y(value), r: 3 }))
    })
  }
  const label = svgElement('text', { x: pad, y: pad, 'font-size': 11, fill: 'currentColor' })
  label.textContent = `max ${top}`
  children.push(label)
  svg.replaceChildren(...children)
  svg.dataset.points = String(Math.max(0, ...series.map((line) => line.values.length)))
}
