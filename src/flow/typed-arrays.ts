type TypedArray = Uint8Array | Int8Array | Uint16Array | Uint32Array | Int32Array | Float64Array;

/** A copy of `array` with room for `length` elements; the prefix is preserved. */
export function grown<T extends TypedArray>(array: T, length: number): T {
  const next = new (array.constructor as new (n: number) => T)(length);
  next.set(array as never);
  return next;
}
