type Child = Node | string | number | undefined | false

/** Builds an element with attributes and children (text is always text: nothing is parsed as HTML). */
export function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value)
  for (const child of children) {
    if (child === undefined || child === false) continue
    node.append(typeof child === 'number' ? String(child) : child)
  }
  return node
}

/** An SVG element with attributes. */
export function svgElement(tag: string, attributes: Record<string, string | number>): SVGElement {
  const node = document.createElementNS('http://www.w3.org/2000/svg', tag)
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value))
  return node
}

/** Replaces a table body's rows. */
export function replaceRows(table: string, rows: HTMLTableRowElement[]): void {
  document.querySelector(`#${table} tbody`)!.replaceChildren(...rows)
}

/** A hex value cut for display, the whole of it in its title. */
export function shortHex(value: string | undefined, keep = 10): HTMLElement | string {
  if (!value) return '—'
  return element('code', { title: value }, value.length > keep + 4 ? `${value.slice(0, keep)}…` : value)
}
