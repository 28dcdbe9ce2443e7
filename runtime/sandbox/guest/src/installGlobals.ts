import type { GuestHost } from './GuestHost.js'

/** What the host calls after the function's module is evaluated. */
export type PreludeHelpers = {
  /** The `JSON.parse` of a fresh context, for the host's `fetch`. */
  jsonParse: (text: string) => unknown
  /** Calls `main(request, secrets, context)` from their JSON; always a promise, also when `main` throws. */
  call(
    main: (request: unknown, secrets: unknown, context: unknown) => unknown,
    argumentsJson: string,
  ): Promise<unknown>
  /** A copy of the bytes of a genuine Uint8Array, or undefined for anything else. */
  bytesOf(value: unknown): ArrayBuffer | undefined
  /** What the host's `describe` (`hostHelpersPart.ts`) reads a thrown value with. */
  intrinsics: DescribeIntrinsics
}

/**
 * Built-ins taken before the function runs, for describing what it throws: a function can replace the
 * globals, never these. A tuple, read by index: the prelude is compiled for every context, so it stays short.
 * The error classes' `prototype` cannot be changed (non-writable, non-configurable).
 */
export type DescribeIntrinsics = readonly [
  getOwnPropertyDescriptor: typeof Object.getOwnPropertyDescriptor,
  getPrototypeOf: typeof Object.getPrototypeOf,
  objectKeys: typeof Object.keys,
  jsonStringify: typeof JSON.stringify,
  stringSlice: typeof String.prototype.slice,
  apply: typeof Reflect.apply,
  /** Error, TypeError, RangeError, ReferenceError, SyntaxError, EvalError, URIError, InternalError, AggregateError. */
  errorClasses: readonly ({ prototype: object } | undefined)[],
]

/**
 * The prelude, evaluated in every fresh context before the function. QuickJS compiles eagerly and this
 * runs for every invocation, so it does little: it defines `atob`/`btoa`, installs the other web APIs as
 * lazy globals (their part is compiled when a function first touches one), and returns what the host
 * needs to call `main` and read its result, built only on built-ins captured here, before the function
 * can replace them.
 *
 * `lazyGlobalsJson`: [global name, part that defines it][] (`lazyGlobals.ts`).
 */
export default function installGlobals(host: GuestHost, lazyGlobalsJson: string): PreludeHelpers {
  const G = globalThis as unknown as Record<string, unknown>
  const apply = Reflect.apply
  const defineProperty = Object.defineProperty
  const getOwnPropertyDescriptor = Object.getOwnPropertyDescriptor
  const objectKeys = Object.keys
  const jsonParse = JSON.parse
  const NativePromise = Promise
  const typedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype)
  const typedArrayTag = getOwnPropertyDescriptor(typedArrayPrototype, Symbol.toStringTag)!.get!
  const typedArrayBuffer = getOwnPropertyDescriptor(typedArrayPrototype, 'buffer')!.get!
  const typedArrayOffset = getOwnPropertyDescriptor(typedArrayPrototype, 'byteOffset')!.get!
  const typedArrayLength = getOwnPropertyDescriptor(typedArrayPrototype, 'byteLength')!.get!
  const arrayBufferSlice = ArrayBuffer.prototype.slice
  const loadPart = host.loadPart

  function defineGlobal(name: string, value: unknown): void {
    defineProperty(G, name, { value, writable: true, configurable: true, enumerable: false })
  }
  defineGlobal('atob', host.atob)
  defineGlobal('btoa', host.btoa)
  // Each lazy global is an accessor until first use, when the host compiles its part and the part's
  // globals replace the accessors as ordinary data properties.
  const lazyGlobals: [string, string][] = jsonParse(lazyGlobalsJson)
  for (let i = 0; i < lazyGlobals.length; i++) {
    const name = lazyGlobals[i]![0]
    const part = lazyGlobals[i]![1]
    defineProperty(G, name, {
      configurable: true,
      enumerable: false,
      get() {
        const globals = loadPart(part)
        const names = objectKeys(globals)
        for (let j = 0; j < names.length; j++) defineGlobal(names[j]!, globals[names[j]!])
        return G[name]
      },
      set(value) {
        defineGlobal(name, value)
      },
    })
  }

  // Describing a failure must not depend on anything the function could replace.
  const intrinsics: DescribeIntrinsics = [
    getOwnPropertyDescriptor,
    Object.getPrototypeOf,
    objectKeys,
    JSON.stringify,
    String.prototype.slice,
    apply,
    [
      Error,
      TypeError,
      RangeError,
      ReferenceError,
      SyntaxError,
      EvalError,
      URIError,
      G.InternalError as { prototype: object } | undefined,
      AggregateError,
    ],
  ]

  return {
    jsonParse,
    intrinsics,
    call(main, argumentsJson) {
      return new NativePromise((resolve) => {
        const parsed = jsonParse(argumentsJson)
        resolve(main(parsed.request, parsed.secrets, parsed.context))
      })
    },
    bytesOf(value) {
      if (apply(typedArrayTag, value, []) !== 'Uint8Array') return undefined
      const offset: number = apply(typedArrayOffset, value, [])
      const length: number = apply(typedArrayLength, value, [])
      return apply(arrayBufferSlice, apply(typedArrayBuffer, value, []), [offset, offset + length])
    },
  }
}
