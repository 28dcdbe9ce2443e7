import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('..', import.meta.url))
const dockerfile = readFileSync(join(root, 'deploy/Dockerfile'), 'utf8')
const compose = readFileSync(join(root, 'deploy/docker-compose.dstack.yml'), 'utf8')

/** Whether a Docker engine answers: the client alone (as on the CI machines) cannot build. */
function dockerEngineAvailable(): boolean {
  const probe = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], {
    encoding: 'utf8',
    timeout: 10_000,
  })
  return probe.status === 0 && probe.stdout.trim().length > 0
}

describe('the worker image and its dstack compose file', () => {
  it('copies only what exists and what the node needs, and starts teefn node on the mounted config', () => {
    const copied = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((match) =>
      match[1]!.split(' '),
    )
    for (const path of copied.filter((path) => path !== '.'))
      expect(existsSync(join(root, path)), path).toBe(true)
    expect(dockerfile).toMatch(/npm ci --omit=dev/)
    expect(dockerfile).toMatch(/COPY --from=build \/teefn\/dist \.\/dist/)
    expect(dockerfile).toMatch(/COPY --from=build \/teefn\/contracts\/artifacts/)
    expect(dockerfile).toContain('ENTRYPOINT ["node", "bin/teefn.js"]')
    expect(dockerfile).toContain('CMD ["node", "--config", "/etc/teefn/teefn.json"]')
    const ignored = readFileSync(join(root, '.dockerignore'), 'utf8').split('\n')
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', 'dist', '.git']))
  })

  it('gives the worker the dstack socket and the config, and pins both images by digest', () => {
    expect(compose).toContain('/var/run/dstack.sock:/var/run/dstack.sock')
    expect(compose).toContain('./teefn.json:/etc/teefn/teefn.json:ro')
    const images = [...compose.matchAll(/^\s+image: (\S+)$/gm)].map((match) => match[1]!)
    expect(images).toHaveLength(2)
    for (const image of images) expect(image).toMatch(/@sha256:/)
    // Secrets come from the environment, never from the file.
    expect(compose).not.toMatch(/0x[0-9a-fA-F]{64}/)
  })

  // Building needs a Docker engine; the machines this suite runs on in CI have only the client (no daemon).
  it.skipIf(!dockerEngineAvailable())('builds, and the image answers teefn --version', () => {
    execFileSync('docker', ['build', '-f', 'deploy/Dockerfile', '-t', 'teefn-node:test', '.'], {
      cwd: root,
      stdio: 'inherit',
      timeout: 900_000,
    })
    const version = execFileSync('docker', ['run', '--rm', 'teefn-node:test', '--version'], {
      encoding: 'utf8',
    })
    const { version: expected } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      version: string
    }
    expect(version.trim()).toBe(expected)
  })
})
