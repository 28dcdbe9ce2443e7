import { relative } from 'node:path'
import { createFunctionProject } from '../init/createFunctionProject.js'
import { packageRoot } from '../packageRoot.js'

/** `teefn init [dir]`: creates a function project and prints its files and the next commands. */
export async function initAction(dir: string): Promise<void> {
  const project = createFunctionProject({ dir, teefnRoot: packageRoot() })
  const out = process.stdout
  const into = relative(process.cwd(), project.dir)
  out.write(`Created ${project.name} in ${project.dir}:\n`)
  for (const file of project.files) out.write(`  ${file}\n`)
  out.write('\nNext:\n')
  if (into !== '') out.write(`  cd ${into}\n`)
  out.write('  npm install        # links this teefn\n')
  out.write('  npm test           # runs the function in the sandbox, its fetches mocked\n')
  out.write('  npx teefn run src/index.ts --request <price API URL> --watch\n')
}
