/** Compiles a pod-name glob: `*` any run of characters, `?` exactly one. */
export function podGlob(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('').map((c) => (c === '*' ? '.*' : c === '?' ? '.' : escape(c))).join('')}$`);
}

/**
 * Compiles a hostname pattern: `*` matches a run of characters inside one DNS label, never a dot,
 * so `*.googleapis.com` matches `apigee.googleapis.com` but not `a.b.googleapis.com`. Names are
 * compared lower-case, without a trailing dot.
 */
export function hostnameGlob(pattern: string): RegExp {
  return new RegExp(`^${pattern.toLowerCase().split('').map((c) => (c === '*' ? '[^.]*' : escape(c))).join('')}$`);
}

export function normaliseHostname(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

function escape(c: string): string {
  return /[\\^$.|?*+()[\]{}]/.test(c) ? `\\${c}` : c;
}
