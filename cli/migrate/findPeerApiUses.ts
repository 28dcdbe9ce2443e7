import { type Node, parse } from 'acorn'
import { simple } from 'acorn-walk'
import type { PeerApi } from './peerApis.js'

export type FindPeerApiUsesParameters = {
  /** JavaScript (types already stripped). A Chainlink source may `return` and `await` at the top level. */
  code: string
  apis: readonly PeerApi[]
}

/** One API of the table the source uses, with the 1-based lines it is used on. */
export type PeerApiUse = { api: PeerApi; lines: number[] }

export type FindPeerApiUsesReturnType = PeerApiUse[]

type Located = Node & { loc?: { start: { line: number } } | null }
type Member = Located & { object: Located; property: Located; computed: boolean }

/**
 * The APIs of `apis` that `code` uses, in table order, found in its syntax tree (acorn): member chains
 * (`Lit.Actions.signEcdsa`, `LitActions.signEcdsa`, `context.storage.get`), destructured names
 * (`const { userArgs } = context`), free identifiers and import specifiers. A string exported as `litActionCode`
 * (Lit's style) is read as code too. Syntax only: an API reached through a computed name is not seen.
 */
export function findPeerApiUses({ code, apis }: FindPeerApiUsesParameters): FindPeerApiUsesReturnType {
  const seen = new Map<PeerApi, Set<number>>()
  collect(code, apis, seen, 0)
  return apis.flatMap((api) => {
    const lines = seen.get(api)
    return lines ? [{ api, lines: [...lines].sort((a, b) => a - b) }] : []
  })
}

function collect(
  code: string,
  apis: readonly PeerApi[],
  seen: Map<PeerApi, Set<number>>,
  lineOffset: number,
) {
  const tree = parse(code, {
    ecmaVersion: 'latest',
    sourceType: 'module',
    locations: true,
    allowReturnOutsideFunction: true,
    allowAwaitOutsideFunction: true,
  })
  const declared = declaredNames(tree)
  const record = (api: PeerApi, node: Located) => {
    const lines = seen.get(api) ?? new Set<number>()
    lines.add((node.loc?.start.line ?? 1) + lineOffset)
    seen.set(api, lines)
  }
  const matchPath = (chain: string, node: Located) => {
    const normalized = chain.replace(/^LitActions\./, 'Lit.Actions.')
    for (const api of apis) {
      if ('path' in api && (normalized === api.path || normalized.endsWith(`.${api.path}`))) record(api, node)
    }
  }
  const matchImport = (specifier: string, node: Located) => {
    for (const api of apis) {
      if (!('import' in api)) continue
      const prefix = api.import.endsWith(':')
      if (prefix ? specifier.startsWith(api.import) : specifier === api.import) record(api, node)
    }
  }
  simple(tree, {
    MemberExpression(node) {
      const chain = memberChain(node as unknown as Member)
      if (chain) matchPath(chain, node)
    },
    ObjectPattern(node) {
      for (const property of (node as unknown as { properties: { key?: Located & { name?: string } }[] })
        .properties) {
        if (property.key?.name) matchPath(property.key.name, property.key)
      }
    },
    Identifier(node) {
      const { name } = node as unknown as { name: string }
      if (declared.has(name)) return
      for (const api of apis) if ('global' in api && api.global === name) record(api, node)
    },
    ImportDeclaration(node) {
      matchImport(String((node as unknown as { source: { value: unknown } }).source.value), node)
    },
    ImportExpression(node) {
      const { source } = node as unknown as { source: { type: string; value?: unknown } }
      if (source.type === 'Literal') matchImport(String(source.value), node)
    },
    VariableDeclarator(node) {
      const { id, init } = node as unknown as { id: { name?: string }; init: Located | null }
      const text = id.name === 'litActionCode' ? literalText(init) : undefined
      if (text !== undefined) collect(text, apis, seen, (init?.loc?.start.line ?? 1) - 1 + lineOffset)
    },
  })
}

/** `a.b.c` for a chain of plain names, or undefined when a part is computed or not a name. */
function memberChain(node: Member): string | undefined {
  if (node.computed) return undefined
  const property = (node.property as unknown as { name?: string }).name
  if (!property) return undefined
  const object = node.object as Located & { name?: string }
  if (object.type === 'Identifier') return `${object.name}.${property}`
  if (object.type === 'MemberExpression') {
    const inner = memberChain(object as Member)
    return inner && `${inner}.${property}`
  }
  return undefined
}

/** The text of a string literal or of a template literal without substitutions. */
function literalText(node: Located | null): string | undefined {
  if (!node) return undefined
  const value = node as unknown as { type: string; value?: unknown; quasis?: { value: { cooked: string } }[] }
  if (value.type === 'Literal' && typeof value.value === 'string') return value.value
  if (value.type === 'TemplateLiteral' && value.quasis?.length === 1) return value.quasis[0]!.value.cooked
  return undefined
}

/** Names the module declares itself (variables, functions, parameters, imports): these are not the peer's globals. */
function declaredNames(tree: Node): Set<string> {
  const names = new Set<string>()
  const addPattern = (pattern: unknown) => {
    const node = pattern as { type?: string; name?: string; properties?: unknown[]; elements?: unknown[] }
    if (!node?.type) return
    if (node.type === 'Identifier') names.add(node.name!)
    else if (node.type === 'ObjectPattern')
      for (const property of node.properties ?? []) {
        const entry = property as { value?: unknown; argument?: unknown }
        addPattern(entry.value ?? entry.argument)
      }
    else if (node.type === 'ArrayPattern') for (const element of node.elements ?? []) addPattern(element)
    else if (node.type === 'AssignmentPattern') addPattern((node as { left?: unknown }).left)
    else if (node.type === 'RestElement') addPattern((node as { argument?: unknown }).argument)
  }
  const addFunction = (node: unknown) => {
    const fn = node as { id?: unknown; params?: unknown[] }
    addPattern(fn.id)
    for (const param of fn.params ?? []) addPattern(param)
  }
  simple(tree, {
    VariableDeclarator: (node) => addPattern((node as unknown as { id: unknown }).id),
    FunctionDeclaration: addFunction,
    FunctionExpression: addFunction,
    ArrowFunctionExpression: addFunction,
    ImportSpecifier: (node) => addPattern((node as unknown as { local: unknown }).local),
    ImportDefaultSpecifier: (node) => addPattern((node as unknown as { local: unknown }).local),
    ImportNamespaceSpecifier: (node) => addPattern((node as unknown as { local: unknown }).local),
  })
  return names
}
