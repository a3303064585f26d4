// lib "ES2023" without "DOM" and @types/node 20 declare no WebAssembly global;
// this is the part src/engine.ts uses to load the schema engine.
declare namespace WebAssembly {
  type ModuleImports = Record<string, unknown>;
  type Imports = Record<string, ModuleImports>;

  interface Instance {
    readonly exports: Record<string, unknown>;
  }

  interface WebAssemblyInstantiatedSource {
    instance: Instance;
  }

  function instantiate(bytes: ArrayBufferView | ArrayBuffer, imports?: Imports): Promise<WebAssemblyInstantiatedSource>;
}
