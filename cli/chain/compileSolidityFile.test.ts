import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ContractsError } from '../../contracts/ContractsError.js'
import { UsageError } from '../UsageError.js'
import { compileSolidityFile } from './compileSolidityFile.js'

let project: string

/** Writes a file of the test project, creating its folders. */
function write(path: string, content: string): string {
  const file = join(project, path)
  mkdirSync(join(file, '..'), { recursive: true })
  writeFileSync(file, content)
  return file
}

beforeAll(() => {
  project = mkdtempSync(join(tmpdir(), 'teefn-compile-'))
  write('package.json', '{"name":"consumer-project","private":true}')
  // A package only the project has, and a relative import within it.
  write('node_modules/mylib/package.json', '{"name":"mylib","version":"1.0.0"}')
  write(
    'node_modules/mylib/Twice.sol',
    'pragma solidity ^0.8.24;\nlibrary Twice { function double(uint256 x) internal pure returns (uint256) { return 2 * x; } }\n',
  )
  write('contracts/Base.sol', 'pragma solidity ^0.8.24;\nabstract contract Base { uint256 public calls; }\n')
  write(
    'contracts/MyConsumer.sol',
    `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;
import {ITeefnRegistry} from "teefn/contracts/src/ITeefnRegistry.sol";
import {TeefnConsumer} from "teefn/contracts/src/TeefnConsumer.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Twice} from "mylib/Twice.sol";
import {Base} from "./Base.sol";

contract MyConsumer is TeefnConsumer, Base {
    uint256 public last;
    constructor(ITeefnRegistry registry) TeefnConsumer(registry, 100_000, 1 hours) {}
    function ask(bytes32 functionId) external returns (bytes32) { calls++; return _request(functionId, ""); }
    function _onFulfillment(bytes32, uint8, bytes calldata result) internal override { last = Twice.double(result.length); }
}

contract Helper is Ownable {
    constructor() Ownable(msg.sender) {}
}
`,
  )
})

afterAll(() => {
  rmSync(project, { recursive: true, force: true })
})

describe('compileSolidityFile', () => {
  it('compiles the contract named like the file, teefn/ from the package, the rest from the project and node_modules', () => {
    const artifact = compileSolidityFile({ file: join(project, 'contracts', 'MyConsumer.sol') })
    expect(artifact.contractName).toBe('MyConsumer')
    expect(artifact.sourceName).toBe('contracts/MyConsumer.sol')
    expect(artifact.bytecode).toMatch(/^0x[0-9a-f]{200,}$/)
    const names = artifact.abi.map((entry) => (entry as { name?: string }).name)
    expect(names).toEqual(expect.arrayContaining(['ask', 'last', 'calls', 'fulfill']))
  }, 60_000)

  it("takes another contract of the file by name, and lists the file's contracts for a name it lacks", () => {
    const file = join(project, 'contracts', 'MyConsumer.sol')
    expect(
      compileSolidityFile({ file, contractName: 'Helper' }).abi.map(
        (entry) => (entry as { name?: string }).name,
      ),
    ).toContain('owner')
    const error = catchError(() => compileSolidityFile({ file, contractName: 'Nope' }))
    expect(error).toBeInstanceOf(ContractsError)
    expect((error as ContractsError).shortMessage).toBe(
      'contracts/MyConsumer.sol defines no contract named Nope.',
    )
    expect((error as ContractsError).details).toBe('It defines: Helper, MyConsumer.')
  }, 60_000)

  it('names each compile error by file, line and column', () => {
    const file = write(
      'contracts/Broken.sol',
      'pragma solidity ^0.8.24;\n\ncontract Broken {\n  uint256 x = y;\n}\n',
    )
    const error = catchError(() => compileSolidityFile({ file }))
    expect(error).toBeInstanceOf(ContractsError)
    expect((error as ContractsError).code).toBe('SOLIDITY_COMPILE_FAILED')
    expect((error as ContractsError).shortMessage).toBe(
      'contracts/Broken.sol:4:15: DeclarationError: Undeclared identifier.',
    )
  }, 60_000)

  it('refuses a missing file and an import it cannot find', () => {
    expect(
      catchError(() => compileSolidityFile({ file: join(project, 'contracts', 'Gone.sol') })),
    ).toBeInstanceOf(UsageError)
    const file = write(
      'contracts/Lost.sol',
      'pragma solidity ^0.8.24;\nimport "nowhere/X.sol";\ncontract Lost {}\n',
    )
    const error = catchError(() => compileSolidityFile({ file }))
    expect((error as ContractsError).shortMessage).toMatch(
      /^contracts\/Lost\.sol:2:1: ParserError: Source "nowhere\/X\.sol" not found: File not found: nowhere\/X\.sol/,
    )
  }, 60_000)
})

function catchError(run: () => unknown): unknown {
  try {
    run()
  } catch (error) {
    return error
  }
  throw new Error('expected an error')
}
