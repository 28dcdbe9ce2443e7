// Node has WebAssembly, but @types/node 20 declares no values for it; these are the parts teefn uses.
declare namespace WebAssembly {
  interface MemoryDescriptor {
    initial: number
    maximum?: number
  }
  class Memory {
    constructor(descriptor: MemoryDescriptor)
    readonly buffer: ArrayBuffer
    grow(delta: number): number
  }
  class Module {
    private constructor()
  }
  function compile(bytes: ArrayBufferView | ArrayBuffer): Promise<Module>
}
