import {
  newQuickJSWASMModuleFromVariant,
  newVariant,
  type QuickJSWASMModule,
  RELEASE_SYNC,
} from 'quickjs-emscripten'

const pageBytes = 64 * 1024
/** The release-sync build needs at least 256 pages (16 MiB) for its static data, stack and first heap. */
const basePages = 256

/** A QuickJS wasm module whose heap growth the host can cap per invocation. */
export type QuickJSEngine = {
  module: QuickJSWASMModule
  /** Bytes the wasm memory holds now (it grows, never shrinks). */
  readonly memoryBytes: number
  /** What the memory starts with (static data, stack, first heap); allowances are on top of it. */
  readonly baseBytes: number
  /** Lets the heap grow to `baseBytes + bytes` at most; growth past it fails as out-of-memory inside the engine. */
  setHeapAllowance(bytes: number): void
  /** How many growth requests were refused since the last call (a refused growth is a hit memory limit). */
  takeRefusedGrowths(): number
}

export type CreateQuickJSEngineParameters = {
  /** The largest allowance any invocation may get: the wasm memory's hard maximum. */
  maxHeapAllowanceBytes: number
  /** A compiled module to instantiate (compiled once by the pool and shared with its threads). */
  wasmModule?: WebAssembly.Module | undefined
}

/**
 * Loads the release-sync QuickJS build into a capped `WebAssembly.Memory`. QuickJS's own
 * `setMemoryLimit` under-counts (a 64 MiB limit let a bomb grow to 1 GiB here), so the wasm memory
 * itself is the limit: its `grow` refuses to pass the allowance of the running invocation.
 */
export async function createQuickJSEngine({
  maxHeapAllowanceBytes,
  wasmModule,
}: CreateQuickJSEngineParameters): Promise<QuickJSEngine> {
  const maximumPages = basePages + Math.ceil(maxHeapAllowanceBytes / pageBytes)
  const memory = new WebAssembly.Memory({ initial: basePages, maximum: maximumPages })
  let allowedPages = maximumPages
  let refusedGrowths = 0
  const grow = memory.grow.bind(memory)
  // Emscripten grows its heap through this object's `grow`; refusing here makes malloc fail cleanly.
  memory.grow = (delta: number): number => {
    if (memory.buffer.byteLength / pageBytes + delta > allowedPages) {
      refusedGrowths++
      throw new RangeError('teefn: heap allowance reached')
    }
    return grow(delta)
  }
  const module = await newQuickJSWASMModuleFromVariant(
    newVariant(RELEASE_SYNC, wasmModule ? { wasmMemory: memory, wasmModule } : { wasmMemory: memory }),
  )
  return {
    module,
    get memoryBytes() {
      return memory.buffer.byteLength
    },
    baseBytes: basePages * pageBytes,
    setHeapAllowance(bytes) {
      allowedPages = Math.min(maximumPages, basePages + Math.ceil(bytes / pageBytes))
    },
    takeRefusedGrowths() {
      const count = refusedGrowths
      refusedGrowths = 0
      return count
    },
  }
}
