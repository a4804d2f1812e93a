/** `:9847`, `0.0.0.0:9847`, `[::1]:9847` -> host (empty: every address) and port. */
export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(listen);
  const port = Number(m?.[3]);
  if (m === null || port > 65535) throw new Error('expected [host]:port, e.g. :9847 or 127.0.0.1:9847');
  return { host: m[1] ?? m[2], port };
}
