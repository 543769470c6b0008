// write-file-atomic ships no types; the bench needs only its promise form.
declare module 'write-file-atomic' {
  function writeFileAtomic(file: string, data: string | Uint8Array, options?: { fsync?: boolean; mode?: number; encoding?: string }): Promise<void>;
  export = writeFileAtomic;
}
