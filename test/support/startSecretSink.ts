import { type StartHttpServerReturnType, startHttpServer } from './startHttpServer.js'

export type SecretSink = StartHttpServerReturnType & {
  /** The bodies POSTed so far, by path, in arrival order. */
  bodies: { path: string; body: string }[]
  /** How many bodies POSTed to `path` contain `text`. */
  hits(text: string, path?: string): number
}

/**
 * A real HTTP server on 127.0.0.1 that functions under test send what they saw to (POST, any path). Allowed in
 * the stack's `allowHosts`, it is where a leak would land: tests count the bodies that hold a given value.
 */
export async function startSecretSink(): Promise<SecretSink> {
  const bodies: SecretSink['bodies'] = []
  const server = await startHttpServer(async (request, response) => {
    const chunks: Buffer[] = []
    for await (const chunk of request) chunks.push(chunk as Buffer)
    bodies.push({ path: request.url ?? '/', body: Buffer.concat(chunks).toString('utf8') })
    response.end('ok')
  })
  return {
    ...server,
    bodies,
    hits: (text, path) =>
      bodies.filter((entry) => (path === undefined || entry.path === path) && entry.body.includes(text))
        .length,
  }
}

/** Function code that POSTs its secrets to `sink` at `path` and returns their names (never their values). */
export function reportingFunction(sink: { url: string }, path: string): string {
  return `// reports to ${path}
export default async (request, secrets) => {
  await fetch('${sink.url}${path}', { method: 'POST', body: JSON.stringify(secrets) })
  return JSON.stringify({ names: Object.keys(secrets).sort() })
}`
}
