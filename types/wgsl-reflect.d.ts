// Node ESM must import wgsl_reflect's module build by path (its `main` is CommonJS); it has the package's types.
declare module 'wgsl_reflect/wgsl_reflect.module.js' {
  export * from 'wgsl_reflect';
}
